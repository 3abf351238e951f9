"""``python -m backtest``: its commands, the files they write, and their errors (exit 2)."""

import csv
import json

import pytest

from backtest.__main__ import main
from backtest.generator import Simulation, generate, write_csv
from tests.backtest.data import T0, row, write_rows

WINDOW = ["--from", "2018-04-20", "--to", "2018-04-26", "--label-delay-days", "7"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "data.csv"
    write_csv(generate(Simulation(customers=300, terminals=600, days=30, seed=4)), path)
    return path


def _run(data, tmp_path, *extra):
    return main(["run", "--data", str(data), *WINDOW, "--scores", str(tmp_path / "scores.csv"),
                 *extra])


def test_generate_writes_the_dataset_and_says_what_is_in_it(tmp_path, capsys):
    out = tmp_path / "bench.csv"
    assert main(["generate", "--days", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert printed.startswith(f"Wrote {out}: {len(lines) - 1:,} transactions over 2 days "
                              "from 2018-04-01 (seed 3), ")
    assert "scenario 1: " in printed


def test_run_writes_one_score_per_transaction_of_the_window_and_prints_the_figures(
        data, tmp_path, capsys):
    report = tmp_path / "report.html"
    assert _run(data, tmp_path, "--report", str(report)) == 0
    printed = capsys.readouterr().out
    with (tmp_path / "scores.csv").open(encoding="utf-8") as scores:
        rows = list(csv.DictReader(scores))
    assert list(rows[0]) == ["transactionId", "score", "status", "reasons"]
    assert {r["status"] for r in rows} <= {"CLEAR", "SUSPICIOUS"}
    assert all(0 <= int(r["score"]) <= 100 for r in rows)
    flagged = [r for r in rows if r["reasons"]]
    assert flagged
    assert all(set(r["reasons"].split("|")) <= {"HIGH_AMOUNT", "VELOCITY", "GEO_JUMP",
                                                  "AMOUNT_SPIKE", "HIGH_RISK_MCC"}
               for r in flagged)
    with data.open(encoding="utf-8") as source:
        in_window = {r["transactionId"] for r in csv.DictReader(source)
                     if 1_524_182_400_000 <= int(r["timestamp"]) < 1_524_787_200_000}
    assert {r["transactionId"] for r in rows} == in_window
    assert f"{len(rows):,} scored" in printed
    for figure in ("AUC ROC", "Average precision", "Card precision@100",
                   "SUSPICIOUS (score >= 50)", "AMOUNT_SPIKE"):
        assert figure in printed
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") == 3
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no assets


def test_rule_overrides_change_the_verdicts(data, tmp_path, capsys):
    assert _run(data, tmp_path, "--set", 'ruleOverrides={"highAmount": 220}') == 0
    assert 'rules: {"highAmount": 220}' in capsys.readouterr().out
    with (tmp_path / "scores.csv").open(encoding="utf-8") as scores:
        assert any("HIGH_AMOUNT" in r["reasons"] for r in csv.DictReader(scores))


@pytest.mark.parametrize(("arguments", "message"), [
    (["--set", "ruleOverrides={\"highAmont\": 5}"], "unknown key 'highAmont'"),
    (["--set", "ruleOverrides={\"velocityWeight\": 500}"], "velocityWeight = 500 is invalid"),
    (["--set", "ruleOverrides=[1]"], "expected a JSON object"),
    (["--set", "stage=prod"], "--set takes KEY=VALUE with KEY one of ruleOverrides"),
    (["--set", "ruleOverrides={}", "--set", "ruleOverrides={}"], "given twice"),
    (["--model", "missing.json"], "--model: missing.json: cannot read a model artifact"),
])
def test_bad_run_settings_are_refused_with_exit_2(data, tmp_path, capsys, arguments, message):
    assert _run(data, tmp_path, *arguments) == 2
    error = capsys.readouterr().err
    assert error.startswith("python -m backtest run: error: ")
    assert message in error
    assert not (tmp_path / "scores.csv").exists()


def test_a_window_without_transactions_is_an_error(data, tmp_path, capsys):
    assert main(["run", "--data", str(data), "--from", "2019-01-01", "--to", "2019-01-07",
                 "--label-delay-days", "7", "--scores", str(tmp_path / "s.csv")]) == 2
    assert "no transactions from 2019-01-01 to 2019-01-07" in capsys.readouterr().err


def test_a_window_ending_before_it_starts_is_an_error(data, tmp_path, capsys):
    assert main(["run", "--data", str(data), "--from", "2018-04-26", "--to", "2018-04-20",
                 "--label-delay-days", "7", "--scores", str(tmp_path / "s.csv")]) == 2
    assert "--from 2018-04-26 is after --to 2018-04-20" in capsys.readouterr().err


def test_a_bad_row_stops_the_run_naming_its_line(tmp_path, capsys):
    data = write_rows(tmp_path / "bad.csv", [row(1, timestamp=T0),
                                             {**row(2, timestamp=T0), "amount": "0"}])
    assert main(["run", "--data", str(data), *WINDOW, "--scores", str(tmp_path / "s.csv")]) == 2
    assert "line 3: amount: must be bigger than or equal to 0.01" in capsys.readouterr().err


@pytest.mark.parametrize(("arguments", "message"), [
    (["--from", "2018-13-01"], "'2018-13-01' is not a day as YYYY-MM-DD"),
    (["--label-delay-days", "-1"], "is not a whole number of days from 0 to 365"),
    (["--label-delay-days", "400"], "is not a whole number of days from 0 to 365"),
])
def test_bad_arguments_are_usage_errors(tmp_path, capsys, arguments, message):
    base = {"--data": "x.csv", "--from": "2018-04-20", "--to": "2018-04-26",
            "--label-delay-days": "7", "--scores": str(tmp_path / "s.csv")}
    base.update(dict(zip(arguments[::2], arguments[1::2], strict=True)))
    with pytest.raises(SystemExit) as exited:
        main(["run", *[part for pair in base.items() for part in pair]])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_missing_data_file_is_an_error(tmp_path, capsys):
    assert main(["run", "--data", str(tmp_path / "none.csv"), *WINDOW,
                 "--scores", str(tmp_path / "s.csv")]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err


def test_train_writes_a_model_that_run_serves_with_model_reasons(data, tmp_path, capsys):
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(data), "--from", "2018-04-10", "--to", "2018-04-16",
                 "--label-delay-days", "7", "--model", str(model)]) == 0
    artifact = json.loads(model.read_text(encoding="utf-8"))
    assert capsys.readouterr().out.startswith(f"Wrote {model}: {artifact['modelVersion']}, "
                                              "50 trees on ")
    assert _run(data, tmp_path, "--model", str(model)) == 0
    assert f"({artifact['modelVersion']}, 50 trees)" in capsys.readouterr().out
    with (tmp_path / "scores.csv").open(encoding="utf-8") as scores:
        assert any("MODEL" in r["reasons"] for r in csv.DictReader(scores))


def test_train_refuses_a_window_without_frauds(tmp_path, capsys):
    data = write_rows(tmp_path / "genuine.csv", [row(n, timestamp=T0 + n) for n in range(5)])
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(data), "--from", "2018-08-08", "--to", "2018-08-08",
                 "--label-delay-days", "7", "--model", str(model)]) == 2
    assert "needs both fraud and genuine transactions" in capsys.readouterr().err
    assert not model.exists()


def test_the_json_of_the_overrides_is_the_deployments(data, tmp_path, capsys):
    # The same text fraud:ruleOverrides takes: decimals stay exact.
    overrides = json.dumps({"amountSpikeMultiplier": 2.5, "highRiskMccs": ["7995"]})
    assert _run(data, tmp_path, "--set", f"fraud:ruleOverrides={overrides}") == 0
    assert overrides in capsys.readouterr().out


def test_an_unwritable_output_is_an_error(data, tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    assert main(["run", "--data", str(data), *WINDOW,
                 "--scores", str(blocked / "scores.csv")]) == 2
    assert f"{blocked}: File exists" in capsys.readouterr().err


def test_the_report_escapes_what_it_shows(data, tmp_path, capsys):
    odd = tmp_path / "<b>data.csv"
    odd.write_bytes(data.read_bytes())
    report = tmp_path / "report.html"
    assert main(["run", "--data", str(odd), *WINDOW, "--scores", str(tmp_path / "s.csv"),
                 "--report", str(report)]) == 0
    html = report.read_text(encoding="utf-8")
    assert "<b>data" not in html
    assert "&lt;b&gt;data.csv" in html
