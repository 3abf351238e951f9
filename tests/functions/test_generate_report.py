"""generate-report: the day's report equals ground truth, is idempotent, and never scans."""

import importlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from common import json_codec
from common.clock import iso
from common.environment import (
    MODEL_IN_FORCE,
    REFERENCE_CURRENCY,
    REPORT_ACCOUNT_IDS,
    RULE_OVERRIDES,
)
from common.privacy import mask_account
from common.rules import ENTITY_RULE_CODES, RULE_CODES, RuleConfig, as_overrides
from common.scoring import MODEL
from common.stats import StatsDelta, shard_for, stats_key, update_action
from common.transaction import to_item
from generate_report.html import axis_ticks, render_html
from generate_report.report import InvalidReportRequest, build_report, report_day, report_keys

from shared.lambdas import GENERATE_REPORT, runtime_environment
from shared.outputs import DataOutputs
from shared.settings import parse_settings
from tests.functions.aws_calls import AwsCalls
from tests.functions.conftest import empty_data_layer, handler, lambda_context, started_with
from tests.functions.events import api_event
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


# What analysts and chargebacks said of some of the day's transactions, in order, through
# PUT /transactions/{id}/label: reg-00002 is a fraud the rules missed (CLEAR), reg-00004 too,
# labelled before its verdict; reg-00003 was labelled FRAUD, then GENUINE.
LABELS_BEFORE_VERDICTS = [("reg-00004", "FRAUD")]
LABELS_AFTER_VERDICTS = [*((f"fraud-{n:03d}", "FRAUD") for n in range(5)),
                         ("fraud-005", "GENUINE"), ("reg-00001", "GENUINE"),
                         ("reg-00002", "FRAUD"), ("reg-00003", "FRAUD"), ("reg-00003", "GENUINE")]
LABELS = dict(LABELS_BEFORE_VERDICTS + LABELS_AFTER_VERDICTS)  # the labels that stay
MISSED = ["reg-00002", "reg-00004"]  # CLEAR, labelled FRAUD, by time
WEIGHTS = {"HIGH_AMOUNT": 60, "HIGH_RISK_MCC": 25}  # the default weights of the rules used


def expected_report(items, labels):
    """The report computed from the generated data alone."""
    def score(item):
        return sum(WEIGHTS[code] for code in labels[item["transactionId"]])

    flagged = sorted((i for i in items if "HIGH_AMOUNT" in labels[i["transactionId"]]),
                     key=lambda i: (-score(i), i["timestamp"], i["transactionId"]))
    amounts, flagged_amounts = defaultdict(Decimal), defaultdict(Decimal)
    hourly, flagged_hourly, hits, flagged_hits = Counter(), Counter(), Counter(), Counter()
    for item in items:
        amounts[item["currency"]] += item["amount"]
        hour = (item["timestamp"] - DAY_START) // (60 * MINUTE)
        hourly[hour] += 1
        flagged_hourly[hour] += item in flagged
        hits.update(labels[item["transactionId"]])
        if item in flagged:
            flagged_amounts[item["currency"]] += item["amount"]
            flagged_hits.update(labels[item["transactionId"]])
    return {
        "transactions": len(items), "flagged": len(flagged),
        "rate": (Decimal(100 * len(flagged)) / len(items)).quantize(Decimal("0.01")),
        "amounts": dict(amounts), "flagged_amounts": dict(flagged_amounts),
        "rules": {code: (flagged_hits[code], hits[code])
                  for code in RULE_CODES},
        "hourly": [[hourly[h], flagged_hourly[h]] for h in range(24)],
        "flagged_ids": [i["transactionId"] for i in flagged],
        "scores": [score(i) for i in flagged],
        "flagged_accounts": [i["accountId"] for i in flagged],
    }


def read(session, outputs, key):
    s3 = session.client("s3")
    return s3.get_object(Bucket=outputs[DataOutputs.REPORTS_BUCKET_NAME], Key=key)


def generate(report_app, context, day=DAY):
    return report_app.lambda_handler({"day": day}, context)


def _label(process_app, context, labels):
    for transaction_id, label in labels:
        response = process_app.lambda_handler(api_event(
            "PUT", f"/transactions/{transaction_id}/label",
            json_codec.dumps({"label": label, "source": "CHARGEBACK"}),
            path_parameters={"id": transaction_id}, resource="/transactions/{id}/label"), context)
        assert response["statusCode"] == 200, response["body"]


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
    process_app = handler(handlers, "process_transaction")
    context = lambda_context()
    items, labels = generated_day()
    store(session, data_layer, items)
    _label(process_app, context, LABELS_BEFORE_VERDICTS)
    ordered = sorted(items, key=lambda i: i["timestamp"])
    for start in range(0, len(ordered), 100):
        assert analyse(detect_app, context, ordered[start:start + 100],
                       first_sequence=10_000 + start) == []
    _label(process_app, context, LABELS_AFTER_VERDICTS)
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
    assert totals["flaggedAmountByCurrency"] == expected["flagged_amounts"] == {
        "EUR": sum(Decimal("15000.99") + n for n in range(9))}
    assert [[h["transactions"], h["flagged"]] for h in report["hourly"]] == expected["hourly"]
    assert {t["transactionId"]: t["reasons"] for t in report["flaggedTransactions"]} == {
        tid: generated.labels[tid] for tid in expected["flagged_ids"]}
    assert [a["flagged"] for a in report["topAccounts"]] == [1] * 9


def test_alert_quality_counts_the_labels_of_the_flagged(generated):
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    # 5 of the 9 flagged labelled FRAUD, 1 GENUINE; of the clear ones, 2 labelled FRAUD (missed)
    # and 2 GENUINE (one of them FRAUD before), which no figure counts.
    assert report["alertQuality"] == {"labelledFraud": 5, "labelledGenuine": 1,
                                      "unlabelled": 3, "precisionPercent": Decimal("83.33"),
                                      "missedFraud": 2, "recallPercent": Decimal("71.43")}
    assert {t["transactionId"]: t["label"] for t in report["flaggedTransactions"]
            if t["label"]} == {k: v for k, v in LABELS.items() if k.startswith("fraud-")}
    assert not {row["transactionId"] for row in report["missedFrauds"]["transactions"]} & {
        t["transactionId"] for t in report["flaggedTransactions"]}
    html = generated.objects["htmlKey"]["Body"].decode()
    assert "Precision: 83.33 % of the labelled flagged transactions are fraud." in html
    assert "71.43 % of the labelled frauds were flagged" in html


def test_the_labelled_frauds_the_rules_missed_are_listed(generated):
    """CLEAR and labelled FRAUD: listed, the one labelled before its verdict too; labelled
    GENUINE, or FRAUD then GENUINE: not; flagged and labelled FRAUD: in alert quality only."""
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    missed = report["missedFrauds"]
    assert (missed["count"], missed["awaitingVerdict"]) == (2, 0)
    assert [row["transactionId"] for row in missed["transactions"]] == MISSED
    by_id = {item["transactionId"]: item for item in generated.items}
    first = missed["transactions"][0]
    source = by_id["reg-00002"]
    assert first == {
        "transactionId": "reg-00002", "time": iso(source["timestamp"]),
        "accountId": mask_account(source["accountId"]), "amount": source["amount"],
        "currency": source["currency"], "merchantId": source["merchantId"],
        "merchantCategory": source["merchantCategory"], "country": "DE", "score": 0,
        "reasons": [], "analyzedAt": first["analyzedAt"], "labelSource": "CHARGEBACK",
        "labelledAt": first["labelledAt"]}
    assert first["analyzedAt"] < first["labelledAt"]
    assert generated.summaries[0]["missedFrauds"] == 2
    html = generated.objects["htmlKey"]["Body"].decode()
    section = html[html.index('<h2 id="missed">Labelled frauds the rules missed</h2>'):
                   html.index('<h2 id="hourly">')]
    assert re.findall(r"reg-\d{5}", section) == MISSED
    assert source["accountId"] not in section


def test_rule_hits_are_counted_among_flagged_and_among_all(generated):
    """A high-risk merchant alone (25) flags nothing: its hits among all transactions exceed
    those among flagged ones, and both are reported, as what they are."""
    expected = expected_report(generated.items, generated.labels)
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    counts = {rule["code"]: (rule["hitsAmongFlagged"], rule["hitsAmongAll"])
              for rule in report["rules"]}
    assert counts == expected["rules"]
    assert counts["HIGH_RISK_MCC"] == (3, 3 + 8 * 3)  # 3 frauds; 3 of each regular's 20
    assert counts["HIGH_AMOUNT"] == (9, 9)


def test_flagged_transactions_come_highest_score_first(generated):
    expected = expected_report(generated.items, generated.labels)
    flagged = json_codec.loads(generated.objects["jsonKey"]["Body"])["flaggedTransactions"]
    assert [t["transactionId"] for t in flagged] == expected["flagged_ids"]
    assert [t["score"] for t in flagged] == expected["scores"] == [85] * 3 + [60] * 6


FIVE_RULES = [
    ("HIGH_AMOUNT", "amount ≥ 10000 EUR", 60),
    ("VELOCITY", "5th or later transaction of the account within 60 s", 60),
    ("GEO_JUMP", "previous transaction in another country less than 3600 s earlier", 60),
    ("AMOUNT_SPIKE", "amount ≥ 5 times the mean of the last 20 (given ≥ 3 earlier)", 30),
    ("HIGH_RISK_MCC", "merchant category 7995, 6051, 4829, 5967", 25)]
WITH_A_MODEL = [
    ("MERCHANT_RISK", "with a model: the merchant's labelled fraud rate ≥ 0.1 over the 30 "
                      "days before the label delay (given ≥ 20 transactions)", 0),
    ("SPEND_DEVIATION", "with a model: amount ≥ 3 times the account's mean over 30 days "
                        "(given ≥ 20 earlier)", 0),
    ("MODEL", "with a model, once it judges (the account has ≥ 5 transactions on earlier "
              "days, or the merchant has labels): its fraud probability times 100, rounded, "
              "from 1; rules weighing under 50 are then left to it", None)]


def html_rule_codes(html):
    """The codes of the HTML report's rules in force, in their order."""
    section = html[html.index('<h2 id="rules">'):html.index('<h2 id="accounts">')]
    return re.findall(r'<tr><td class="keep">([A-Z_]+)</td>', section)


def test_the_report_states_when_it_was_made_and_the_rules_in_force(generated):
    """detect-fraud ran without a model (MODEL unset: none), and so did the report."""
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    assert report["generatedAt"] == generated.put_requests[-1]["Metadata"]["generated-at"]
    assert report["ruleConfig"] == as_overrides(RuleConfig())
    assert report["suspiciousScore"] == 50
    assert [(r["code"], r["firesWhen"], r["weight"]) for r in report["rules"]] == FIVE_RULES
    html = generated.objects["htmlKey"]["Body"].decode()
    assert f"Generated {report['generatedAt']}" in html
    assert "amount ≥ 10000 EUR" in html
    assert html_rule_codes(html) == list(RULE_CODES)


@pytest.mark.parametrize(("model", "rules"), [("none", FIVE_RULES),
                                              ("default", FIVE_RULES + WITH_A_MODEL)])
def test_the_rules_in_force_have_the_model_s_rows_only_with_a_model(
        report_app, monkeypatch, context, session, outputs, model, rules):
    """fraud:model none: only the five rules can fire, so the report lists no entity rule and
    no MODEL row; with a model it lists them, the model weighing its probability."""
    settings = parse_settings({"model": model}, stack="dev")
    with started_with(report_app, monkeypatch,
                      runtime_environment(GENERATE_REPORT, settings)) as app:
        summary = generate(app, context, "2024-02-29")
    report = json_codec.loads(read(session, outputs, summary["jsonKey"])["Body"].read())
    html = read(session, outputs, summary["htmlKey"])["Body"].read().decode()
    assert [(r["code"], r["firesWhen"], r["weight"]) for r in report["rules"]] == rules
    assert html_rule_codes(html) == [code for code, _, _ in rules]
    with_model = model != "none"
    assert ({*ENTITY_RULE_CODES, MODEL} <= {r["code"] for r in report["rules"]}) is with_model
    assert ('<td class="number keep">its probability</td>' in html) is with_model


def test_a_bad_model_in_force_stops_the_function_at_start(report_app, monkeypatch):
    refused = pytest.raises(ValueError, match="MODEL_IN_FORCE must be true or false "
                                              r"\(whether fraud:model is not none\), not 'yes'")
    with refused, started_with(report_app, monkeypatch, {MODEL_IN_FORCE: "yes"}):
        pass


def test_account_ids_are_masked_in_both_reports_by_default(generated):
    expected = expected_report(generated.items, generated.labels)
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    assert report["accountIds"] == "masked"
    assert [t["accountId"] for t in report["flaggedTransactions"]] == [
        mask_account(account) for account in expected["flagged_accounts"]]
    assert {a["accountId"] for a in report["topAccounts"]} == {
        mask_account(account) for account in expected["flagged_accounts"]}
    for body in (generated.objects["jsonKey"]["Body"], generated.objects["htmlKey"]["Body"]):
        text = body.decode()
        assert not [item["accountId"] for item in generated.items
                    if item["accountId"] in text]


@pytest.fixture
def risk_team_report_app(report_app, monkeypatch):
    """generate-report started as the compute stack starts it with
    ``fraud:reportAccountIds=full``, rule overrides and another reference currency."""
    with started_with(report_app, monkeypatch, {
            REPORT_ACCOUNT_IDS: "full", REFERENCE_CURRENCY: "USD",
            RULE_OVERRIDES: '{"highAmount": 500, "highRiskMccs": ["7995"]}'}) as app:
        yield app


def test_the_risk_teams_copy_shows_whole_account_ids_and_the_overrides(
        risk_team_report_app, context, session, outputs):
    item = {"transactionId": "risk-1", "accountId": "acct-whole-1234", "amount": Decimal("900"),
            "currency": "EUR", "merchantId": "m", "merchantCategory": "5411", "country": "DE",
            "timestamp": DAY_START + MINUTE, "fraudStatus": "SUSPICIOUS", "fraudScore": 60,
            "fraudReasons": ["HIGH_AMOUNT"], "analyzedAt": "2024-05-01T00:01:01.000Z",
            "flaggedDay": DAY}
    session.client("dynamodb").put_item(TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME],
                                        Item=to_item(item))
    summary = generate(risk_team_report_app, context)
    report = json_codec.loads(read(session, outputs, summary["jsonKey"])["Body"].read())
    html = read(session, outputs, summary["htmlKey"])["Body"].read().decode()
    assert report["accountIds"] == "full"
    assert report["flaggedTransactions"][0]["accountId"] == "acct-whole-1234"
    assert "acct-whole-1234" in html
    assert "fraud:reportAccountIds = full" in html
    assert (report["ruleConfig"]["highAmount"], report["ruleConfig"]["highRiskMccs"]) == (
        500, ["7995"])
    assert report["rules"][0]["firesWhen"] == "amount ≥ 500 USD"


def test_an_unknown_reference_currency_stops_the_function_at_start(report_app, monkeypatch):
    refused = pytest.raises(ValueError, match="REFERENCE_CURRENCY must be an ISO 4217 code "
                                              "such as EUR, not 'EURO'")
    with refused, started_with(report_app, monkeypatch, {REFERENCE_CURRENCY: "EURO"}):
        pass


def test_an_unknown_account_id_mode_stops_the_function_at_start(report_app, monkeypatch):
    monkeypatch.setenv(REPORT_ACCOUNT_IDS, "partly")
    try:
        with pytest.raises(ValueError, match="REPORT_ACCOUNT_IDS must be one of masked, full"):
            importlib.reload(report_app)
    finally:
        monkeypatch.delenv(REPORT_ACCOUNT_IDS)
        importlib.reload(report_app)


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


@pytest.mark.parametrize(("peak", "ticks"), [
    (0, [0, 1]), (3, [0, 1, 2, 3]), (6, [0, 2, 4, 6]), (11, [0, 5, 10, 15]),
    (48, [0, 10, 20, 30, 40, 50]), (931, [0, 200, 400, 600, 800, 1000])])
def test_the_chart_scale_has_round_steps_above_the_peak(peak, ticks):
    assert axis_ticks(peak) == ticks


def test_each_chart_panel_has_gridlines_labelled_with_its_scale(generated):
    html = generated.objects["htmlKey"]["Body"].decode()
    report = json_codec.loads(generated.objects["jsonKey"]["Body"])
    svg = html[html.index("<svg"):html.index("</svg>")]
    labels = re.findall(r'text-anchor="end" font-size="11">([\d,]+)</text>', svg)
    expected = [f"{tick:,}" for key in ("transactions", "flagged")
                for tick in axis_ticks(max(hour[key] for hour in report["hourly"]))]
    assert labels == expected
    assert svg.count("<line") == len(expected)  # a gridline (or the baseline) per label


def test_ids_times_and_amounts_never_wrap(generated):
    html = generated.objects["htmlKey"]["Body"].decode()
    style = html[html.index("<style>"):html.index("</style>")]
    for css_class in ("keep", "id"):
        assert re.search(rf"td\.{css_class} \{{[^}}]*white-space: nowrap", style), css_class
    table = html[html.index('id="flagged"'):]
    rows = re.findall(r"<tr>(<td.*?)</tr>", table)
    assert len(rows) == sum(1 for codes in generated.labels.values() if "HIGH_AMOUNT" in codes)
    for row in rows:
        classes = re.findall(r'<td(?: class="([^"]*)")?>', row)
        # score, time, transaction, account, amount, merchant, MCC, country; reasons may wrap
        assert all(any(word in css.split() for word in ("keep", "id")) for css in classes[:8])
        assert classes[8] == ""


def test_regenerating_a_day_overwrites_the_same_objects_with_the_same_content(generated):
    first, second = generated.summaries
    assert second == first
    times = [json_codec.loads(bodies["jsonKey"])["generatedAt"] for bodies in generated.bodies]
    assert times[0] <= times[1]  # the only difference: when each was generated
    for key in ("jsonKey", "htmlKey"):
        assert generated.bodies[1][key].replace(times[1].encode(), times[0].encode()) == (
            generated.bodies[0][key])
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
                                "flaggedRatePercent": Decimal("0.00"), "amountByCurrency": {},
                                "flaggedAmountByCurrency": {}}
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

def _write_day(session, outputs, count, first, flagged, missed=frozenset()):
    """``count`` more transactions of DAY as the pipeline and the label route leave them:
    analysed items, stats, the ``missed`` ones CLEAR and labelled FRAUD."""
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
        if n in missed:
            item |= {"label": "FRAUD", "labelSource": "CHARGEBACK", "labelledFraudDay": DAY,
                     "labelledAt": "2024-05-20T09:00:00.000Z"}
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
    missed = set(range(7, 1000, 100))  # and the same 10 labelled frauds the rules missed
    _write_day(session, outputs, 1000, 0, flagged, missed)
    with AwsCalls(report_app.dynamodb, report_app.s3) as small:
        assert generate(report_app, context)["transactions"] == 1000
    _write_day(session, outputs, 9000, 1000, flagged)
    with AwsCalls(report_app.dynamodb, report_app.s3) as large:
        summary = generate(report_app, context)
    assert (summary["transactions"], summary["flagged"], summary["missedFrauds"]) == (
        10_000, 25, 10)
    assert large.counts == small.counts
    assert dict(large.counts) == {"DynamoDB.Query": 3, "S3.PutObject": 2}


def test_a_labelled_fraud_still_awaiting_its_verdict_is_neither_missed_nor_caught():
    pending = {"transactionId": "t-1", "timestamp": DAY_START, "accountId": "acct-1",
               "amount": Decimal("9.99"), "currency": "EUR", "merchantId": "shop",
               "merchantCategory": "5411", "country": "DE", "fraudStatus": "PENDING"}
    clear = pending | {"transactionId": "t-2", "fraudStatus": "CLEAR", "fraudScore": 0}
    report = build_report(DAY, [], [], [pending, clear], rules=RuleConfig(),
                          model_in_force=False, reference_currency="EUR", account_ids="masked",
                          generated_at="2024-05-02T01:00:00.000Z")
    assert (report["missedFrauds"]["count"], report["missedFrauds"]["awaitingVerdict"]) == (1, 1)
    assert [row["transactionId"] for row in report["missedFrauds"]["transactions"]] == ["t-2"]
    assert (report["alertQuality"]["missedFraud"],
            report["alertQuality"]["recallPercent"]) == (1, Decimal("0.00"))
    assert "1 more labelled FRAUD still awaiting their verdict" in render_html(report)
