"""How results.md writes a figure: the median with the runs' range, goals met or missed."""

import pytest

from bench.report import measured, quantity, ratio, summary_rows, unit_price, usd


def test_a_figure_is_its_median_with_the_range_of_its_runs():
    summary = {"runs": 5, "median": 2.3948, "low": 2.33, "high": 2.6614}
    assert measured(summary, "ms", 2) == "2.39 ms (2.33 to 2.66)"
    assert measured({"runs": 5, "median": 46.0, "low": -21.0, "high": 1375.0}, "ms", 0) == \
        "46 ms (-21 to 1,375)"
    assert ratio({"runs": 5, "median": 1.227, "low": 1.056, "high": 1.366}) == \
        "1.23x (1.06 to 1.37)"


@pytest.mark.parametrize(("value", "text"), [
    (0, "$0"), (0.00002, "< $0.0001"), (0.0052, "$0.0052"), (7.0, "$7.00"), (1234.5, "$1,234.50")])
def test_costs_keep_small_amounts_visible(value, text):
    assert usd(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (3.50 / 1e6, "$3.50 per million"), (0.625 / 1e6, "$0.625 per million"),
    (0.0000166667, "$16.67 per million"), (0.01, "$0.01"), (3.0, "$3.00")])
def test_per_request_prices_read_per_million(value, text):
    assert unit_price(value) == text


@pytest.mark.parametrize(("value", "text"), [(2_000_000, "2,000,000"), (2.9412, "2.94"),
                                             (0.019, "0.019"), (0, "0")])
def test_quantities_are_whole_when_large(value, text):
    assert quantity(value) == text


def _cold_row(program, median, function=None, experiment=False):
    return {"program": program, "function": function, "experiment": experiment,
            "ratio": {"runs": 10, "median": median, "low": median - 0.1, "high": median + 0.1}}


def test_the_summary_says_which_goals_are_met_and_leaves_baselines_and_experiments_out():
    results = {
        "api_overhead": {"goal": 1.5, "ratio": {"runs": 5, "median": 1.2, "low": 1.1,
                                                "high": 1.3}},
        "cold_start": {"goal": 1.5, "rows": [
            _cold_row("baseline", 1.0),
            _cold_row("process-transaction", 1.4, "process-transaction"),
            _cold_row("generate-report", 1.6, "generate-report"),
            _cold_row("process-transaction, bytecode", 1.3, "process-transaction", True)]},
    }
    rows = summary_rows(results)
    assert [(row[0], row[3]) for row in rows] == [
        ("API handler overhead (POST / bare PutItem)", "met"),
        ("Cold start, process-transaction / boto3 + one client", "met"),
        ("Cold start, generate-report / boto3 + one client", "missed")]


def _seconds(median):
    return {"runs": 5, "median": median, "low": median - 1, "high": median + 2}


def test_the_backtest_rows_say_whether_a_whole_replay_stays_under_five_minutes():
    first = {"run_seconds": _seconds(140.0), "read_seconds": _seconds(100.0),
             "replay_seconds": _seconds(38.0), "peak_memory_mib": _seconds(520.0)}
    backtest = {"transactions": 1_779_993, "generation_seconds": _seconds(8.0),
                "first_run": first, "next_run": {**first, "run_seconds": _seconds(320.0)},
                "goal_seconds": 300}
    generation, whole, memory, again, _ = summary_rows({"backtest": backtest})
    assert generation == ["Backtest: generate the default dataset (1,779,993 transactions)",
                          "8.0 s (7.0 to 10.0)", "≤ 600 s", "met"]
    assert whole[0].endswith("a file's first run (every row validated)")
    assert whole[1:] == ["140 s (139 to 142): read 100 s, replay 38 s", "< 300 s", "met"]
    assert memory[1] == "520 MiB (519 to 522)"
    assert again[3] == "missed"
