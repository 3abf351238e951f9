"""``make backtest``: the dataset is generated once per parameters, then replayed (dry runs)."""

import os
import subprocess

from tests.harness.pulumi_mocks import REPO_ROOT


def _make(tmp_path, target: str, *variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"BACKTEST_DIR={tmp_path}", *variables],
        cwd=REPO_ROOT, capture_output=True, text=True)


def _planned(tmp_path, *variables: str, target: str = "backtest") -> str:
    result = _make(tmp_path, target, *variables)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_dataset_is_generated_once_then_only_replayed(tmp_path):
    planned = _planned(tmp_path)
    data = tmp_path / "handbook-183days-seed0.csv"
    assert f"-m backtest generate --days 183 --seed 0 --out {data}" in planned
    assert (f"-m backtest run --data {data} --from 2018-08-08 --to 2018-08-14 "
            "\\\n\t--label-delay-days 7") in planned
    data.write_text("cached", encoding="utf-8")  # newer than the generator
    planned = _planned(tmp_path)
    assert "backtest generate" not in planned
    assert "backtest run" in planned


def test_other_parameters_are_another_dataset_and_overrides_reach_the_run(tmp_path):
    (tmp_path / "handbook-183days-seed0.csv").write_text("cached", encoding="utf-8")
    planned = _planned(tmp_path, "BACKTEST_SEED=4", "BACKTEST_DAYS=60")
    assert f"--days 60 --seed 4 --out {tmp_path}/handbook-60days-seed4.csv" in planned
    planned = _planned(tmp_path, 'BACKTEST_RULES={"highAmount": 220}')
    assert '--set "ruleOverrides=$BACKTEST_RULES"' in planned


def test_an_older_dataset_than_the_generator_is_made_again(tmp_path):
    data = tmp_path / "handbook-183days-seed0.csv"
    data.write_text("stale", encoding="utf-8")
    generator = REPO_ROOT / "backtest" / "generator.py"
    older = generator.stat().st_mtime - 60
    os.utime(data, (older, older))
    assert "backtest generate" in _planned(tmp_path)


def test_each_later_week_trains_on_its_own_shifted_week_then_replays_three_scorers(tmp_path):
    data = tmp_path / "handbook-183days-seed0.csv"
    data.write_text("cached", encoding="utf-8")
    planned = _planned(tmp_path, "BACKTEST_WEEKS=2018-08-15 2018-09-05", target="backtest-weeks")
    run = f"-m backtest run --data {data}"
    assert "backtest generate" not in planned
    for start, train_from, train_to, last in (("2018-08-15", "2018-08-01", "2018-08-07",
                                                "2018-08-21"),
                                               ("2018-09-05", "2018-08-22", "2018-08-28",
                                                "2018-09-11")):
        model = tmp_path / f"model-{start}.json"
        assert (f"-m backtest train --data {data} --from {train_from} --to {train_to} "
                f"--label-delay-days 7 --model {model}") in planned
        week = f"{run} --from {start} --to {last} --label-delay-days 7"
        assert (f"{week} --model {model}  "
                f"--scores {tmp_path}/scores-{start}-retrained.csv") in planned
        assert (f"{week} --model functions/detect_fraud/model.json  "
                f"--scores {tmp_path}/scores-{start}-shipped.csv") in planned
        assert f"{week}  --scores {tmp_path}/scores-{start}-rules.csv" in planned
    assert planned.count("backtest train") == 2
    assert planned.count("backtest run") == 6


def test_a_week_that_is_not_a_day_stops_before_anything_runs(tmp_path):
    result = _make(tmp_path, "backtest-weeks", "BACKTEST_WEEKS=2018-08-15 2018-13-01")
    assert result.returncode == 2
    assert "BACKTEST_WEEKS: '2018-13-01' is not a day as YYYY-MM-DD" in result.stderr
    assert "backtest generate" not in result.stdout
    assert "backtest train" not in result.stdout
