"""Detection metrics, as the Fraud Detection Handbook defines them (chapter 4).

- **AUC ROC**: the area under the ROC curve, tied scores counted half (the trapezoid rule over
  the distinct scores, as scikit-learn's ``roc_auc_score``).
- **Average precision**: the precision at each distinct score, weighted by the recall it adds
  (scikit-learn's ``average_precision_score``, no interpolation).
- **Card precision@k** (https://fraud-detection-handbook.github.io/fraud-detection-handbook/
  Chapter_4_PerformanceMetrics/TopKBased.html): for each day, each account's highest score and
  whether any of its transactions that day is fraud; the ``k`` accounts with the highest
  scores; the share of them that are fraudulent (out of ``k``, even if fewer accounts
  transacted). A fraudulent account found in the top ``k`` one day leaves the later days (an
  investigator has already caught it). The mean over the days. Ties in score order by account
  id, so the figure is reproducible; with few distinct scores (rules) the order within a tie
  decides part of it.
- **Precision, recall, F1** of the ``SUSPICIOUS`` status.

Each function takes numpy arrays, one entry per transaction.
"""

from dataclasses import dataclass

import numpy as np

CARD_PRECISION_K = 100


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def auc_roc(frauds: np.ndarray, scores: np.ndarray) -> float:
    """The probability that a fraud scores above a genuine transaction (ties count half)."""
    positives = int(frauds.sum())
    negatives = len(frauds) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum = _ranks(np.asarray(scores, dtype=float))[frauds.astype(bool)].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(frozen=True)
class Curve:
    """Precision and recall at each distinct score, from the highest score down."""

    thresholds: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


def precision_recall_curve(frauds: np.ndarray, scores: np.ndarray) -> Curve:
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    ordered = np.asarray(scores)[order]
    last_of_each = np.r_[np.flatnonzero(ordered[1:] != ordered[:-1]), len(ordered) - 1]
    true_positives = np.cumsum(frauds[order].astype(np.int64))[last_of_each]
    flagged = last_of_each + 1
    positives = max(int(frauds.sum()), 1)
    return Curve(thresholds=ordered[last_of_each], precision=true_positives / flagged,
                 recall=true_positives / positives)


def average_precision(frauds: np.ndarray, scores: np.ndarray) -> float:
    if not frauds.any():
        return float("nan")
    curve = precision_recall_curve(frauds, scores)
    return float(np.sum(np.diff(np.r_[0.0, curve.recall]) * curve.precision))


@dataclass(frozen=True)
class CardPrecision:
    mean: float
    days: list[int]  # days since 1970-01-01 (UTC)
    per_day: list[float]


def card_precision_at_k(days: np.ndarray, accounts: np.ndarray, frauds: np.ndarray,
                        scores: np.ndarray, k: int = CARD_PRECISION_K) -> CardPrecision:
    """Card precision@k; ``accounts`` are codes whose order is the account ids' order."""
    if not len(days):
        return CardPrecision(float("nan"), [], [])
    order = np.lexsort((accounts, days))
    day, account = days[order], accounts[order]
    starts = np.flatnonzero(np.r_[True, (day[1:] != day[:-1]) | (account[1:] != account[:-1])])
    card_day, card = day[starts], account[starts]
    card_score = np.maximum.reduceat(np.asarray(scores, dtype=float)[order], starts)
    card_fraud = np.maximum.reduceat(frauds[order].astype(np.int8), starts).astype(bool)
    day_starts = np.flatnonzero(np.r_[True, card_day[1:] != card_day[:-1]])
    day_ends = np.r_[day_starts[1:], len(card_day)]
    detected = np.zeros(int(accounts.max()) + 1, dtype=bool)
    per_day = []
    for start, end in zip(day_starts.tolist(), day_ends.tolist(), strict=True):
        open_cards = np.flatnonzero(~detected[card[start:end]]) + start
        # Highest score first; a tie by account (cards are already in account order).
        top = open_cards[np.argsort(-card_score[open_cards], kind="stable")[:k]]
        caught = card[top[card_fraud[top]]]
        per_day.append(len(caught) / k)
        detected[caught] = True
    return CardPrecision(float(np.mean(per_day)), card_day[day_starts].tolist(), per_day)


@dataclass(frozen=True)
class AtThreshold:
    """The SUSPICIOUS status against the labels."""

    flagged: int
    true_positives: int
    false_positives: int
    false_negatives: int

    @classmethod
    def of(cls, frauds: np.ndarray, suspicious: np.ndarray) -> "AtThreshold":
        true_positives = int(np.sum(frauds & suspicious))
        return cls(flagged=int(suspicious.sum()), true_positives=true_positives,
                   false_positives=int(suspicious.sum()) - true_positives,
                   false_negatives=int(frauds.sum()) - true_positives)

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        frauds = self.true_positives + self.false_negatives
        return self.true_positives / frauds if frauds else float("nan")

    @property
    def f1(self) -> float:
        found = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / found if found else float("nan")
