"""Send one SNS digest per batch of fraud alerts, each alert at most once.

An alert is claimed before it is published: a conditional ``SET notifiedAt`` on the
transaction that succeeds only if no digest has claimed it yet (one write per alert). Alerts
already claimed are dropped (a redelivered message, or a second alert detect-fraud re-sent).
If the publish fails, this batch's claims are released and exactly their messages fail, so
SQS redelivers them and the retry notifies them once. Known gap: a crash after the claims and
before the publish loses those alerts' email (they stay in the table and the daily report).
"""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from common import environment as env
from common.alerts import Alert
from common.clock import iso_now
from common.metrics import ALERTS_NOTIFIED, DIGESTS_SENT, NAMESPACE
from common.transaction import NOTIFIED_AT, key_of

from notify_team.digest import build_digest

SERVICE = "notify-team"
TRANSACTIONS_TABLE = os.environ[env.TRANSACTIONS_TABLE]
NOTIFICATIONS_TOPIC_ARN = os.environ[env.NOTIFICATIONS_TOPIC_ARN]

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")
# Report each failed message on its own, even when all failed (no exception, same response).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Claims:
    """The alerts this invocation claimed, with the ``notifiedAt`` value it wrote."""

    def __init__(self) -> None:
        self.claimed_at = iso_now()
        self.alerts: dict[str, Alert] = {}  # message id → alert

    def claim(self, record: SQSRecord) -> None:
        """Claim the record's alert; an alert already claimed is dropped, quietly."""
        alert = Alert.from_message(record.body)
        logger.set_correlation_id(record.message_id)
        try:
            dynamodb.update_item(
                TableName=TRANSACTIONS_TABLE, Key=key_of(alert.transaction_id, alert.timestamp),
                UpdateExpression="SET #notified = :now",
                ConditionExpression="attribute_exists(#id) AND attribute_not_exists(#notified)",
                ExpressionAttributeNames={"#notified": NOTIFIED_AT, "#id": "transactionId"},
                ExpressionAttributeValues={":now": {"S": self.claimed_at}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except dynamodb.exceptions.ConditionalCheckFailedException as error:
            reason = ("already notified" if error.response.get("Item")
                      else "transaction not found")
            logger.info("Alert dropped", extra={"transactionId": alert.transaction_id,
                                                "reason": reason})
            return
        self.alerts[record.message_id] = alert

    def release(self) -> None:
        """Undo this invocation's claims (only ours: the condition compares the value)."""
        for alert in self.alerts.values():
            try:
                dynamodb.update_item(
                    TableName=TRANSACTIONS_TABLE,
                    Key=key_of(alert.transaction_id, alert.timestamp),
                    UpdateExpression="REMOVE #notified", ConditionExpression="#notified = :ours",
                    ExpressionAttributeNames={"#notified": NOTIFIED_AT},
                    ExpressionAttributeValues={":ours": {"S": self.claimed_at}})
            except (ClientError, BotoCoreError) as error:
                logger.error("Claim not released: the alert will not be emailed", extra={
                    "transactionId": alert.transaction_id, "error": str(error)})


def publish(alerts: list[Alert]) -> None:
    digest = build_digest(alerts)
    sns.publish(
        TopicArn=NOTIFICATIONS_TOPIC_ARN, Subject=digest.subject, Message=digest.body,
        MessageAttributes={
            "severity": {"DataType": "String", "StringValue": digest.severity},
            "alertCount": {"DataType": "Number", "StringValue": str(digest.alert_count)},
            "maxScore": {"DataType": "Number", "StringValue": str(digest.max_score)},
        })
    metrics.add_metric(name=DIGESTS_SENT, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=ALERTS_NOTIFIED, unit=MetricUnit.Count, value=len(alerts))
    logger.info("Digest published", extra={
        "alerts": len(alerts), "severity": digest.severity,
        "transactionIds": [alert.transaction_id for alert in alerts]})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    claims = Claims()
    with processor(records=event["Records"], handler=claims.claim, lambda_context=context):
        processor.process()
    response = processor.response()
    if claims.alerts:
        try:
            publish(list(claims.alerts.values()))
        except (ClientError, BotoCoreError) as error:
            logger.error("Digest not published; its alerts will be retried",
                         extra={"error": str(error)})
            claims.release()
            response["batchItemFailures"] += [{"itemIdentifier": message_id}
                                              for message_id in claims.alerts]
    return response
