"""generate-report: the day's report equals ground truth, is idempotent, and never scans."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from common import json_codec
from common.rules import RULE_CODES
from common.stats import StatsDelta, shard_for, stats_key, update_action
from common.transaction import to_item
from generate_report.report import InvalidReportRequest, report_day, report_keys

from shared.outputs import DataOutputs
from tests.functions.aws_calls import AwsCalls
from tests.functions.conftest import empty_data_layer, handler, lambda_context
from tests.functions.pipeline import DAY, analyse, store

DAY_START = 1_714_521_600_000  # 2024-05-01T00:00:00Z
MINUTE = 60_000
HOSTILE_MERCHANT = '<script>alert("x")</script> & co'


def generated_day():
    """A day of traffic whose verdicts are known by construction, with its labels.

    Regular accounts pay 10.00 to 40.00 every 71 minutes in one country (no rule can fire:
    amounts stay under 5 times the mean, no two within a minute, never a country change);
    some of their payments are at high-risk merchants (25 points: counted, not flagged).
    Each injected fraud comes from a fresh account: a high amount (HIGH_AMOUNT), sometimes
    at a high-risk merchant as well.
    """
    items, labels = [], {}
    for account in range(8):
        for n in range(20):
            timestamp = DAY_START + account * 3 * MINUTE + n * 71 * MINUTE + 1
            number = account * 100 + n
            risky = n % 7 == 5
            items.append({
                "transactionId": f"reg-{number:05d}", "accountId": f"acct-{account:03d}",
                "amount": Decimal(10 + (number * 7) % 30) + Decimal("0.25"),
                "currency": "USD" if account % 3 == 0 else "EUR",
                "merchantId": f"shop-{n % 5}", "merchantCategory": "7995" if risky else "5411",
                "country": "DE", "timestamp": timestamp, "fraudStatus": "PENDING"})
            labels[items[-1]["transactionId"]] = ["HIGH_RISK_MCC"] if risky else []
    for n in range(9):
        risky = n % 3 == 0
        items.append({
            "transactionId": f"fraud-{n:03d}", "accountId": f"mule-{n % 4:03d}-{n}",
            "amount": Decimal("15000.99") + n, "currency": "EUR",
            "merchantId": HOSTILE_MERCHANT if n == 4 else f"fence-{n}",
            "merchantCategory": "6051" if risky else "5732", "country": "NL",
            "timestamp": DAY_START + n * 150 * MINUTE + 17, "fraudStatus": "PENDING"})
        labels[items[-1]["transactionId"]] = ["HIGH_AMOUNT"] + (["HIGH_RISK_MCC"] if risky else [])
    return items, labels


def expected_report(items, labels):
    """The report computed from the generated data alone."""
    flagged = sorted((i for i in items if "HIGH_AMOUNT" in labels[i["transactionId"]]),
                     key=lambda i: (i["timestamp"], i["transactionId"]))
    amounts, hourly, hits = defaultdict(Decimal), Counter(), Counter()
    flagged_hourly = Counter()
    for item in items:
        amounts[item["currency"]] += item["amount"]
        hour = (item["timestamp"] - DAY_START) // (60 * MINUTE)
        hourly[hour] += 1
        flagged_hourly[hour] += item in flagged
        hits.update(labels[item["transactionId"]])
    return {
        "transactions": len(items), "flagged": len(flagged),
        "rate": (Decimal(100 * len(flagged)) / len(items)).quantize(Decimal("0.01")),
        "amounts": dict(amounts), "rules": {code: hits[code] for code in RULE_CODES},
        "hourly": [[hourly[h], flagged_hourly[h]] for h in range(24)],
        "flagged_ids": [i["transactionId"] for i in flagged],
    }


def read(session, outputs, key):
    s3 = session.client("s3")
    return s3.get_object(Bucket=outputs[DataOutputs.REPORTS_BUCKET_NAME], Key=key)


def generate(report_app, context, day=DAY):
    return report_app.lambda_handler({"day": day}, context)


@dataclass
class Generated:
    """A generated day run through detect-fraud, then its report generated twice."""

    items: list[dict]
    labels: dict[str, list[str]]
    summaries: list[dict]  # what each run returned
    bodies: list[dict[str, bytes]]  # each run's objects, by key
    put_requests: list[dict]  # the PutObject parameters of both runs
    listed_keys: list[str]
    objects: dict[str, dict]  # GetObject of each key after the second run (body read)


@pytest.fixture(scope="module")
def generated(handlers, data_layer, session):
    """Built once for the module: moto makes the 170-transaction pipeline run take seconds."""
    empty_data_layer(session, data_layer)
    detect_app, report_app = handler(handlers, "detect_fraud"), handler(handlers, "generate_report")
    context = lambda_context()
    items, labels = generated_day()
    store(session, data_layer, items)
    ordered = sorted(items, key=lambda i: i["timestamp"])
    for start in range(0, len(ordered), 100):
        assert analyse(detect_app, context, ordered[start:start + 100],
                       first_sequence=10_000 + start) == []
    put_requests, summaries, bodies = [], [], []
    report_app.s3.meta.events.register("before-parameter-build.s3.PutObject",
                                       lambda params, **_: put_requests.append(params),
                                       unique_id="test-record-puts")
    try:
        for _ in range(2):
            summaries.append(generate(report_app, context))
            bodies.append({key: read(session, data_layer, summaries[-1][key])["Body"].read()
                           for key in ("jsonKey", "htmlKey")})
    finally:
        report_app.s3.meta.events.unregister("before-parameter-build.s3.PutObject",
                                             unique_id="test-record-puts")
    bucket = data_layer[DataOutputs.REPORTS_BUCKET_NAME]
    listed = session.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    objects = {}
    for key in ("jsonKey", "htmlKey"):
        response = read(session, data_layer, summaries[-1][key])
        objects[key] = {**response, "Body": response["Body"].read()}
    return Generated(items, labels, summaries, bodies, put_requests,
                     sorted(o["Key"] for o in listed), objects)


def test_the_report_of_a_generated_day_equals_ground_truth(generated):
    expected = expected_report(generated.items, generated.labels)
    assert generated.summaries[0]["jsonKey"] == "reports/2024/05/01/fraud-report.json"
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    totals = report["totals"]
    assert (totals["transactions"], totals["flagged"]) == (
        expected["transactions"], expected["flagged"])
    assert totals["flaggedRatePercent"] == expected["rate"]
    assert totals["amountByCurrency"] == expected["amounts"]
    assert report["rules"] == expected["rules"]
    assert [[h["transactions"], h["flagged"]] for h in report["hourly"]] == expected["hourly"]
    assert [t["transactionId"] for t in report["flaggedTransactions"]] == expected["flagged_ids"]
    assert {t["transactionId"]: t["reasons"] for t in report["flaggedTransactions"]} == {
        tid: generated.labels[tid] for tid in expected["flagged_ids"]}
    assert [a["flagged"] for a in report["topAccounts"]] == [1] * 9


def test_the_html_is_self_contained_escaped_and_charts_every_hour(generated):
    page = generated.objects["htmlKey"]
    html = page["Body"].decode()
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert "<svg" in html
    assert html.count("<rect") == 48  # transactions and flagged for each of 24 hours
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"]
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert HOSTILE_MERCHANT not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html


def test_regenerating_a_day_overwrites_the_same_objects_with_the_same_content(generated):
    first, second = generated.summaries
    assert second == first
    assert generated.bodies[1] == generated.bodies[0]
    assert generated.listed_keys == sorted(report_keys(DAY))


def test_reports_are_encrypted_with_the_project_key(generated, data_layer):
    key_arn = data_layer[DataOutputs.KMS_KEY_ARN]
    assert [(p["ServerSideEncryption"], p["SSEKMSKeyId"]) for p in generated.put_requests] == [
        ("aws:kms", key_arn)] * 4
    for stored_object in generated.objects.values():
        assert stored_object["ServerSideEncryption"] == "aws:kms"
        assert stored_object["SSEKMSKeyId"] == key_arn


def test_a_day_without_traffic_is_an_empty_report(report_app, context, session, outputs):
    summary = generate(report_app, context, "2024-02-29")
    report = json_codec.loads(read(session, outputs, summary["jsonKey"])["Body"].read())
    assert report["totals"] == {"transactions": 0, "flagged": 0,
                                "flaggedRatePercent": Decimal("0.00"), "amountByCurrency": {}}
    assert report["flaggedTransactions"] == []


@pytest.mark.parametrize(("event", "day"), [
    ({"day": "2024-05-01"}, "2024-05-01"),
    ({}, "2024-03-14"),
    ({"version": "0", "detail-type": "Scheduled Event", "detail": {}}, "2024-03-14"),
])
def test_the_day_defaults_to_yesterday_utc(event, day):
    assert report_day(event, date(2024, 3, 15)) == day


@pytest.mark.parametrize("bad", ["2024-5-1", "2024-02-30", "yesterday", 20240501, ""])
def test_a_malformed_day_is_a_clear_error(report_app, context, bad):
    with pytest.raises(InvalidReportRequest, match='"day"'):
        report_app.lambda_handler({"day": bad}, context)


# ---- calls do not grow with traffic ----

def _write_day(session, outputs, count, first, flagged):
    """``count`` more transactions of DAY as the pipeline leaves them: analysed items, stats."""
    dynamodb = session.client("dynamodb")
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    deltas = defaultdict(StatsDelta)
    requests = []
    for n in range(first, first + count):
        item = {"transactionId": f"bulk-{n:06d}", "accountId": f"acct-{n % 500:04d}",
                "amount": Decimal("12.34"), "currency": "EUR", "merchantId": "shop",
                "merchantCategory": "5411", "country": "DE",
                "timestamp": DAY_START + n * 8_000, "fraudStatus": "CLEAR", "fraudScore": 0,
                "fraudReasons": [], "analyzedAt": "2024-05-01T12:00:00.000Z"}
        if n in flagged:
            item |= {"fraudStatus": "SUSPICIOUS", "fraudScore": 60,
                     "fraudReasons": ["HIGH_AMOUNT"], "flaggedDay": DAY,
                     "amount": Decimal("20000.00")}
        deltas[stats_key(item["timestamp"], shard_for(str(n // 100)))].add(
            item["currency"], item["amount"], n in flagged, item["fraudReasons"])
        requests.append({"PutRequest": {"Item": to_item(item)}})
    for start in range(0, len(requests), 25):
        dynamodb.batch_write_item(RequestItems={table: requests[start:start + 25]})
    for key, delta in deltas.items():
        dynamodb.update_item(**update_action(outputs[DataOutputs.STATS_TABLE_NAME], key, delta))


def test_the_report_makes_the_same_calls_for_1000_and_10000_transactions(
        report_app, context, session, outputs):
    flagged = set(range(0, 1000, 40))  # the same 25 flagged transactions in both days
    _write_day(session, outputs, 1000, 0, flagged)
    with AwsCalls(report_app.dynamodb, report_app.s3) as small:
        assert generate(report_app, context)["transactions"] == 1000
    _write_day(session, outputs, 9000, 1000, flagged)
    with AwsCalls(report_app.dynamodb, report_app.s3) as large:
        summary = generate(report_app, context)
    assert (summary["transactions"], summary["flagged"]) == (10_000, 25)
    assert large.counts == small.counts
    assert dict(large.counts) == {"DynamoDB.Query": 2, "S3.PutObject": 2}
