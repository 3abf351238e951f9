"""notify-team: one digest per batch; every alert at least once, through crashes and SNS
failures, a possible second copy marked "repeated", and no second copy without a crash."""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from common import json_codec
from common.alerts import Alert
from common.transaction import key_of
from notify_team.digest import BODY_LIMIT_BYTES, REPEATED, build_digest

from shared.outputs import DataOutputs
from tests.functions.aws_calls import AwsCalls
from tests.functions.events import sqs_event
from tests.functions.pipeline import (
    alerts_event,
    analyse,
    digests,
    store,
    stored,
    subscribe_inbox,
    transaction,
)


def alert(number: int, score: int = 60, amount: str = "12000.50") -> Alert:
    return Alert(transaction_id=f"txn-{number:05d}", timestamp=1_714_564_800_000 + number,
                 account="****0042", amount=Decimal(amount), currency="EUR",
                 merchant_id="m-1", country="DE", score=score,
                 reasons=("HIGH_AMOUNT: amount 12000.50 ≥ 10000",),
                 analyzed_at="2024-05-01T12:00:01.000Z")


# ---- the digest's wording (pure) ----

def test_the_subject_counts_the_alerts_and_names_the_top_score():
    assert build_digest([alert(1, 60), alert(2, 90), alert(3, 85)]).subject == \
        "3 suspicious transactions (max score 90)"
    assert build_digest([alert(1, 55)]).subject == "1 suspicious transaction (max score 55)"
    assert len(build_digest([alert(n) for n in range(10_000)]).subject) < 100


def test_each_alert_says_how_to_label_it():
    header, *entries = build_digest([alert(1), alert(2, 70)]).body.split("\n\n")
    assert "label FRAUD or GENUINE" in header
    for number, entry in zip((2, 1), entries, strict=True):
        assert entry.splitlines()[-1] == (
            f'   label: PUT /transactions/txn-0000{number}/label  '
            '{"label": "FRAUD", "source": "ANALYST"}')


def test_the_body_lists_each_alert_highest_score_first():
    digest = build_digest([alert(1, 60), alert(2, 95, "50000.00")])
    body = digest.body
    assert body.index("txn-00002") < body.index("txn-00001")
    for expected in ("txn-00001", "score 60", "account ****0042", "12,000.50 EUR",
                     "50,000.00 EUR", "HIGH_AMOUNT: amount 12000.50 ≥ 10000",
                     "time 2024-05-01T12:00:00.001Z"):
        assert expected in body
    assert (digest.severity, digest.max_score, digest.alert_count) == ("critical", 95, 2)
    assert build_digest([alert(1, 89)]).severity == "high"


def test_an_alert_that_may_have_been_sent_before_is_marked_repeated():
    digest = build_digest([alert(1), alert(2)], repeated={"txn-00002"})
    assert "1 of them may repeat an entry of an earlier digest (marked repeated)." in digest.body
    second = digest.body[digest.body.index("txn-00002"):]
    assert second.splitlines()[1] == REPEATED
    assert REPEATED not in digest.body[:digest.body.index("txn-00002")]
    assert "repeated" not in build_digest([alert(1)]).body


def test_amounts_show_their_currency_s_decimals():
    yen = Alert(**{**vars(alert(1)), "amount": Decimal("1250000"), "currency": "JPY"})
    dinar = Alert(**{**vars(alert(2)), "amount": Decimal("12.34"), "currency": "BHD"})
    body = build_digest([yen, dinar]).body
    assert "1,250,000 JPY" in body
    assert "12.34 BHD" in body


def test_a_huge_batch_stays_under_the_sns_size_limit_and_says_what_it_left_out():
    digest = build_digest([alert(n) for n in range(5000)])
    assert len(digest.body.encode()) <= BODY_LIMIT_BYTES
    assert digest.alert_count == 5000
    assert "more (message size limit)" in digest.body


# ---- the handler on moto ----

@pytest.fixture
def inbox(session, outputs):
    return subscribe_inbox(session, outputs)


@pytest.fixture
def suspicious(detect_app, context, session, outputs):
    """Three analysed suspicious transactions whose alerts wait in the queue."""
    items = [transaction(n, f"acc-{n:04d}", "20000.00") for n in range(1, 4)]
    store(session, outputs, items)
    assert analyse(detect_app, context, items) == []
    return items


def notify(notify_app, context, event):
    return [f["itemIdentifier"]
            for f in notify_app.lambda_handler(event, context)["batchItemFailures"]]


def test_one_digest_per_batch_with_every_alert(notify_app, context, session, outputs, inbox,
                                               suspicious):
    event = alerts_event(session, outputs)
    assert notify(notify_app, context, event) == []
    [digest] = digests(session, inbox)
    assert digest["Subject"] == "3 suspicious transactions (max score 60)"
    for item in suspicious:
        assert item["transactionId"] in digest["Message"]
        assert item["accountId"] not in digest["Message"]
    assert digest["MessageAttributes"]["severity"]["Value"] == "high"
    assert digest["MessageAttributes"]["alertCount"]["Value"] == "3"
    assert all("notifiedAt" in item for item in stored(session, outputs).values())


def test_a_redelivered_batch_notifies_nobody_again(notify_app, context, session, outputs,
                                                   inbox, suspicious):
    event = alerts_event(session, outputs)
    assert notify(notify_app, context, event) == []
    assert notify(notify_app, context, event) == []
    assert len(digests(session, inbox)) == 1


def test_a_duplicate_alert_in_the_same_batch_is_listed_once(notify_app, context, session,
                                                            outputs, inbox, suspicious):
    event = alerts_event(session, outputs)
    event["Records"].append({**event["Records"][0], "messageId": "duplicate-delivery"})
    assert notify(notify_app, context, event) == []
    [digest] = digests(session, inbox)
    assert digest["Message"].count("txn-00001  score") == 1
    assert digest["Subject"].startswith("3 ")


def test_a_replayed_detect_batch_does_not_notify_twice(detect_app, notify_app, context, session,
                                                        outputs, inbox, suspicious):
    first = alerts_event(session, outputs)
    assert analyse(detect_app, context, suspicious) == []  # stream replay before notify ran
    second = alerts_event(session, outputs)
    assert len(second["Records"]) == 3  # re-sent, not yet notified
    assert notify(notify_app, context, first) == []
    assert notify(notify_app, context, second) == []
    assert len(digests(session, inbox)) == 1
    assert analyse(detect_app, context, suspicious) == []  # after notify: nothing re-sent
    assert alerts_event(session, outputs)["Records"] == []


def test_an_sns_failure_fails_exactly_the_claimed_alerts_and_the_retry_sends_each_once(
        notify_app, context, session, outputs, inbox, suspicious, on_call):
    event = alerts_event(session, outputs)
    # One alert of the batch was already notified by an earlier digest.
    already = event["Records"][0]
    assert notify(notify_app, context, {"Records": [already]}) == []
    outage = [True]

    def sns_down(**_):
        if outage[0]:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "Publish")

    on_call(notify_app.sns, "sns.Publish", sns_down)
    failed = notify(notify_app, context, event)
    assert sorted(failed) == sorted(r["messageId"] for r in event["Records"][1:])
    notified = {tid for tid, item in stored(session, outputs).items() if "notifiedAt" in item}
    assert notified == {"txn-00001"}  # the claims of the failed publish were released
    outage[0] = False
    retry = {"Records": [r for r in event["Records"] if r["messageId"] in failed]}
    assert notify(notify_app, context, retry) == []
    sent = digests(session, inbox)
    assert [d["Subject"] for d in sent] == ["1 suspicious transaction (max score 60)",
                                            "2 suspicious transactions (max score 60)"]
    assert sum(d["Message"].count("  score ") for d in sent) == 3  # each alert exactly once


def test_a_malformed_message_fails_alone(notify_app, context, session, outputs, inbox,
                                         suspicious):
    event = alerts_event(session, outputs)
    event["Records"][1]["body"] = '{"transactionId": "x"'
    assert notify(notify_app, context, event) == [event["Records"][1]["messageId"]]
    [digest] = digests(session, inbox)
    assert digest["Subject"].startswith("2 ")


def test_an_alert_for_a_vanished_transaction_is_dropped(notify_app, context, session, outputs,
                                                         inbox):
    event = sqs_event([alert(77).to_message()], "arn:aws:sqs:us-east-2:123456789012:q")
    assert notify(notify_app, context, event) == []
    assert digests(session, inbox) == []
    assert stored(session, outputs) == {}  # the claim did not create an item


def test_aws_calls_are_one_publish_and_a_claim_and_a_confirmation_per_alert(
        notify_app, context, session, outputs, inbox, suspicious):
    event = alerts_event(session, outputs)
    with AwsCalls(notify_app.dynamodb, notify_app.sns) as calls:
        assert notify(notify_app, context, event) == []
    assert dict(calls.counts) == {"DynamoDB.UpdateItem": 2 * 3, "SNS.Publish": 1}


# ---- crashes: nothing lost, a possible second copy marked ----

class Crash(Exception):
    """The invocation dies here: no release, no confirmation, no response (not a ClientError,
    so the handler does not catch it; Lambda then retries the whole batch)."""


class Faults:
    """A fault that strikes while ``active``, registered on one of the handler's calls."""

    def __init__(self, on_call, client, operation: str, fault, stage: str = "before-call"):
        self.active = True
        self.fault = fault
        on_call(client, operation, self._strike, stage=stage)

    def _strike(self, **_):
        if self.active:
            raise self.fault


def pass_time(notify_app, monkeypatch, seconds: float) -> None:
    """Move notify-team's clock ``seconds`` ahead (a redelivery that comes that much later)."""
    now = notify_app.now_ms()
    monkeypatch.setattr(notify_app, "now_ms", lambda: now + int(seconds * 1000))


def marked_repeated(digest) -> int:
    return digest["Message"].count(REPEATED)


def notified_and_unclaimed(session, outputs) -> bool:
    return all("notifiedAt" in item and "alertClaimedAt" not in item
               for item in stored(session, outputs).values())


@pytest.mark.parametrize("stage", ["before-call", "after-call"])
def test_a_crash_between_claim_and_confirmation_loses_no_alert(
        notify_app, context, session, outputs, inbox, suspicious, on_call, monkeypatch, stage):
    event = alerts_event(session, outputs)
    crash = Faults(on_call, notify_app.sns, "sns.Publish", Crash("environment died"), stage)
    with pytest.raises(Crash):
        notify_app.lambda_handler(event, context)
    assert len(digests(session, inbox)) == (stage == "after-call")  # sent, or not
    crash.active = False
    # Delivered again at once (a second invocation, the claims still fresh): held, retried.
    assert len(notify(notify_app, context, event)) == 3
    assert digests(session, inbox) == []
    # SQS hands the batch out again once the visibility timeout has passed: the claims have
    # expired, and each alert is published again, marked as a possible repeat.
    pass_time(notify_app, monkeypatch, notify_app.ALERT_CLAIM_MS / 1000 + 1)
    assert notify(notify_app, context, event) == []
    [digest] = digests(session, inbox)
    assert digest["Subject"] == "3 suspicious transactions (max score 60)"
    assert marked_repeated(digest) == 3
    assert notified_and_unclaimed(session, outputs)
    assert notify(notify_app, context, event) == []  # confirmed: nothing more is sent
    assert digests(session, inbox) == []


def test_a_claim_that_could_not_be_released_expires_and_the_alert_is_sent(
        notify_app, context, session, outputs, inbox, suspicious, on_call, monkeypatch):
    event = alerts_event(session, outputs)
    down = ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "Op")
    releases_fail = Faults(on_call, notify_app.dynamodb, "dynamodb.UpdateItem", down)
    releases_fail.active = False  # the claims go through; SNS fails; then the releases do
    outage = [True]

    def sns_down(**_):
        if outage[0]:
            releases_fail.active = True
            raise down

    on_call(notify_app.sns, "sns.Publish", sns_down)
    assert len(notify(notify_app, context, event)) == 3
    outage[0] = releases_fail.active = False
    assert len(notify(notify_app, context, event)) == 3  # SQS retries: claims still held
    pass_time(notify_app, monkeypatch, notify_app.ALERT_CLAIM_MS / 1000 + 1)
    assert notify(notify_app, context, event) == []
    [digest] = digests(session, inbox)
    assert marked_repeated(digest) == 3  # SNS may have taken the failed publish after all
    assert notified_and_unclaimed(session, outputs)


def test_an_alert_another_invocation_is_sending_fails_alone_and_is_dropped_once_confirmed(
        notify_app, context, session, outputs, inbox, suspicious):
    event = alerts_event(session, outputs)
    first, others = event["Records"][0], event["Records"][1:]
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    held = json_codec.loads(first["body"])
    session.client("dynamodb").update_item(  # another invocation claimed it just now
        TableName=table, Key=key_of(held["transactionId"], held["timestamp"]),
        UpdateExpression="SET alertClaimedAt = :now",
        ExpressionAttributeValues={":now": {"N": str(notify_app.now_ms())}})
    assert notify(notify_app, context, event) == [first["messageId"]]
    [digest] = digests(session, inbox)
    assert digest["Subject"].startswith("2 ")
    session.client("dynamodb").update_item(  # ... and confirmed it
        TableName=table, Key=key_of(held["transactionId"], held["timestamp"]),
        UpdateExpression="SET notifiedAt = :at REMOVE alertClaimedAt",
        ExpressionAttributeValues={":at": {"S": "2024-05-01T12:00:02.000Z"}})
    assert notify(notify_app, context, {"Records": [first]}) == []
    assert digests(session, inbox) == []
    assert len(others) == 2
