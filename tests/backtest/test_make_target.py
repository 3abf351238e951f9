"""``make backtest``: the dataset is generated once per parameters, then replayed (dry runs)."""

import os
import subprocess

from tests.harness.pulumi_mocks import REPO_ROOT


def _planned(tmp_path, *variables: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "backtest", f"BACKTEST_DIR={tmp_path}",
         *variables], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
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
