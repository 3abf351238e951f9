"""A run's report: one self-contained HTML page, inline CSS and SVG, no external asset.

Three charts: the precision-recall curve, the score histograms of frauds and genuine
transactions (each as a share of its class, on a log scale: genuine ones outnumber frauds
a hundred to one), and card precision@100 day by day. Then the figures per rule and the
rule settings of the run. Every text from the data or the command line is HTML-escaped.
"""

import math
from datetime import date, timedelta
from html import escape
from pathlib import Path

import numpy as np
from common.rules import OVERRIDE_KEYS

from backtest.dataset import Dataset
from backtest.evaluation import Evaluation
from backtest.metrics import CARD_PRECISION_K
from backtest.summary import RULE_HEADER, RunSettings, number, rule_rows, scope

WIDTH, HEIGHT = 460, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
FRAUD_COLOUR, GENUINE_COLOUR, LINE_COLOUR = "#d64545", "#486581", "#1f2933"
HISTOGRAM_BIN = 5  # score points per bar
LOG_FLOOR = 1e-4  # the histogram's lowest share shown (0.01 %)

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1f2933; max-width: 1100px; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }
p.scope { color: #52606d; margin: 0.2rem 0; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #e4e7eb; text-align: left; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; gap: 1.2rem; flex-wrap: wrap; margin-top: 1rem; }
.figure { background: #f0f4f8; padding: 0.8rem 1.2rem; border-radius: 6px; }
.figure strong { display: block; font-size: 1.5rem; }
.charts { display: flex; gap: 1.5rem; flex-wrap: wrap; }
.chart h3 { font-size: 0.95rem; margin: 0.8rem 0 0.3rem; }
.legend span { display: inline-block; width: 0.8rem; height: 0.8rem; margin: 0 0.3rem 0 0.8rem;
               vertical-align: middle; }
"""


class _Plot:
    """A chart area with axes: data coordinates in, SVG coordinates out."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float],
                 label: str) -> None:
        self.x_range, self.y_range, self.label = x_range, y_range, label
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        low, high = self.x_range
        return LEFT + (value - low) / (high - low) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        low, high = self.y_range
        return HEIGHT - BOTTOM - (value - low) / (high - low) * (HEIGHT - TOP - BOTTOM)

    def axes(self, x_ticks: list[tuple[float, str]], y_ticks: list[tuple[float, str]],
             x_title: str, y_title: str) -> None:
        base, left = HEIGHT - BOTTOM, LEFT
        self.parts += [
            f'<line x1="{left}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#9aa5b1"/>',
            f'<line x1="{left}" y1="{TOP}" x2="{left}" y2="{base}" stroke="#9aa5b1"/>',
            f'<text x="{(left + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" '
            f'font-size="12">{escape(x_title)}</text>',
            f'<text x="12" y="{(TOP + base) / 2}" text-anchor="middle" font-size="12" '
            f'transform="rotate(-90 12 {(TOP + base) / 2})">{escape(y_title)}</text>']
        self.parts += [f'<text x="{self.x(value):.1f}" y="{base + 15}" text-anchor="middle" '
                       f'font-size="11">{escape(text)}</text>' for value, text in x_ticks]
        for value, text in y_ticks:
            self.parts += [f'<line x1="{left}" y1="{self.y(value):.1f}" x2="{WIDTH - RIGHT}" '
                           f'y2="{self.y(value):.1f}" stroke="#e4e7eb"/>',
                           f'<text x="{left - 6}" y="{self.y(value) + 4:.1f}" text-anchor="end" '
                           f'font-size="11">{escape(text)}</text>']

    def svg(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
                f'role="img" aria-label="{escape(self.label)}">{"".join(self.parts)}</svg>')


def _tenths() -> list[tuple[float, str]]:
    return [(value / 10, f"{value / 10:.1f}") for value in range(0, 11, 2)]


def precision_recall_chart(evaluation: Evaluation) -> str:
    """The curve through each distinct score's (recall, precision), as steps."""
    curve = evaluation.curve
    plot = _Plot((0, 1), (0, 1), "Precision-recall curve")
    plot.axes(_tenths(), _tenths(), "recall", "precision")
    points = list(zip(curve.recall.tolist(), curve.precision.tolist(),
                      curve.thresholds.tolist(), strict=True))
    if len(points) > 400:  # a model's many scores: every n-th is enough to draw the curve
        points = points[::math.ceil(len(points) / 400)] + points[-1:]
    path, recall_before = [], 0.0
    for recall, precision, _ in points:
        path.append(f"{plot.x(recall_before):.1f},{plot.y(precision):.1f} "
                    f"{plot.x(recall):.1f},{plot.y(precision):.1f}")
        recall_before = recall
    plot.parts.append(f'<polyline points="{" ".join(path)}" fill="none" '
                      f'stroke="{LINE_COLOUR}" stroke-width="2"/>')
    plot.parts += [f'<circle cx="{plot.x(recall):.1f}" cy="{plot.y(precision):.1f}" r="3" '
                   f'fill="{FRAUD_COLOUR}"><title>score &gt;= {threshold:g}: precision '
                   f'{precision:.3f}, recall {recall:.3f}</title></circle>'
                   for recall, precision, threshold in points]
    return plot.svg()


def _shares(scores: np.ndarray) -> np.ndarray:
    bins = np.minimum(np.asarray(scores, dtype=np.int64) // HISTOGRAM_BIN, 100 // HISTOGRAM_BIN)
    counts = np.bincount(bins, minlength=100 // HISTOGRAM_BIN + 1)
    return counts / max(len(scores), 1)


def histogram_chart(evaluation: Evaluation) -> str:
    """Each class's share of transactions per score bin, side by side, on a log scale."""
    frauds = evaluation.frauds.astype(bool)
    series = ((_shares(evaluation.scores[frauds]), FRAUD_COLOUR, "fraud"),
              (_shares(evaluation.scores[~frauds]), GENUINE_COLOUR, "genuine"))
    bins = len(series[0][0])
    plot = _Plot((0, bins), (math.log10(LOG_FLOOR), 0), "Score histograms, fraud and genuine")
    plot.axes([(n + 0.5, str(n * HISTOGRAM_BIN)) for n in range(0, bins, 2)],
              [(math.log10(share), f"{share:.2%}".replace(".00", ""))
               for share in (1e-4, 1e-3, 1e-2, 1e-1, 1)],
              f"score (bars of {HISTOGRAM_BIN} points)", "share of its class (log)")
    for offset, (shares, colour, name) in enumerate(series):
        for n, share in enumerate(shares.tolist()):
            if share <= 0:
                continue
            top = plot.y(math.log10(max(share, LOG_FLOOR)))
            plot.parts.append(
                f'<rect x="{plot.x(n + 0.1 + 0.4 * offset):.1f}" y="{top:.1f}" '
                f'width="{plot.x(0.4) - plot.x(0):.1f}" height="{HEIGHT - BOTTOM - top:.1f}" '
                f'fill="{colour}"><title>{name}, score {n * HISTOGRAM_BIN} to '
                f'{n * HISTOGRAM_BIN + HISTOGRAM_BIN - 1}: {share:.3%}</title></rect>')
    return plot.svg()


def daily_chart(evaluation: Evaluation) -> str:
    """Card precision@100 per day of the window."""
    card = evaluation.figures.card_precision
    days = [date(1970, 1, 1) + timedelta(days=day) for day in card.days]
    top = max([0.1, *card.per_day])
    top = math.ceil(top * 10) / 10
    plot = _Plot((0, max(len(days), 1)), (0, top), "Card precision@100 per day")
    step = max(1, math.ceil(len(days) / 8))
    plot.axes([(n + 0.5, day.strftime("%m-%d")) for n, day in enumerate(days) if n % step == 0],
              [(top * n / 5, f"{top * n / 5:.2f}") for n in range(6)],
              "day (UTC)", f"card precision@{CARD_PRECISION_K}")
    for n, (day, value) in enumerate(zip(days, card.per_day, strict=True)):
        y = plot.y(value)
        plot.parts.append(
            f'<rect x="{plot.x(n + 0.15):.1f}" y="{y:.1f}" width="{plot.x(0.7) - plot.x(0):.1f}"'
            f' height="{HEIGHT - BOTTOM - y:.1f}" fill="{GENUINE_COLOUR}"><title>{day}: '
            f'{value:.2f}</title></rect>')
    mean = plot.y(card.mean)
    plot.parts.append(f'<line x1="{LEFT}" y1="{mean:.1f}" x2="{WIDTH - RIGHT}" y2="{mean:.1f}" '
                      f'stroke="{FRAUD_COLOUR}" stroke-dasharray="4 3"><title>mean '
                      f'{card.mean:.3f}</title></line>')
    return plot.svg()


def _setting(value: object) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def _row(cells: tuple[str, ...], tag: str = "td") -> str:
    return "<tr>" + "".join(
        f'<{tag}{"" if n == 0 else " class=number"}>{escape(cell)}</{tag}>'
        for n, cell in enumerate(cells)) + "</tr>"


def render(settings: RunSettings, dataset: Dataset, evaluation: Evaluation,
           replayed_rows: int) -> str:
    figures = evaluation.figures
    at = figures.at_threshold
    boxes = [("AUC ROC", number(figures.auc_roc)),
             ("Average precision", number(figures.average_precision)),
             (f"Card precision@{CARD_PRECISION_K}", number(figures.card_precision.mean)),
             (f"Precision (score &ge; {settings.rules.suspicious_score})", number(at.precision)),
             ("Recall", number(at.recall)), ("F1", number(at.f1))]
    rules = "".join(_row(row) for row in rule_rows(evaluation))
    config = "".join(_row((key, _setting(getattr(settings.rules, name))))
                     for key, name in OVERRIDE_KEYS.items())
    title = escape(settings.title)
    lines = "".join(f'<p class="scope">{escape(line)}</p>'
                    for line in scope(dataset, evaluation, replayed_rows))
    window = escape(f"{settings.window.first_day} to {settings.window.last_day}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backtest {window}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Backtest: {title}</h1>
<p class="scope">{escape(settings.data)}</p>
{lines}
<div class="figures">
{"".join(f'<div class="figure">{label}<strong>{value}</strong></div>' for label, value in boxes)}
</div>
<p class="scope">{at.flagged:,} flagged SUSPICIOUS, {at.true_positives:,} of them fraud;
{at.false_negatives:,} frauds not flagged.</p>
<div class="charts">
<div class="chart"><h3>Precision-recall curve (a point per distinct score)</h3>
{precision_recall_chart(evaluation)}</div>
<div class="chart"><h3>Score histograms</h3>
<div class="legend"><span style="background:{FRAUD_COLOUR}"></span>fraud
<span style="background:{GENUINE_COLOUR}"></span>genuine</div>
{histogram_chart(evaluation)}</div>
<div class="chart"><h3>Card precision@{CARD_PRECISION_K} per day (dashed: the mean)</h3>
{daily_chart(evaluation)}</div>
</div>
<h2>Each rule, and what removing it (weight 0) would change</h2>
<table>{_row(RULE_HEADER, "th")}{rules}</table>
<p class="scope">hits and on frauds: evaluated transactions the rule fired on; the other
columns: the change in each figure if the rule added nothing to the score.</p>
<h2>Rule settings of this run</h2>
<table><tr><th>setting</th><th class="number">value</th></tr>{config}</table>
<h2>How the figures are computed</h2>
<p>The window's transactions, less those of accounts already known compromised (a fraud label,
from the week before the label delay on, had arrived), as the Fraud Detection Handbook's test
sets. Card precision@{CARD_PRECISION_K}: per day, the {CARD_PRECISION_K} accounts with the
highest score, the share of them that are fraudulent; an account found one day leaves the
later days; the mean over the days. Average precision and AUC ROC as scikit-learn computes
them (ties in score count half in the AUC).</p>
</body>
</html>
"""


def write_report(settings: RunSettings, dataset: Dataset, evaluation: Evaluation,
                 replayed_rows: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(settings, dataset, evaluation, replayed_rows), encoding="utf-8")
