"""The demo's figures: latency percentiles, and detection quality against ground-truth labels."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q ≤ 100) by nearest rank; ``values`` must not be empty."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Detection:
    """Flagged (predicted) against fraud (labelled), counted per transaction."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0

    def add(self, fraud: bool, flagged: bool) -> None:
        if fraud and flagged:
            self.true_positives += 1
        elif flagged:
            self.false_positives += 1
        elif fraud:
            self.false_negatives += 1
        else:
            self.true_negatives += 1

    @property
    def total(self) -> int:
        return (self.true_positives + self.false_positives + self.false_negatives
                + self.true_negatives)

    @property
    def flagged(self) -> int:
        return self.true_positives + self.false_positives

    @property
    def precision(self) -> float | None:
        """Of the flagged, the share that is fraud; ``None`` when nothing was flagged."""
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        """Of the fraud, the share flagged; ``None`` when there is no fraud."""
        fraud = self.true_positives + self.false_negatives
        return self.true_positives / fraud if fraud else None

    @property
    def f1(self) -> float | None:
        precision, recall = self.precision, self.recall
        if precision is None or recall is None or precision + recall == 0:
            return None
        return 2 * precision * recall / (precision + recall)


def detection(outcomes: Iterable[tuple[bool, bool]]) -> Detection:
    """:class:`Detection` of ``(fraud, flagged)`` pairs."""
    counts = Detection()
    for fraud, flagged in outcomes:
        counts.add(fraud, flagged)
    return counts


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
