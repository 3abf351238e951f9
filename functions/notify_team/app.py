"""Send one SNS digest per batch of fraud alerts: each alert at least once, a possible repeat
marked, and none twice without a crash.

Claim, publish, confirm. Each alert is claimed on its transaction (a conditional ``SET
alertClaimedAt``: not yet notified, and no claim or only an expired one), the batch's claimed
alerts go out as one digest, then each is confirmed (``SET notifiedAt``). A claim expires
``ALERT_CLAIM_SECONDS`` after it was made, which is before SQS hands its message out again
(``shared.lambdas.alert_claim_seconds``), so:

- a crash between claim and confirm loses nothing: the batch's messages come back, their
  claims have expired, and the alerts are published again, marked "repeated" (the digest the
  crashed invocation was sending may or may not have gone out);
- a claim another invocation still holds fails that message alone; SQS retries it later, by
  when the claim is confirmed (the alert is dropped) or expired (it is published);
- a failed publish releases its claims and fails exactly their messages; a claim it could not
  release expires, and the retry publishes the alert (marked repeated);
- a batch delivered again after a success finds its alerts confirmed and sends nothing, and an
  alert that appears twice in one batch is listed once.
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
from common.clock import iso_now, now_ms
from common.data_model import TRANSACTION_ID
from common.metrics import ALERTS_NOTIFIED, DIGESTS_SENT, NAMESPACE
from common.transaction import ALERT_CLAIMED_AT, NOTIFIED_AT, key_of

from notify_team.digest import build_digest

SERVICE = "notify-team"
TRANSACTIONS_TABLE = os.environ[env.TRANSACTIONS_TABLE]
NOTIFICATIONS_TOPIC_ARN = os.environ[env.NOTIFICATIONS_TOPIC_ARN]
ALERT_CLAIM_MS = int(os.environ[env.ALERT_CLAIM_SECONDS]) * 1000

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")
# Report each failed message on its own, even when all failed (no exception, same response).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

NAMES = {"#id": TRANSACTION_ID.name, "#claimed": ALERT_CLAIMED_AT, "#notified": NOTIFIED_AT}


class ClaimHeld(Exception):
    """Another invocation holds the alert's claim: retry the message once it has ended."""


class Claims:
    """The alerts this invocation claimed (by message id), and which may be repeats."""

    def __init__(self) -> None:
        self.claimed_at = now_ms()
        self.alerts: dict[str, Alert] = {}
        self.repeated: set[str] = set()  # transaction ids claimed over an expired claim
        self._keys: set[tuple[str, int]] = set()

    def claim(self, record: SQSRecord) -> None:
        """Claim the record's alert; drop it if notified, gone, or already in this batch."""
        alert = Alert.from_message(record.body)
        logger.set_correlation_id(record.message_id)
        key = (alert.transaction_id, alert.timestamp)
        if key in self._keys:
            logger.info("Alert dropped", extra={"transactionId": alert.transaction_id,
                                                "reason": "twice in this batch"})
            return
        try:
            response = dynamodb.update_item(
                TableName=TRANSACTIONS_TABLE, Key=key_of(*key),
                UpdateExpression="SET #claimed = :now",
                ConditionExpression="attribute_exists(#id) AND attribute_not_exists(#notified)"
                                    " AND (attribute_not_exists(#claimed) OR #claimed < :expired)",
                ExpressionAttributeNames=NAMES,
                ExpressionAttributeValues={":now": {"N": str(self.claimed_at)},
                                           ":expired": {"N": str(self.claimed_at
                                                                 - ALERT_CLAIM_MS)}},
                ReturnValues="UPDATED_OLD", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except dynamodb.exceptions.ConditionalCheckFailedException as error:
            stored = error.response.get("Item")
            if stored and NOTIFIED_AT not in stored:
                logger.info("Alert claimed by another invocation; retried later",
                            extra={"transactionId": alert.transaction_id})
                raise ClaimHeld(alert.transaction_id) from None
            logger.info("Alert dropped", extra={
                "transactionId": alert.transaction_id,
                "reason": "already notified" if stored else "transaction not found"})
            return
        if ALERT_CLAIMED_AT in response.get("Attributes", {}):
            self.repeated.add(alert.transaction_id)  # a claim that expired: maybe published
        self.alerts[record.message_id] = alert
        self._keys.add(key)

    def confirm(self) -> None:
        """Mark the published alerts notified; one that fails keeps an expiring claim."""
        notified_at = iso_now()
        for alert in self.alerts.values():
            self._update(alert, "confirm", UpdateExpression="SET #notified = :now REMOVE #claimed",
                         ConditionExpression="attribute_exists(#id)",
                         ExpressionAttributeNames=NAMES,
                         ExpressionAttributeValues={":now": {"S": notified_at}})

    def release(self) -> None:
        """Undo this invocation's claims (only ours: the condition compares the value)."""
        for alert in self.alerts.values():
            self._update(alert, "release", UpdateExpression="REMOVE #claimed",
                         ConditionExpression="#claimed = :ours",
                         ExpressionAttributeNames={"#claimed": ALERT_CLAIMED_AT},
                         ExpressionAttributeValues={":ours": {"N": str(self.claimed_at)}})

    def _update(self, alert: Alert, purpose: str, **update: Any) -> None:
        try:
            dynamodb.update_item(TableName=TRANSACTIONS_TABLE,
                                 Key=key_of(alert.transaction_id, alert.timestamp), **update)
        except (ClientError, BotoCoreError) as error:
            # Nothing is lost: the claim expires, and the alert can only be sent again.
            logger.warning(f"Claim not {purpose}ed; it expires", extra={
                "transactionId": alert.transaction_id, "error": str(error)})


def publish(claims: Claims) -> None:
    alerts = list(claims.alerts.values())
    digest = build_digest(alerts, repeated=claims.repeated)
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
        "transactionIds": [alert.transaction_id for alert in alerts],
        "repeated": sorted(claims.repeated)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    claims = Claims()
    with processor(records=event["Records"], handler=claims.claim, lambda_context=context):
        processor.process()
    response = processor.response()
    if claims.alerts:
        try:
            publish(claims)
        except (ClientError, BotoCoreError) as error:
            logger.error("Digest not published; its alerts will be retried",
                         extra={"error": str(error)})
            claims.release()
            response["batchItemFailures"] += [{"itemIdentifier": message_id}
                                              for message_id in claims.alerts]
        else:
            claims.confirm()
    return response
