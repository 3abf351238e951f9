"""An SQS queue → a function, as Lambda's SQS event source mapping does it.

Gather up to ``batch_size`` messages (or what arrived within the batching window), invoke
with them, delete those that succeeded, and leave the failed ones to become visible again:
each receive counts, and after the queue's ``maxReceiveCount`` receives SQS's own redrive moves
a message to its dead-letter queue. A function error fails the whole batch; so does a
``batchItemFailures`` entry naming no message of the batch, as Lambda reads it.

The alerts queue's 300 s visibility timeout suits Lambda; locally a failed message is made
visible again after ``retry_delay_seconds``, so retries (and the redrive) happen in seconds.
Messages are received with a visibility timeout long enough to cover the window and the
invocation, so none reappears while it is being handled.
"""

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local_mode.functions import FunctionError

SQS_BATCH_LIMIT = 10  # per ReceiveMessage, DeleteMessageBatch and ChangeMessageVisibilityBatch
LONG_POLL_SECONDS = 1  # short enough to notice a stop request quickly


@dataclass
class QueueCounters:
    invocations: int = 0
    succeeded: int = 0  # messages deleted after the function handled them
    failed: int = 0  # messages left to be received again
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, succeeded: int, failed: int) -> None:
        with self._lock:
            self.invocations += 1
            self.succeeded += succeeded
            self.failed += failed


def _lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode()
            if "BinaryValue" in value else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [base64.b64encode(item).decode()
                                 for item in value.get("BinaryListValues", [])],
            "dataType": value["DataType"],
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_message_ids(message_ids: list[str], result: Any) -> set[str]:
    """The messages ``result`` (a partial batch response) reports failed."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    identifiers = {failure.get("itemIdentifier") if isinstance(failure, dict) else None
                   for failure in failures}
    if not identifiers <= set(message_ids):
        return set(message_ids)
    return identifiers  # type: ignore[return-value]


class QueuePoller(threading.Thread):
    """Feeds ``invoke`` from ``queue_url`` until stopped, one batch at a time."""

    def __init__(self, *, name: str, sqs: Any, queue_url: str, queue_arn: str, region: str,
                 invoke: Callable[[dict[str, Any]], Any], batch_size: int,
                 batch_window_seconds: float, hold_seconds: int, retry_delay_seconds: int,
                 on_error: Callable[[str], None]) -> None:
        super().__init__(name=name, daemon=True)
        self.sqs, self.queue_url, self.queue_arn, self.region = sqs, queue_url, queue_arn, region
        self.invoke, self.batch_size = invoke, batch_size
        self.batch_window_seconds = batch_window_seconds
        self.hold_seconds, self.retry_delay_seconds = hold_seconds, retry_delay_seconds
        self.on_error = on_error
        self.counters = QueueCounters()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the batch in hand; messages gathered but not yet delivered are released."""
        self._stopping.set()
        self.join()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                messages = self._gather()
                if self._stopping.is_set():
                    self._make_visible(messages, 0)
                elif messages:
                    self._deliver(messages)
            except (ClientError, BotoCoreError) as error:
                self.on_error(f"{self.name}: {error}")
                self._stopping.wait(1)

    def _gather(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(messages) < self.batch_size and not self._stopping.is_set():
            if deadline is not None and deadline - time.monotonic() < LONG_POLL_SECONDS:
                # Too little of the window left for a long poll: wait it out, take what came.
                self._stopping.wait(max(0.0, deadline - time.monotonic()))
                messages += self._receive(len(messages), wait_seconds=0)
                break
            messages += self._receive(len(messages), wait_seconds=LONG_POLL_SECONDS)
            if messages and deadline is None:
                deadline = time.monotonic() + self.batch_window_seconds
        return messages

    def _receive(self, held: int, wait_seconds: int) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.queue_url, WaitTimeSeconds=wait_seconds,
            MaxNumberOfMessages=min(SQS_BATCH_LIMIT, self.batch_size - held),
            VisibilityTimeout=self.hold_seconds, MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"]).get("Messages", [])

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [_lambda_record(m, self.queue_arn, self.region) for m in messages]}
        ids = [message["MessageId"] for message in messages]
        try:
            failed = failed_message_ids(ids, self.invoke(event))
        except FunctionError:
            failed = set(ids)
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), SQS_BATCH_LIMIT):
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                for n, message in enumerate(done[start:start + SQS_BATCH_LIMIT])])
        self._make_visible([m for m in messages if m["MessageId"] in failed],
                           self.retry_delay_seconds)
        self.counters.count(len(done), len(failed))

    def _make_visible(self, messages: list[dict[str, Any]], delay_seconds: int) -> None:
        for start in range(0, len(messages), SQS_BATCH_LIMIT):
            self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"],
                 "VisibilityTimeout": delay_seconds}
                for n, message in enumerate(messages[start:start + SQS_BATCH_LIMIT])])
