"""Drive the handlers the way their event sources do, and read back what they left behind."""

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from common import json_codec
from common.entity_days import EntityDay
from common.stats import DayTotals
from common.transaction import from_item, is_id_guard, to_item

from shared.outputs import DataOutputs
from tests.functions.events import sqs_event, stream_event

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z
DAY = "2024-05-01"


def transaction(number: int, account: str = "acc-0001", amount: str = "25.00", *,
                timestamp: int | None = None, country: str = "DE", mcc: str = "5411",
                currency: str = "EUR") -> dict[str, Any]:
    """A stored transaction as process-transaction writes it (PENDING)."""
    return {"transactionId": f"txn-{number:05d}", "accountId": account,
            "amount": Decimal(amount), "currency": currency, "merchantId": f"m-{number % 7}",
            "merchantCategory": mcc, "country": country,
            "timestamp": T0 + number * 1000 if timestamp is None else timestamp,
            "fraudStatus": "PENDING"}


def store(session, outputs: Mapping[str, str], items: Iterable[Mapping[str, Any]]) -> None:
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    dynamodb = session.client("dynamodb")
    for item in items:
        dynamodb.put_item(TableName=table, Item=to_item(item))


def analyse(detect_app, context, items, first_sequence: int = 100) -> list[str]:
    """Invoke detect-fraud on a stream batch of ``items``; the failed sequence numbers."""
    response = detect_app.lambda_handler(stream_event(items, first_sequence), context)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def stored(session, outputs: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Every transaction in the table, by id (id guards left out)."""
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return {item["transactionId"]["S"]: from_item(item)
            for page in pages for item in page["Items"] if not is_id_guard(item)}


def stored_with_id(session, outputs: Mapping[str, str], transaction_id: str,
                   ) -> tuple[list[dict[str, Any]], int]:
    """The transactions the table holds under ``transaction_id``, and how many id guards
    (a strongly consistent read of the whole partition)."""
    items = session.client("dynamodb").query(
        TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], ConsistentRead=True,
        KeyConditionExpression="transactionId = :id",
        ExpressionAttributeValues={":id": {"S": transaction_id}})["Items"]
    guards = [item for item in items if is_id_guard(item)]
    return [from_item(item) for item in items if not is_id_guard(item)], len(guards)


def stats_items(session, outputs: Mapping[str, str], day: str = DAY) -> list[dict[str, Any]]:
    table = outputs[DataOutputs.STATS_TABLE_NAME]
    pages = session.client("dynamodb").get_paginator("query").paginate(
        TableName=table, KeyConditionExpression="#d = :d", ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":d": {"S": day}})
    return [from_item(item) for page in pages for item in page["Items"]]


def day_totals(session, outputs: Mapping[str, str], day: str = DAY) -> DayTotals:
    return DayTotals.from_items(stats_items(session, outputs, day))


def entity_days(session, outputs: Mapping[str, str]) -> dict[tuple[str, str], EntityDay]:
    """Every item of the features table, by (entity, day)."""
    table = outputs[DataOutputs.FEATURES_TABLE_NAME]
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    days = [EntityDay.from_item(from_item(item)) for page in pages for item in page["Items"]]
    return {(day.entity, day.day): day for day in days}


def features_items(session, outputs: Mapping[str, str]) -> list[dict[str, Any]]:
    """The features table's raw items (plain values), expiry included."""
    table = outputs[DataOutputs.FEATURES_TABLE_NAME]
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [from_item(item) for page in pages for item in page["Items"]]


def receive_all(session, queue_url: str) -> list[dict[str, Any]]:
    """Take every message off a queue (deleting them), as the event source mapping would."""
    sqs = session.client("sqs")
    messages: list[dict[str, Any]] = []
    for _ in range(1000):
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                    MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            return messages
        messages += batch
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)])
    raise AssertionError("the queue did not drain")


def queued_alerts(session, outputs: Mapping[str, str]) -> list[dict[str, Any]]:
    """The alert messages detect-fraud queued (taken off the queue)."""
    return [json_codec.loads(m["Body"])
            for m in receive_all(session, outputs[DataOutputs.ALERTS_QUEUE_URL])]


def alerts_event(session, outputs: Mapping[str, str]) -> dict[str, Any]:
    """A notify-team invocation holding every queued alert."""
    bodies = [m["Body"] for m in receive_all(session, outputs[DataOutputs.ALERTS_QUEUE_URL])]
    return sqs_event(bodies, outputs[DataOutputs.ALERTS_QUEUE_ARN])


def subscribe_inbox(session, outputs: Mapping[str, str]) -> str:
    """An SQS queue subscribed to the notifications topic: where the digests can be read."""
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="test-digest-inbox")["QueueUrl"]
    receive_all(session, url)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    sns = session.client("sns")
    topic = outputs[DataOutputs.NOTIFICATIONS_TOPIC_ARN]
    if not any(s["Endpoint"] == arn for s in
               sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return url


def digests(session, inbox_url: str) -> list[dict[str, Any]]:
    """The SNS notifications delivered to the inbox: Subject, Message, MessageAttributes."""
    return [json.loads(m["Body"]) for m in receive_all(session, inbox_url)]
