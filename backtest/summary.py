"""A run's figures as text: what ``python -m backtest run`` prints (the report shows the same)."""

import math
from dataclasses import dataclass

from common.clock import utc_day
from common.rules import RuleConfig

from backtest.dataset import Dataset
from backtest.evaluation import Evaluation, Figures
from backtest.replay import Window


@dataclass(frozen=True)
class RunSettings:
    """What a run was asked to do."""

    data: str
    window: Window
    label_delay_days: int
    overrides: str  # the ruleOverrides JSON as given; empty for the defaults
    rules: RuleConfig

    @property
    def title(self) -> str:
        return (f"{self.window.first_day} to {self.window.last_day} (UTC), labels "
                f"{self.label_delay_days} days late, rules: {self.overrides or 'defaults'}")


def number(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def signed(value: float, digits: int = 3) -> str:
    """``+0.012``; a change that rounds to nothing is ``+0.000``, never ``-0.000``."""
    return "n/a" if math.isnan(value) else f"{round(value, digits) + 0.0:+.{digits}f}"


def scope(dataset: Dataset, evaluation: Evaluation, replayed_rows: int) -> list[str]:
    """Where the figures come from: the data, the window, what was left out."""
    frauds = int(evaluation.frauds.sum())
    share = frauds / evaluation.evaluated if evaluation.evaluated else math.nan
    return [
        f"data     {len(dataset):,} transactions, {utc_day(int(dataset.timestamps[0]))} to "
        f"{utc_day(int(dataset.timestamps[-1]))}; replayed {replayed_rows:,} up to the "
        "window's end",
        f"window   {evaluation.scored:,} scored; {evaluation.left_out:,} left out (their account "
        f"known compromised); {evaluation.evaluated:,} evaluated, {frauds:,} fraud "
        f"({number(100 * share, 2)} %)"]


def headline(figures: Figures, rules: RuleConfig) -> list[str]:
    daily = figures.card_precision.per_day
    at = figures.at_threshold
    return [
        f"AUC ROC             {number(figures.auc_roc)}",
        f"Average precision   {number(figures.average_precision)}",
        f"Card precision@100  {number(figures.card_precision.mean)}"
        + (f"  (days from {min(daily):.2f} to {max(daily):.2f})" if daily else ""),
        f"SUSPICIOUS (score >= {rules.suspicious_score}): {at.flagged:,} flagged, "
        f"{at.true_positives:,} of them fraud: precision {number(at.precision)}, "
        f"recall {number(at.recall)}, F1 {number(at.f1)}"]


RULE_HEADER = ("rule", "hits", "on frauds", "AUC", "AP", "CP@100", "flagged", "caught", "F1")


def rule_rows(evaluation: Evaluation) -> list[tuple[str, ...]]:
    """Per rule: its hits, and the change in each figure were it removed (weight 0)."""
    base = evaluation.figures
    rows = []
    for effect in evaluation.rules:
        without = effect.without
        rows.append((
            effect.code, f"{effect.hits:,}", f"{effect.fraud_hits:,}",
            signed(without.auc_roc - base.auc_roc),
            signed(without.average_precision - base.average_precision),
            signed(without.card_precision.mean - base.card_precision.mean),
            f"{without.at_threshold.flagged - base.at_threshold.flagged:+,}",
            f"{without.at_threshold.true_positives - base.at_threshold.true_positives:+,}",
            signed(without.at_threshold.f1 - base.at_threshold.f1)))
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                      for column, (cell, width) in enumerate(zip(row, widths, strict=True)))
            for row in [header, *rows]]


def render(settings: RunSettings, dataset: Dataset, evaluation: Evaluation,
           replayed_rows: int) -> str:
    lines = [f"Backtest of {settings.data}: {settings.title}",
             *("  " + line for line in scope(dataset, evaluation, replayed_rows)), "",
             *("  " + line for line in headline(evaluation.figures, settings.rules)), "",
             "  Each rule, and what removing it (weight 0) would change:",
             *("  " + line for line in table(RULE_HEADER, rule_rows(evaluation)))]
    return "\n".join(lines)
