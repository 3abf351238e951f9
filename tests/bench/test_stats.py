"""The benchmarks' statistics: medians, ranges, percentiles and run-by-run ratios."""

import pytest

from bench.stats import Summary, latency_percentiles, percentile, ratios


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([7.0], 0.5, 7.0),
    ([1, 2, 3, 4], 0.5, 2.5),
    ([4, 1, 3, 2], 0.0, 1.0),
    ([4, 1, 3, 2], 1.0, 4.0),
    (list(range(1, 101)), 0.95, 95.05),  # numpy.percentile(range(1, 101), 95)
    ([10, 20, 30, 40, 50], 0.25, 20.0),
])
def test_percentile_interpolates_between_the_closest_ranks(values, fraction, expected):
    assert percentile(values, fraction) == pytest.approx(expected)


def test_percentile_refuses_no_values():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


@pytest.mark.parametrize("fraction", [1.5, -0.1])
def test_percentile_refuses_fractions_outside_0_to_1(fraction):
    with pytest.raises(ValueError, match="not between 0 and 1"):
        percentile([1.0], fraction)


def test_a_summary_is_the_median_and_the_range_of_the_runs():
    summary = Summary.of([3.0, 1.0, 2.0, 10.0, 4.0])
    assert (summary.runs, summary.median, summary.low, summary.high) == (5, 3.0, 1.0, 10.0)
    assert summary.spread == pytest.approx(3.0)
    assert summary.scaled(1000) == Summary(5, 3000.0, 1000.0, 10000.0)
    assert summary.as_dict() == {"runs": 5, "median": 3.0, "low": 1.0, "high": 10.0}


def test_an_even_number_of_runs_has_the_middle_pair_s_mean_as_median():
    assert Summary.of([1.0, 2.0, 4.0, 8.0]).median == 3.0


def test_ratios_pair_each_run_with_its_own_baseline():
    # Run by run: 2/1, 3/2, 8/4 → 2, 1.5, 2; a ratio of medians would give 3/1.5 = 2 too,
    # but only the pairing sees that run 2 was 1.5x.
    summary = ratios([2.0, 3.0, 8.0], [1.0, 2.0, 4.0])
    assert (summary.median, summary.low, summary.high) == (2.0, 1.5, 2.0)


def test_ratios_need_as_many_baselines_as_runs():
    with pytest.raises(ValueError, match="one denominator per numerator"):
        ratios([1.0, 2.0], [1.0])


def test_latency_percentiles_are_of_individual_samples():
    samples = [float(n) for n in range(1, 101)]
    assert latency_percentiles(samples) == pytest.approx({"p50": 50.5, "p95": 95.05,
                                                          "p99": 99.01})
