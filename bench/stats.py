"""Summaries of repeated measurements: median, spread and percentiles, nothing clever.

Every figure the benchmarks publish is the median of at least five runs, written with its
spread (the lowest and highest run) so a reader sees how much the machine wobbled. Ratios are
taken run by run, from two things measured side by side, and then summarised the same way.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

MIN_RUNS = 5


def percentile(values: Iterable[float], fraction: float) -> float:
    """The ``fraction`` (0 to 1) percentile, interpolating linearly between the closest ranks.

    Same definition as ``numpy.percentile``'s default and Excel's PERCENTILE.INC.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction {fraction} is not between 0 and 1")
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """A measurement repeated ``runs`` times: its median and the range the runs covered."""

    runs: int
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> "Summary":
        if not samples:
            raise ValueError("no samples")
        return cls(runs=len(samples), median=percentile(samples, 0.5),
                   low=min(samples), high=max(samples))

    @property
    def spread(self) -> float:
        """Highest minus lowest run, as a fraction of the median (0.08 means ±4 % around it)."""
        return (self.high - self.low) / self.median if self.median else 0.0

    def scaled(self, factor: float) -> "Summary":
        """The same summary in other units (seconds to milliseconds: ``scaled(1000)``)."""
        return Summary(self.runs, self.median * factor, self.low * factor, self.high * factor)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Summary:
    """Run-by-run ratios of two measurements taken side by side, summarised."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios need one denominator per numerator")
    return Summary.of([top / bottom for top, bottom in zip(numerators, denominators, strict=True)])


def latency_percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of individual latencies (not of run medians)."""
    return {name: percentile(samples, fraction)
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
