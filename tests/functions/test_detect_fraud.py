"""detect-fraud on moto: verdicts, history, aggregates, alerts, partial failures, replays."""

import json
import math
from collections import Counter
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from common.environment import EXCHANGE_RATES, REFERENCE_CURRENCY, RULE_OVERRIDES
from common.rules import RuleConfig, evaluate
from common.transaction import FRAUD_REASON_DETAILS, from_item

from shared.outputs import DataOutputs
from tests.functions.aws_calls import AwsCalls
from tests.functions.conftest import started_with
from tests.functions.events import stream_event, stream_record
from tests.functions.pipeline import (
    DAY,
    T0,
    analyse,
    day_totals,
    entity_days,
    features_items,
    queued_alerts,
    stats_items,
    store,
    stored,
    transaction,
)


class Crash(Exception):
    """Raised by a hook to stop the handler mid-way, as a timeout or a lost host would."""


def test_verdicts_are_written_and_only_suspicious_transactions_alert(
        detect_app, context, session, outputs):
    items = [transaction(1), transaction(2, "acc-0002", "15000.00"),
             transaction(3, "acc-0003", mcc="7995")]
    store(session, outputs, items)
    assert analyse(detect_app, context, items) == []
    table = stored(session, outputs)
    clear, high, risky = (table[f"txn-{n:05d}"] for n in (1, 2, 3))
    assert (clear["fraudStatus"], clear["fraudScore"], clear["fraudReasons"]) == ("CLEAR", 0, [])
    assert (high["fraudStatus"], high["fraudScore"], high["fraudReasons"]) == (
        "SUSPICIOUS", 60, ["HIGH_AMOUNT"])
    assert (risky["fraudStatus"], risky["fraudScore"]) == ("CLEAR", 25)
    assert high["flaggedDay"] == DAY
    assert "flaggedDay" not in clear
    assert "flaggedDay" not in risky
    assert high["fraudReasonDetails"][0]["threshold"] == Decimal(10000)
    [alert] = queued_alerts(session, outputs)
    assert alert["transactionId"] == "txn-00002"
    assert alert["account"] == "****0002"
    assert alert["amount"] == Decimal("15000.00")
    assert alert["score"] == 60
    assert "acc-0002" not in json.dumps(alert, default=str)


def test_history_comes_from_the_index_and_the_batch(detect_app, context, session, outputs):
    # Three earlier transactions already analysed, then a batch of two more: the 5th within
    # 60 s is VELOCITY, and the last one, from another country, a GEO_JUMP.
    earlier = [transaction(n, timestamp=T0 + n * 1000) for n in range(3)]
    store(session, outputs, earlier)
    assert analyse(detect_app, context, earlier, first_sequence=1) == []
    batch = [transaction(3, timestamp=T0 + 3000),
             transaction(4, timestamp=T0 + 4000, country="FR")]
    store(session, outputs, batch)
    assert analyse(detect_app, context, batch, first_sequence=10) == []
    table = stored(session, outputs)
    assert table["txn-00003"]["fraudReasons"] == []
    assert table["txn-00004"]["fraudReasons"] == ["VELOCITY", "GEO_JUMP"]


def test_two_items_of_one_transaction_id_in_a_batch_are_both_analysed(
        detect_app, context, session, outputs):
    """Clients racing with one id can store it twice (two timestamps: two items). Each copy is
    an item of its own: both get a verdict and are counted, none is left PENDING unreported."""
    copies = [transaction(1, timestamp=T0), transaction(1, timestamp=T0 + 400),
              transaction(2, timestamp=T0 + 800)]
    store(session, outputs, copies)
    assert analyse(detect_app, context, copies) == []
    items = [from_item(item) for item in session.client("dynamodb").scan(
        TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME])["Items"]]
    assert sorted((item["transactionId"], item["timestamp"], item["fraudStatus"])
                  for item in items) == [("txn-00001", T0, "CLEAR"),
                                         ("txn-00001", T0 + 400, "CLEAR"),
                                         ("txn-00002", T0 + 800, "CLEAR")]
    assert day_totals(session, outputs).transactions == 3


def test_the_same_item_twice_in_a_batch_is_analysed_once(detect_app, context, session, outputs):
    """A record of an item deleted and written again: one item, one verdict, counted once."""
    item = transaction(1)
    store(session, outputs, [item])
    assert analyse(detect_app, context, [item, item]) == []
    assert stored(session, outputs)["txn-00001"]["fraudStatus"] == "CLEAR"
    assert day_totals(session, outputs).transactions == 1


def test_the_batch_is_read_in_timestamp_order_whatever_the_record_order(
        detect_app, context, session, outputs):
    items = [transaction(n, timestamp=T0 + n * 1000) for n in range(5)]
    store(session, outputs, items)
    assert analyse(detect_app, context, list(reversed(items))) == []
    table = stored(session, outputs)
    assert [table[f"txn-{n:05d}"]["fraudStatus"] for n in range(5)] == ["CLEAR"] * 4 + [
        "SUSPICIOUS"]


def test_history_reads_another_page_when_other_transactions_fill_the_first(
        detect_app, context, session, outputs):
    # 25 analysed transactions at 100 EUR, then a batch: one at 900 EUR before 25 more stored
    # transactions, and one at the end. The early one needs the 20 before it: a second page.
    old = [transaction(n, amount="100.00", timestamp=T0 + n * 120_000) for n in range(25)]
    later = [transaction(100 + n, amount="100.00", timestamp=T0 + 3_600_000 + n * 120_000)
             for n in range(25)]
    store(session, outputs, old + later)
    spike = transaction(60, amount="500.00", timestamp=T0 + 3_500_000)
    last = transaction(200, amount="10.00", timestamp=T0 + 7_000_000)
    store(session, outputs, [spike, last])
    with AwsCalls(detect_app.dynamodb) as calls:
        assert analyse(detect_app, context, [spike, last]) == []
    assert stored(session, outputs)["txn-00060"]["fraudReasons"] == ["AMOUNT_SPIKE"]
    assert calls["DynamoDB.Query"] == 2


def test_other_events_than_insert_are_skipped(detect_app, context, session, outputs):
    item = transaction(1, amount="20000.00")
    store(session, outputs, [item])
    event = {"Records": [stream_record(item, 5, event_name="MODIFY"),
                         stream_record(item, 6, event_name="REMOVE")]}
    assert detect_app.lambda_handler(event, context) == {"batchItemFailures": []}
    assert stored(session, outputs)["txn-00001"]["fraudStatus"] == "PENDING"
    assert stats_items(session, outputs) == []


def test_an_id_guard_in_the_stream_is_no_transaction(detect_app, context, session, outputs):
    """The mapping's filter drops id guards; should one arrive anyway, it is skipped."""
    item = transaction(1, amount="20000.00")
    store(session, outputs, [item])
    guard = stream_record({"transactionId": item["transactionId"], "timestamp": 0}, 5)
    event = {"Records": [guard, stream_record(item, 6)]}
    assert detect_app.lambda_handler(event, context) == {"batchItemFailures": []}
    assert stored(session, outputs)["txn-00001"]["fraudStatus"] == "SUSPICIOUS"
    assert day_totals(session, outputs).transactions == 1


def test_one_unreadable_record_is_reported_alone(detect_app, context, session, outputs):
    items = [transaction(n, f"acc-{n}") for n in range(4)]
    store(session, outputs, items)
    event = stream_event(items, first_sequence=500)
    del event["Records"][2]["dynamodb"]["NewImage"]["amount"]
    response = detect_app.lambda_handler(event, context)
    assert response == {"batchItemFailures": [
        {"itemIdentifier": event["Records"][2]["dynamodb"]["SequenceNumber"]}]}
    statuses = {tid: item["fraudStatus"] for tid, item in stored(session, outputs).items()}
    assert statuses == {"txn-00000": "CLEAR", "txn-00001": "CLEAR", "txn-00002": "PENDING",
                        "txn-00003": "CLEAR"}
    assert day_totals(session, outputs).transactions == 3


def test_a_record_that_cannot_be_written_fails_alone(detect_app, context, session, outputs):
    """A verdict DynamoDB rejects fails its chunk; bisection isolates it, the rest commits."""
    items = [transaction(n, f"acc-{n}") for n in range(30)]
    store(session, outputs, items)
    bad = {**transaction(99, "acc-99"), "transactionId": ""}  # an empty key: a ValidationError
    event = stream_event([*items[:10], bad, *items[10:]], first_sequence=700)
    with AwsCalls(detect_app.dynamodb) as calls:
        response = detect_app.lambda_handler(event, context)
    assert response["batchItemFailures"] == [
        {"itemIdentifier": event["Records"][10]["dynamodb"]["SequenceNumber"]}]
    assert {item["fraudStatus"] for item in stored(session, outputs).values()} == {"CLEAR"}
    assert day_totals(session, outputs).transactions == 30
    assert calls["DynamoDB.TransactWriteItems"] > 2  # the first chunk was split


def test_a_record_whose_item_is_gone_is_skipped(detect_app, context, session, outputs):
    items = [transaction(1), transaction(2, "acc-2")]
    store(session, outputs, items[1:])  # the first was deleted since it was streamed
    assert analyse(detect_app, context, items) == []
    assert set(stored(session, outputs)) == {"txn-00002"}  # the update created no item
    assert day_totals(session, outputs).transactions == 1


def test_a_failed_alert_fails_its_record_and_the_retry_sends_it(
        detect_app, context, session, outputs, on_call):
    items = [transaction(1, amount="20000.00"), transaction(2, "acc-2")]
    store(session, outputs, items)
    event = stream_event(items, first_sequence=900)

    def refuse(**_):
        raise ClientError({"Error": {"Code": "KMS.DisabledException", "Message": "x"}},
                          "SendMessageBatch")

    on_call(detect_app.sqs, "sqs.SendMessageBatch", refuse)
    response = detect_app.lambda_handler(event, context)
    assert response["batchItemFailures"] == [
        {"itemIdentifier": event["Records"][0]["dynamodb"]["SequenceNumber"]}]
    assert queued_alerts(session, outputs) == []


def test_a_failed_history_query_fails_that_accounts_records_alone(
        detect_app, context, session, outputs, on_call):
    """The accounts' queries run side by side; one refused fails only its own records."""
    items = [transaction(n, f"acc-{n % 12}") for n in range(36)]
    store(session, outputs, items)
    event = stream_event(items, first_sequence=1_100)

    def refuse_account_7(params, **_):
        if params["ExpressionAttributeValues"][":account"] == {"S": "acc-7"}:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "x"}}, "Query")

    on_call(detect_app.dynamodb, "dynamodb.Query", refuse_account_7,
            stage="before-parameter-build")  # sees the call's own parameters
    response = detect_app.lambda_handler(event, context)
    failed = {record["dynamodb"]["SequenceNumber"] for record, item in
              zip(event["Records"], items, strict=True) if item["accountId"] == "acc-7"}
    assert {entry["itemIdentifier"] for entry in response["batchItemFailures"]} == failed
    statuses = {id_: item["fraudStatus"] for id_, item in stored(session, outputs).items()}
    assert {id_ for id_, status in statuses.items() if status == "PENDING"} == {
        item["transactionId"] for item in items if item["accountId"] == "acc-7"}
    assert day_totals(session, outputs).transactions == 33


def test_aggregates_count_each_transaction_once_exactly(detect_app, context, session, outputs):
    items = ([transaction(n, f"acc-{n % 5}", "0.10", timestamp=T0 + n * 100_000)
              for n in range(40)]
             + [transaction(100, "acc-9", "12000.01", currency="USD", mcc="7995")])
    store(session, outputs, items)
    assert analyse(detect_app, context, items) == []
    totals = day_totals(session, outputs)
    assert totals.transactions == 41
    assert totals.flagged == 1
    assert totals.amounts == {"EUR": Decimal("4.00"), "USD": Decimal("12000.01")}
    assert totals.rules == {"HIGH_AMOUNT": 1, "HIGH_RISK_MCC": 1}
    expected_hours = Counter(12 + (n * 100_000) // 3_600_000 for n in range(40))
    expected_hours[12] += 1
    assert {hour: count for hour, (count, _) in enumerate(totals.hourly) if count} == dict(
        expected_hours)
    assert all(item["hourShard"].split("#")[1].isdigit() for item in stats_items(session, outputs))


def test_replaying_a_processed_batch_changes_nothing(detect_app, context, session, outputs):
    items = [transaction(n, f"acc-{n % 3}", "30000.00" if n % 4 == 0 else "10.00")
             for n in range(12)]
    store(session, outputs, items)
    assert analyse(detect_app, context, items) == []
    first_alerts = queued_alerts(session, outputs)
    before = stored(session, outputs), stats_items(session, outputs)
    assert analyse(detect_app, context, items) == []
    assert (stored(session, outputs), stats_items(session, outputs)) == before
    # Not yet notified: the alerts go out again, for notify-team to drop.
    again = queued_alerts(session, outputs)
    assert sorted(a["transactionId"] for a in again) == sorted(
        a["transactionId"] for a in first_alerts)


def test_a_replay_after_notification_sends_no_alert(detect_app, context, session, outputs):
    items = [transaction(1, amount="30000.00")]
    store(session, outputs, items)
    assert analyse(detect_app, context, items) == []
    assert len(queued_alerts(session, outputs)) == 1
    session.client("dynamodb").update_item(
        TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME],
        Key={"transactionId": {"S": "txn-00001"}, "timestamp": {"N": str(items[0]["timestamp"])}},
        UpdateExpression="SET notifiedAt = :t", ExpressionAttributeValues={":t": {"S": "now"}})
    assert analyse(detect_app, context, items) == []
    assert queued_alerts(session, outputs) == []


def expected_totals(items):
    """Ground truth for a batch analysed in one go, computed with the rules engine directly."""
    config, by_account, flagged, count = RuleConfig(), {}, 0, 0
    for item in sorted(items, key=lambda i: (i["timestamp"], i["transactionId"])):
        history = by_account.setdefault(item["accountId"], [])
        flagged += evaluate(item, history, config).status == "SUSPICIOUS"
        count += 1
        history.append(item)
    return count, flagged


@pytest.mark.parametrize("operation", [
    "dynamodb.TransactWriteItems#2",  # after the first chunk committed
    "sqs.SendMessageBatch#1",  # verdicts all written, no alert sent
    "sqs.SendMessageBatch#done",  # alerts sent, the invocation dies before returning
])
def test_a_crash_at_any_step_replays_exactly(detect_app, context, session, outputs, on_call,
                                             operation):
    items = [transaction(n, f"acc-{n % 4}", "25000.00" if n % 5 == 0 else "40.00")
             for n in range(60)]
    store(session, outputs, items)
    name, _, when = operation.partition("#")
    client = detect_app.dynamodb if name.startswith("dynamodb") else detect_app.sqs
    calls, armed = Counter(), [True]

    def maybe_crash(**_):
        calls[name] += 1
        if armed[0] and when in ("done", str(calls[name])):
            raise Crash

    on_call(client, name, maybe_crash, stage="after-call" if when == "done" else "before-call")
    with pytest.raises(Crash):
        analyse(detect_app, context, items)
    armed[0] = False  # the retry runs through
    assert analyse(detect_app, context, items) == []
    count, flagged = expected_totals(items)
    totals = day_totals(session, outputs)
    assert (totals.transactions, totals.flagged) == (count, flagged)
    assert totals.amounts == {"EUR": sum((i["amount"] for i in items), Decimal(0))}
    assert {t["fraudStatus"] for t in stored(session, outputs).values()} == {"CLEAR",
                                                                             "SUSPICIOUS"}
    alerted = Counter(a["transactionId"] for a in queued_alerts(session, outputs))
    assert set(alerted) == {t for t, item in stored(session, outputs).items()
                            if item["fraudStatus"] == "SUSPICIOUS"}


def test_aws_calls_for_a_100_record_batch(detect_app, context, session, outputs):
    """≤ A reads for A accounts, ≤ one write per record, ⌈S/10⌉ SQS calls for S suspicious."""
    accounts = 7
    items = [transaction(n, f"acc-{n % accounts}", "50000.00" if n % 9 == 0 else "12.00",
                         timestamp=T0 + n * 3_000_000 // 100) for n in range(100)]
    store(session, outputs, items)
    with AwsCalls(detect_app.dynamodb, detect_app.sqs) as calls:
        assert analyse(detect_app, context, items) == []
    suspicious = sum(1 for t in stored(session, outputs).values()
                     if t["fraudStatus"] == "SUSPICIOUS")
    assert suspicious >= 12
    assert calls["DynamoDB.Query"] <= accounts
    assert calls["DynamoDB.TransactWriteItems"] == math.ceil(100 / 25)
    assert calls.of("SQS") == math.ceil(suspicious / 10)
    assert set(calls.counts) == {"DynamoDB.Query", "DynamoDB.TransactWriteItems",
                                 "SQS.SendMessageBatch"}


def test_metrics_count_analysed_flagged_and_rules(detect_app, context, session, outputs, capsys):
    items = [transaction(1, amount="20000.00", mcc="7995"), transaction(2, "acc-2")]
    store(session, outputs, items)
    capsys.readouterr()
    assert analyse(detect_app, context, items) == []
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if '"_aws"' in line]
    values = Counter()
    for blob in blobs:
        directive = blob["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "FraudDetection"
        for metric in directive["Metrics"]:
            key = metric["Name"] + (f"/{blob['rule']}" if "rule" in blob else "")
            values[key] += sum(blob[metric["Name"]])
    assert values == {"TransactionsAnalysed": 2, "TransactionsFlagged": 1,
                      "RuleHits/HIGH_AMOUNT": 1, "RuleHits/HIGH_RISK_MCC": 1}


@pytest.fixture
def detect_with_overrides(detect_app, monkeypatch):
    """detect-fraud started with RULE_OVERRIDES set, as the compute stack passes them."""
    with started_with(detect_app, monkeypatch,
                      {RULE_OVERRIDES: '{"highAmount": 500, "highAmountWeight": 50}'}) as app:
        yield app


def test_rule_overrides_from_the_environment_apply(detect_with_overrides, context, session,
                                                   outputs):
    items = [transaction(1, amount="500.00"), transaction(2, "acc-2", amount="499.99")]
    store(session, outputs, items)
    assert analyse(detect_with_overrides, context, items) == []
    table = stored(session, outputs)
    assert (table["txn-00001"]["fraudStatus"], table["txn-00001"]["fraudScore"]) == (
        "SUSPICIOUS", 50)
    assert table["txn-00002"]["fraudStatus"] == "CLEAR"


@pytest.fixture
def detect_in_yen(detect_app, monkeypatch):
    """detect-fraud started with a yen reference currency, as the compute stack passes it."""
    with started_with(detect_app, monkeypatch, {
            REFERENCE_CURRENCY: "JPY", EXCHANGE_RATES: '{"JPY": 1, "EUR": 0.0057}'}) as app:
        yield app


def test_the_reference_currency_from_the_environment_applies(detect_in_yen, context, session,
                                                             outputs):
    """EUR 57 is JPY 10,000 at 0.0057: a HIGH_AMOUNT in yen terms; the item keeps its euros."""
    items = [transaction(1, amount="57.00"), transaction(2, "acc-2", amount="56.99")]
    store(session, outputs, items)
    assert analyse(detect_in_yen, context, items) == []
    table = stored(session, outputs)
    [reason] = table["txn-00001"][FRAUD_REASON_DETAILS]
    assert (reason["code"], reason["detail"]) == (
        "HIGH_AMOUNT", "amount 57.00 EUR = 10000 JPY ≥ 10000")
    assert (table["txn-00001"]["amount"], table["txn-00001"]["currency"]) == (
        Decimal("57.00"), "EUR")
    assert table["txn-00002"]["fraudStatus"] == "CLEAR"


def test_each_transaction_adds_to_its_account_and_merchant_day(detect_app, context, session,
                                                               outputs):
    next_day = T0 + 12 * 3_600_000  # 2024-05-02T00:00:00Z
    items = [transaction(1, "acc-1", "10.50"), transaction(2, "acc-1", "4.25"),
             transaction(3, "acc-2", "1.00", timestamp=next_day)]
    store(session, outputs, items)
    assert analyse(detect_app, context, items) == []
    days = entity_days(session, outputs)
    assert {key: (day.transactions, day.amount_sum, day.labelled_fraud, day.labelled_genuine)
            for key, day in days.items()} == {
        ("account#acc-1", DAY): (2, Decimal("14.75"), 0, 0),
        ("account#acc-2", "2024-05-02"): (1, Decimal("1.00"), 0, 0),
        ("merchant#m-1", DAY): (1, Decimal("10.50"), 0, 0),
        ("merchant#m-2", DAY): (1, Decimal("4.25"), 0, 0),
        ("merchant#m-3", "2024-05-02"): (1, Decimal("1.00"), 0, 0),
    }
    # Expiry: the day's end plus RETENTION_DAYS (2024-05-02 + 60 days = 2024-07-01T00:00Z).
    expiry = {(item["entity"], item["day"]): int(item["expiresAt"])
              for item in features_items(session, outputs)}
    assert expiry[("account#acc-1", DAY)] == 1_719_792_000
    assert expiry[("account#acc-2", "2024-05-02")] == 1_719_792_000 + 86_400


def test_a_replayed_batch_adds_nothing_to_the_entity_days(detect_app, context, session,
                                                          outputs, on_call):
    items = [transaction(n, f"acc-{n % 3}", "20.00") for n in range(40)]
    store(session, outputs, items)
    calls = Counter()

    def crash_on_second_chunk(**_):
        calls["write"] += 1
        if calls["write"] == 2:
            raise Crash

    on_call(detect_app.dynamodb, "dynamodb.TransactWriteItems", crash_on_second_chunk)
    with pytest.raises(Crash):
        analyse(detect_app, context, items)
    assert analyse(detect_app, context, items) == []
    assert analyse(detect_app, context, items) == []  # and once more, all of it a replay
    days = entity_days(session, outputs)
    accounts = {key: day for key, day in days.items() if key[0].startswith("account#")}
    assert {key[0]: day.transactions for key, day in accounts.items()} == {
        "account#acc-0": 14, "account#acc-1": 13, "account#acc-2": 13}
    assert sum(day.transactions for key, day in days.items()
               if key[0].startswith("merchant#")) == 40
    assert sum(day.amount_sum for day in accounts.values()) == Decimal("800.00")


def test_a_chunk_of_distinct_accounts_merchants_and_hours_fits_one_transaction(
        detect_app, context, session, outputs):
    """25 verdicts, 25 stats items and 50 entity-days: exactly DynamoDB's 100 actions."""
    items = [{**transaction(n, f"acc-{n}", timestamp=T0 + n * 3_600_000),
              "merchantId": f"shop-{n}"} for n in range(25)]
    store(session, outputs, items)
    with AwsCalls(detect_app.dynamodb, detect_app.sqs) as calls:
        assert analyse(detect_app, context, items) == []
    assert calls["DynamoDB.TransactWriteItems"] == 1
    assert len(entity_days(session, outputs)) == 50


def test_the_entity_days_sum_amounts_in_the_reference_currency(detect_in_yen, context, session,
                                                               outputs):
    """EUR 57 at 0.0057 is JPY 10,000; a currency without a rate counts as is, as the rule."""
    items = [transaction(1, "acc-1", "57.00"), transaction(2, "acc-1", "3.00", currency="CHF")]
    store(session, outputs, items)
    assert analyse(detect_in_yen, context, items) == []
    assert entity_days(session, outputs)[("account#acc-1", DAY)].amount_sum == Decimal("10003")
