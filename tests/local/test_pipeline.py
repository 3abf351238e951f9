"""The whole pipeline under a labelled workload: verdicts, digests on the topic, the report."""

import json
import subprocess
import sys
import time
from collections import Counter

import pytest
from common.scoring import REASON_CODES
from common.transaction import FRAUD_REASONS, FRAUD_STATUS, NOTIFIED_AT, PENDING, SUSPICIOUS

from local_mode.__main__ import main as local_mode_main
from local_mode.demo import expected_verdicts
from local_mode.outbox import alert_count
from local_mode.workload import EVERYDAY, generate
from shared.api_document import REPO_ROOT
from shared.lambdas import ALERTS_BATCH_SIZE
from shared.outputs import DataOutputs
from tests.local.conftest import digest_transaction_ids, post_workload, wait_for

# Scenarios whose rules reach the SUSPICIOUS score (the card tests from the fifth on).
FLAGGED = {"card-testing", "account-takeover", "stolen-card", "cash-out", "big-ticket",
           "cross-border"}


@pytest.fixture(scope="module")
def workload(local):
    """A labelled workload posted once, and the pipeline drained of it."""
    workload = generate(150, seed=3, now_ms=int(time.time() * 1000))
    post_workload(local, workload.requests)
    ids = {transaction.id for transaction in workload.transactions}

    def drained():
        stored = {i: item for i, item in local.all_transactions().items() if i in ids}
        flagged = [i for i, item in stored.items() if item[FRAUD_STATUS] == SUSPICIOUS]
        notified = {i for digest in local.digests() for i in digest_transaction_ids(digest)}
        # notify-team publishes, then confirms (notifiedAt): drained once both are done.
        analysed = len(stored) == len(ids) and all(
            item[FRAUD_STATUS] != PENDING for item in stored.values())
        done = analysed and set(flagged) <= notified and all(
            NOTIFIED_AT in stored[i] for i in flagged)
        return stored if done else None

    workload.stored = wait_for(drained, "the workload analysed, notified and confirmed")
    return workload


def test_every_verdict_is_what_the_rules_give_on_the_accounts_history(workload):
    for transaction_id, (status, codes) in expected_verdicts(workload).items():
        item = workload.stored[transaction_id]
        assert (item[FRAUD_STATUS], item[FRAUD_REASONS]) == (status, codes), transaction_id


def test_every_fraud_scenario_is_flagged_and_everyday_spending_is_not(workload):
    scenarios = Counter()
    for transaction in workload.transactions:
        item = workload.stored[transaction.id]
        scenarios[transaction.scenario] += 1
        assert set(transaction.meant_to_trip) <= set(item[FRAUD_REASONS]), transaction
        expected = SUSPICIOUS if transaction.meant_to_trip and transaction.scenario in FLAGGED \
            else "CLEAR"
        assert item[FRAUD_STATUS] == expected, (transaction, item)
    assert scenarios[EVERYDAY] > 50
    assert len(scenarios) == 10  # everyday and all nine scenarios took part


def test_each_alert_is_notified_once_in_one_digest_per_batch(local, workload):
    flagged = {i for i, item in workload.stored.items() if item[FRAUD_STATUS] == SUSPICIOUS}
    now = local.all_transactions()
    assert all(NOTIFIED_AT in now[i] for i in flagged)
    digests = local.digests()
    listed = Counter(i for digest in digests for i in digest_transaction_ids(digest))
    assert {i: listed[i] for i in flagged} == dict.fromkeys(flagged, 1)
    for digest in digests:
        assert alert_count(digest) == len(digest_transaction_ids(digest)) <= ALERTS_BATCH_SIZE
        assert digest["TopicArn"] == local.outputs[DataOutputs.NOTIFICATIONS_TOPIC_ARN]
    # One digest per notify-team invocation that had alerts to send, and no other.
    published = [sorted(line["transactionIds"]) for line in local.log_lines("notify-team")
                 if line.get("message") == "Digest published"]
    assert sorted(published) == sorted(sorted(digest_transaction_ids(d)) for d in digests)


def test_make_report_writes_the_days_report_from_the_aggregates(local, workload):
    day = workload.days()[-1]
    result = subprocess.run(  # what `make report DAY=...` runs
        [sys.executable, "-m", "local_mode", "report", "--day", day, "--outbox",
         str(local.outbox)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        check=False)
    assert result.returncode == 0, result.stderr
    folder = local.outbox / "reports" / day.replace("-", "/")
    report = json.loads((folder / "fraud-report.json").read_text(encoding="utf-8"))
    totals = local.day_totals(day)
    assert report["totals"]["transactions"] == totals.transactions
    assert report["totals"]["flagged"] == totals.flagged
    # The stacks' default fraud:model serves a model: the entity rules and MODEL can fire.
    assert [rule["code"] for rule in report["rules"]] == list(REASON_CODES)
    flagged_today = {i for i, item in workload.stored.items()
                     if item[FRAUD_STATUS] == SUSPICIOUS and item.get("flaggedDay") == day}
    assert flagged_today <= {entry["transactionId"] for entry in report["flaggedTransactions"]}
    assert "<svg" in (folder / "fraud-report.html").read_text(encoding="utf-8")
    stored = local.client("s3").head_object(
        Bucket=local.outputs[DataOutputs.REPORTS_BUCKET_NAME],
        Key=f"reports/{day.replace('-', '/')}/fraud-report.html")
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert "fraud-report.html" in result.stdout


def test_make_report_without_a_running_local_mode_says_how_to_start_one(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "local_mode", "report", "--outbox", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "no local mode is running" in result.stderr
    assert "make local" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("day", "message"), [
    ("2026-13-01", "error: DAY 2026-13-01 is not a calendar date (month must be in 1..12)"),
    ("2026-02-30", "error: DAY 2026-02-30 is not a calendar date (day is out of range for month)"),
    ("2026-1-1", "error: DAY must be a date written YYYY-MM-DD, not '2026-1-1'"),
])
def test_make_report_says_whether_the_day_is_misspelt_or_no_date(tmp_path, capsys, day,
                                                                  message):
    assert local_mode_main(["report", "--day", day, "--outbox", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == message
