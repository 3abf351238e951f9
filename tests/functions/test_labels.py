"""PUT /transactions/{id}/label on moto: every status, the stored label, exact entity-day counts
under replays, retries, label changes and concurrent labels."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from common import json_codec
from common.clock import now_ms, utc_day
from common.entity_days import expires_at

from tests.functions.api_contract import assert_conforms
from tests.functions.aws_calls import AwsCalls
from tests.functions.conftest import handler_instances, lambda_context
from tests.functions.events import api_event
from tests.functions.pipeline import (
    T0,
    analyse,
    entity_days,
    features_items,
    store,
    stored,
    transaction,
)

LABEL_PATH = "/transactions/{id}/label"
RECENT = now_ms() - 3_600_000  # an hour ago: its day is well within the features' retention
FRAUD = {"label": "FRAUD", "source": "ANALYST", "note": "case 7781"}
GENUINE = {"label": "GENUINE", "source": "CUSTOMER"}


def put_label(app, context, transaction_id, body):
    text = body if isinstance(body, str) or body is None else json_codec.dumps(body)
    response = app.lambda_handler(label_event(transaction_id, text), context)
    return response["statusCode"], json_codec.loads(response["body"])


def label_event(transaction_id, text):
    return api_event("PUT", f"/transactions/{transaction_id}/label", text,
                     path_parameters={"id": transaction_id}, resource=LABEL_PATH)


def labelled_counts(session, outputs):
    """(entity, day) → (labelledFraud, labelledGenuine), entity-days holding any label."""
    return {key: (day.labelled_fraud, day.labelled_genuine)
            for key, day in entity_days(session, outputs).items()
            if day.labelled_fraud or day.labelled_genuine}


@pytest.fixture
def recent(session, outputs):
    """One stored transaction of an hour ago (account acc-1, merchant m-1), not yet analysed."""
    item = transaction(1, "acc-1", timestamp=RECENT)
    store(session, outputs, [item])
    return item


def counted(item, fraud, genuine):
    day = utc_day(item["timestamp"])
    return {("account#" + item["accountId"], day): (fraud, genuine),
            ("merchant#" + item["merchantId"], day): (fraud, genuine)}


def test_a_label_is_stored_shown_and_counted_in_its_days(process_app, detect_app, context,
                                                         session, outputs, recent):
    assert analyse(detect_app, context, [recent]) == []
    status, body = put_label(process_app, context, "txn-00001", FRAUD)
    assert status == 200
    assert_conforms(LABEL_PATH, "put", 200, body)
    assert (body["label"], body["labelSource"], body["labelNote"]) == ("FRAUD", "ANALYST",
                                                                      "case 7781")
    assert body["fraudStatus"] == "CLEAR"
    assert body["labelledAt"].endswith("Z")
    response = process_app.lambda_handler(api_event(
        "GET", "/transactions/txn-00001", path_parameters={"id": "txn-00001"}), context)
    assert json_codec.loads(response["body"]) == body
    assert labelled_counts(session, outputs) == counted(recent, 1, 0)
    days = entity_days(session, outputs)
    assert {day.transactions for day in days.values()} == {1}  # detect-fraud's, untouched
    assert {int(item["expiresAt"]) for item in features_items(session, outputs)} == {
        expires_at(utc_day(RECENT))}


def test_a_first_label_is_one_lookup_and_one_transaction_of_three_writes(
        process_app, context, session, outputs, recent, on_call):
    """What the cost model prices a label at: the transaction's label and its two days."""
    written = []
    on_call(process_app.dynamodb, "dynamodb.TransactWriteItems",
            lambda params, **_: written.append(len(params["TransactItems"])),
            stage="before-parameter-build")
    with AwsCalls(process_app.dynamodb) as calls:
        assert put_label(process_app, context, "txn-00001", FRAUD)[0] == 200
    assert dict(calls.counts) == {"DynamoDB.Query": 1, "DynamoDB.TransactWriteItems": 1}
    assert written == [3]


def test_the_same_label_again_writes_nothing(process_app, context, session, outputs, recent):
    _, first = put_label(process_app, context, "txn-00001", FRAUD)
    with AwsCalls(process_app.dynamodb) as calls:
        status, again = put_label(process_app, context, "txn-00001", FRAUD)
    assert (status, again) == (200, first)
    assert set(calls.counts) == {"DynamoDB.Query"}
    assert labelled_counts(session, outputs) == counted(recent, 1, 0)


def test_a_changed_label_moves_one_count(process_app, context, session, outputs, recent):
    put_label(process_app, context, "txn-00001", FRAUD)
    status, body = put_label(process_app, context, "txn-00001", GENUINE)
    assert (status, body["label"], body["labelSource"]) == (200, "GENUINE", "CUSTOMER")
    assert "labelNote" not in body  # the new label came without one
    assert "labelNote" not in stored(session, outputs)["txn-00001"]
    assert labelled_counts(session, outputs) == counted(recent, 0, 1)
    put_label(process_app, context, "txn-00001", FRAUD)
    assert labelled_counts(session, outputs) == counted(recent, 1, 0)


def test_another_source_for_the_same_label_is_recorded_without_counting(
        process_app, context, session, outputs, recent):
    put_label(process_app, context, "txn-00001", FRAUD)
    status, body = put_label(process_app, context, "txn-00001",
                             {"label": "FRAUD", "source": "CHARGEBACK"})
    assert (status, body["labelSource"]) == (200, "CHARGEBACK")
    assert labelled_counts(session, outputs) == counted(recent, 1, 0)


def test_a_retry_after_a_lost_response_counts_once(process_app, context, session, outputs,
                                                   recent, on_call):
    class LostResponse(Exception):
        pass

    armed = [True]

    def lose(**_):
        if armed.pop() if armed else False:
            raise LostResponse

    on_call(process_app.dynamodb, "dynamodb.TransactWriteItems", lose, stage="after-call")
    # Committed, but the client got a 500 (a fault after the write).
    assert put_label(process_app, context, "txn-00001", FRAUD)[0] == 500
    status, body = put_label(process_app, context, "txn-00001", FRAUD)  # the client retries
    assert (status, body["label"]) == (200, "FRAUD")
    assert labelled_counts(session, outputs) == counted(recent, 1, 0)


def test_a_label_before_the_verdict_is_kept_by_it(process_app, detect_app, context, session,
                                                  outputs, recent):
    put_label(process_app, context, "txn-00001", FRAUD)
    assert analyse(detect_app, context, [recent]) == []
    item = stored(session, outputs)["txn-00001"]
    assert (item["label"], item["fraudStatus"]) == ("FRAUD", "CLEAR")
    days = entity_days(session, outputs)
    assert {(day.transactions, day.labelled_fraud) for day in days.values()} == {(1, 1)}


def test_a_day_past_its_retention_is_not_counted_again(process_app, context, session, outputs):
    store(session, outputs, [transaction(2, "acc-old", timestamp=T0)])  # 2024: long expired
    status, body = put_label(process_app, context, "txn-00002", FRAUD)
    assert (status, body["label"]) == (200, "FRAUD")
    assert features_items(session, outputs) == []


def test_an_unknown_id_is_a_404_and_nothing_is_stored(process_app, context, session, outputs):
    status, body = put_label(process_app, context, "nobody", FRAUD)
    assert status == 404
    assert_conforms(LABEL_PATH, "put", 404, body)
    assert (stored(session, outputs), features_items(session, outputs)) == ({}, [])


@pytest.mark.parametrize(("body", "fields"), [
    (None, ["body"]),
    ("not json", ["body"]),
    ("[]", ["body"]),
    ({}, ["label", "source"]),
    ({"label": "MAYBE", "source": "ANALYST"}, ["label"]),
    ({"label": "FRAUD", "source": "BANK"}, ["source"]),
    ({"label": "FRAUD", "source": "ANALYST", "note": 7}, ["note"]),
    ({"label": "FRAUD", "source": "ANALYST", "note": "x" * 501}, ["note"]),
    ({"label": "FRAUD", "source": "ANALYST", "note": "pan 4111-1111-1111-1111"}, ["note"]),
    ({"label": "FRAUD", "source": "ANALYST", "note": "a\u0007b"}, ["note"]),
    ({"label": "FRAUD", "source": "ANALYST", "extra": 1}, ["extra"]),
])
def test_a_bad_body_is_a_400_naming_each_field_and_stores_nothing(
        process_app, context, session, outputs, recent, body, fields):
    before = stored(session, outputs)
    status, answer = put_label(process_app, context, "txn-00001", body)
    assert status == 400
    assert_conforms(LABEL_PATH, "put", 400, answer)
    assert [error["field"] for error in answer["errors"]] == fields
    assert "4111" not in json_codec.dumps(answer)
    assert (stored(session, outputs), features_items(session, outputs)) == (before, [])


@pytest.mark.parametrize("bad_id", ["has space", "x" * 65, "4111111111111111"])
def test_a_bad_id_is_a_400(process_app, context, session, outputs, bad_id):
    status, answer = put_label(process_app, context, bad_id, FRAUD)
    assert (status, [error["field"] for error in answer["errors"]]) == (400, ["id"])
    assert features_items(session, outputs) == []


INSTANCES = 8


def test_concurrent_labels_keep_the_counts_exact(environment, process_app, session, outputs,
                                                 recent):
    """Instances label one transaction at once, half FRAUD and half GENUINE, for rounds: the
    counts always hold exactly the label the transaction ended with."""
    instances = handler_instances("process_transaction", INSTANCES)
    bodies = [FRAUD if n % 2 else GENUINE for n in range(INSTANCES)]
    for round_number in range(4):
        start = threading.Barrier(INSTANCES)

        def label(instance, body, start=start):
            event = label_event("txn-00001", json_codec.dumps(body))
            start.wait()
            return instance.lambda_handler(event, lambda_context())["statusCode"]

        with ThreadPoolExecutor(max_workers=INSTANCES) as pool:
            assert set(pool.map(label, instances, bodies)) == {200}, round_number
        final = stored(session, outputs)["txn-00001"]["label"]
        expected = (1, 0) if final == "FRAUD" else (0, 1)
        assert labelled_counts(session, outputs) == counted(recent, *expected), round_number


def test_a_fraud_label_puts_the_transaction_in_the_labelled_fraud_index_until_relabelled(
        process_app, context, session, outputs, recent):
    """The report's missed frauds come from this index: FRAUD sets the transaction's day,
    GENUINE removes it; neither answer shows it (an internal attribute)."""
    status, body = put_label(process_app, context, "txn-00001", FRAUD)
    assert status == 200
    assert stored(session, outputs)["txn-00001"]["labelledFraudDay"] == utc_day(RECENT)
    assert "labelledFraudDay" not in body
    assert put_label(process_app, context, "txn-00001", GENUINE)[0] == 200
    assert "labelledFraudDay" not in stored(session, outputs)["txn-00001"]
    assert "labelNote" not in stored(session, outputs)["txn-00001"]  # both removed at once
