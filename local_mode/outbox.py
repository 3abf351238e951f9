"""The fraud team's inbox, locally: digests observed on the notifications topic itself.

In AWS the topic emails each digest to ``fraud:alertEmail``. Locally a queue is subscribed to
the topic (``sqs-local-outbox-local``, a local-only resource); every notification delivered to
it is kept as the JSON SNS delivers (``Subject``, ``Message``, ``MessageAttributes``, ...) under
``<outbox>/digests/`` and printed. The subscription keeps SNS's envelope rather than raw
delivery, because raw delivery drops the subject, which is the email's subject line.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_mode.console import shown
from shared.naming import resource_name

OUTBOX_QUEUE_PURPOSE = "local-outbox"
DIGESTS_DIR = "digests"


def subscribe_outbox_queue(sqs: Any, sns: Any, topic_arn: str, suffix: str) -> tuple[str, str]:
    """Create (or find) the outbox queue and its subscription to ``topic_arn``: (URL, ARN)."""
    url = sqs.create_queue(QueueName=resource_name("sqs", OUTBOX_QUEUE_PURPOSE, suffix))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    # What AWS needs for the delivery, kept to this one topic.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": arn,
                       "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]})})
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    if not any(subscription["Endpoint"] == arn for subscription in subscriptions):
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url, arn


@dataclass
class OutboxCounters:
    digests: int = 0
    alerts: int = 0  # alerts in those digests (the digests' alertCount)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, alerts: int) -> None:
        with self._lock:
            self.digests += 1
            self.alerts += alerts


def read_digests(directory: Path) -> list[dict[str, Any]]:
    """Every digest kept under ``directory`` (an outbox), oldest first."""
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((directory / DIGESTS_DIR).glob("*.json"))]


def alert_count(notification: dict[str, Any]) -> int:
    """How many alerts a digest holds (its ``alertCount`` message attribute)."""
    return int(notification["MessageAttributes"]["alertCount"]["Value"])


class Outbox:
    """Keeps and shows each notification an SQS event (from the outbox queue) holds."""

    def __init__(self, directory: Path, show: Callable[[str], None]) -> None:
        self.directory = directory / DIGESTS_DIR
        self.directory.mkdir(parents=True, exist_ok=True)
        self.show = show
        self.counters = OutboxCounters()

    def receive(self, event: dict[str, Any]) -> dict[str, Any]:
        """Handle the queue poller's event: every record is a notification from the topic."""
        for record in event["Records"]:
            notification = json.loads(record["body"])
            timestamp = notification["Timestamp"].replace(":", "").replace("-", "")
            path = self.directory / f"{timestamp}-{notification['MessageId']}.json"
            path.write_text(json.dumps(notification, indent=2, ensure_ascii=False),
                            encoding="utf-8")
            self.counters.count(alert_count(notification))
            self.show(f"── digest: {notification.get('Subject', '(no subject)')} ──\n"
                      f"{notification['Message'].rstrip()}\n(kept in {shown(path)})")
        return {"batchItemFailures": []}
