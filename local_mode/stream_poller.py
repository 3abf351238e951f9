"""The table's stream → detect-fraud, as Lambda's DynamoDB Streams event source mapping does it.

Per shard, in order: gather records until the batch is full or the batching window has passed
since the oldest waiting one, drop those the filter excludes (only new transactions reach the
function; the pattern is matched by moto's implementation of the event pattern grammar that
Lambda's filters use), invoke, then checkpoint what succeeded. A batch the function fails
(``batchItemFailures``, or an error) is handled like this:

- what came before the first failed record is done (checkpointed);
- the rest is split in two and each half delivered again (splitting costs no retry), so a
  record that keeps failing ends up alone; Lambda documents the split for function errors, and
  this mapping applies it after a partial failure too, which isolates the record the same way;
- a record (or batch) that still fails is retried ``MaximumRetryAttempts`` times, then sent to
  the on-failure destination, the analysis DLQ, and skipped.

The DLQ message is Lambda's on-failure envelope (``requestContext``, ``responseContext``,
``DDBStreamBatchInfo``) plus ``payload``, the event the function failed on: AWS puts the
records in the envelope only for S3 destinations; an SQS message from AWS carries their
sequence numbers, to be read back from the stream within its 24 hours.

Checkpoints are saved per stream and shard in a file, so stopped and restarted workers resume
after the last record they finished; a new emulator has a new stream (ARN) and starts afresh.
"""

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from common.clock import iso_now
from common.transaction import FRAUD_STATUS, PENDING, SUSPICIOUS
from moto.events.models import EventPattern

from local_mode.functions import FunctionError, LocalFunction
from shared import lambdas
from shared.settings import Settings

Record = dict[str, Any]
IDLE_POLL_SECONDS = 0.25  # Lambda polls a stream's shards four times a second
GET_RECORDS_LIMIT = 1000  # DynamoDB Streams' maximum per GetRecords call


@dataclass(frozen=True)
class StreamMapping:
    """The stream event source mapping's settings (those of the compute stack)."""

    batch_size: int
    batch_window_seconds: int
    filter_pattern: EventPattern = field(
        default_factory=lambda: EventPattern(None, lambdas.STREAM_FILTER_PATTERN))
    maximum_retry_attempts: int = lambdas.STREAM_MAXIMUM_RETRY_ATTEMPTS
    bisect_on_error: bool = lambdas.STREAM_BISECT_BATCH_ON_FUNCTION_ERROR

    @classmethod
    def from_settings(cls, settings: Settings) -> "StreamMapping":
        return cls(settings.stream_batch_size, settings.stream_batch_window_seconds)


@dataclass
class StreamCounters:
    """What the stream shows of the pipeline, for the status line."""

    analysed: int = 0  # verdicts written (MODIFY records from PENDING)
    flagged: int = 0  # of which SUSPICIOUS
    invocations: int = 0
    dead_lettered: int = 0  # records sent to the analysis DLQ
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, record: Record) -> None:
        if record.get("eventName") != "MODIFY":
            return
        images = record["dynamodb"]
        old = images.get("OldImage", {}).get(FRAUD_STATUS, {}).get("S")
        new = images.get("NewImage", {}).get(FRAUD_STATUS, {}).get("S")
        if old == PENDING and new not in (None, PENDING):
            with self._lock:
                self.analysed += 1
                self.flagged += new == SUSPICIOUS


def first_failure(records: list[Record], result: Any) -> int | None:
    """Where ``result`` (a partial batch response) says the batch failed; ``None``: it did not.

    An empty or missing list is success; an identifier that is empty or names no record of
    the batch makes it a complete failure, as Lambda reads it.
    """
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return None
    position = {record["dynamodb"]["SequenceNumber"]: n for n, record in enumerate(records)}
    identifiers = [failure.get("itemIdentifier") if isinstance(failure, dict) else None
                   for failure in failures]
    if any(identifier not in position for identifier in identifiers):
        return 0
    return min(position[identifier] for identifier in identifiers)


@dataclass
class BatchDelivery:
    """Delivers one batch with the retry, split and discard rules of the module docstring."""

    invoke: Callable[[list[Record]], Any]  # raises FunctionError
    completed: Callable[[Record], None]  # every record up to this one is done
    discard: Callable[[list[Record], int, bool], None]  # (records, invocations, function error)
    maximum_retry_attempts: int
    bisect_on_error: bool

    def deliver(self, records: list[Record]) -> None:
        parts: list[tuple[list[Record], int]] = [(records, 0)]  # (records, retries so far)
        while parts:
            part, retries = parts.pop(0)
            function_error = False
            try:
                failed_at = first_failure(part, self.invoke(part))
            except FunctionError:
                failed_at, function_error = 0, True
            if failed_at is None:
                self.completed(part[-1])
                continue
            if failed_at:
                self.completed(part[failed_at - 1])
            rest = part[failed_at:]
            if self.bisect_on_error and len(rest) > 1:
                middle = len(rest) // 2
                parts[:0] = [(rest[:middle], retries), (rest[middle:], retries)]
            elif retries < self.maximum_retry_attempts:
                parts.insert(0, (rest, retries + 1))
            else:
                self.discard(rest, retries + 1, function_error)
                self.completed(rest[-1])


class Checkpoints:
    """The last finished sequence number per shard of each stream, kept in a JSON file."""

    def __init__(self, path: Path, stream_arn: str) -> None:
        self.path, self.stream_arn = path, stream_arn
        self._lock = threading.Lock()

    def _all(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def get(self, shard_id: str) -> str | None:
        return self._all().get(self.stream_arn, {}).get(shard_id)

    def set(self, shard_id: str, sequence_number: str) -> None:
        with self._lock:
            everything = self._all()
            everything.setdefault(self.stream_arn, {})[shard_id] = sequence_number
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(everything, indent=2), encoding="utf-8")
            temporary.replace(self.path)


def _plain(value: Any) -> Any:
    """A record as the Lambda event carries it: times as epoch seconds, binaries in base64."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None = None
    pending: list[tuple[float, Record]] = field(default_factory=list)  # (fetched at, record)


class StreamPoller(threading.Thread):
    """Polls every shard of ``stream_arn`` and feeds ``function`` (one batch at a time)."""

    def __init__(self, *, streams: Any, sqs: Any, stream_arn: str, region: str,
                 function: LocalFunction, dead_letter_queue_url: str, mapping: StreamMapping,
                 checkpoints: Checkpoints, on_error: Callable[[str], None]) -> None:
        super().__init__(name="stream-poller", daemon=True)
        self.streams, self.sqs = streams, sqs
        self.stream_arn, self.region = stream_arn, region
        self.function, self.dead_letter_queue_url = function, dead_letter_queue_url
        self.mapping, self.checkpoints, self.on_error = mapping, checkpoints, on_error
        self.counters = StreamCounters()
        self._shards: dict[str, _Shard] = {}
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the batch in hand, then stop (records not yet delivered stay unfinished)."""
        self._stopping.set()
        self.join()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self._poll()
            except (ClientError, BotoCoreError) as error:
                self.on_error(f"stream poller: {error}; resuming from the last checkpoint")
                self._shards.clear()
                busy = False
            if not busy:
                self._stopping.wait(IDLE_POLL_SECONDS)

    def _poll(self) -> bool:
        if not self._shards:
            description = self.streams.describe_stream(StreamArn=self.stream_arn)
            for shard in description["StreamDescription"]["Shards"]:
                self._shards[shard["ShardId"]] = _Shard(shard["ShardId"])
        busy = False
        for shard in self._shards.values():
            busy |= self._fetch(shard)
            batch = self._ready_prefix(shard)
            if batch:
                self._deliver(shard, batch)
                busy = True
        return busy

    def _fetch(self, shard: _Shard) -> bool:
        if shard.iterator is None:
            shard.iterator = self._iterator(shard.shard_id)
            if shard.iterator is None:
                return False
        if self._count_matching(shard.pending) >= self.mapping.batch_size:
            return False
        page = self.streams.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT)
        shard.iterator = page.get("NextShardIterator")
        fetched_at = time.monotonic()
        for record in page["Records"]:
            record = _plain(record) | {"awsRegion": self.region,  # moto says us-east-1
                                       "eventSourceARN": self.stream_arn}
            self.counters.observe(record)
            shard.pending.append((fetched_at, record))
        return bool(page["Records"])

    def _iterator(self, shard_id: str) -> str | None:
        checkpoint = self.checkpoints.get(shard_id)
        position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint}
                    if checkpoint else {"ShardIteratorType": lambdas.STREAM_STARTING_POSITION})
        response = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id,
                                                   **position)
        return response.get("ShardIterator")

    def _matches(self, record: Record) -> bool:
        return self.mapping.filter_pattern.matches_event(record)

    def _count_matching(self, pending: list[tuple[float, Record]]) -> int:
        return sum(self._matches(record) for _, record in pending)

    def _ready_prefix(self, shard: _Shard) -> list[Record]:
        """The records to hand over now (a full batch, or one whose window has passed)."""
        matching = [fetched_at for fetched_at, record in shard.pending if self._matches(record)]
        if matching:
            waited = time.monotonic() - matching[0]
            if len(matching) < self.mapping.batch_size and \
                    waited < self.mapping.batch_window_seconds:
                return []
        prefix, count = [], 0
        for _, record in shard.pending:
            if self._matches(record):
                if count == self.mapping.batch_size:
                    break
                count += 1
            prefix.append(record)
        del shard.pending[:len(prefix)]
        return prefix

    def _deliver(self, shard: _Shard, prefix: list[Record]) -> None:
        batch = [record for record in prefix if self._matches(record)]
        if batch:
            BatchDelivery(
                invoke=self._invoke,
                completed=lambda record: self._checkpoint(shard, record),
                discard=lambda records, count, error: self._discard(shard, records, count, error),
                maximum_retry_attempts=self.mapping.maximum_retry_attempts,
                bisect_on_error=self.mapping.bisect_on_error,
            ).deliver(batch)
        self._checkpoint(shard, prefix[-1])  # what the filter dropped after the batch is done too

    def _invoke(self, records: list[Record]) -> Any:
        self.counters.invocations += 1
        return self.function.invoke({"Records": records})

    def _checkpoint(self, shard: _Shard, record: Record) -> None:
        self.checkpoints.set(shard.shard_id, record["dynamodb"]["SequenceNumber"])

    def _discard(self, shard: _Shard, records: list[Record], invocations: int,
                 function_error: bool) -> None:
        arrivals = [datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], UTC)
                    .strftime("%Y-%m-%dT%H:%M:%SZ") for record in records]
        envelope = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self.function.arn,
                               "condition": "RetryAttemptsExhausted",
                               "approximateInvokeCount": invocations},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                **({"functionError": "Unhandled"} if function_error else {})},
            "version": "1.0",
            "timestamp": iso_now(),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrivals[0],
                "approximateArrivalOfLastRecord": arrivals[-1],
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
            "payload": {"Records": records},
        }
        self.sqs.send_message(QueueUrl=self.dead_letter_queue_url, MessageBody=json.dumps(envelope))
        self.counters.dead_lettered += len(records)
        self.on_error(f"detect-fraud gave up on {len(records)} stream record(s) after "
                      f"{invocations} attempts; sent to the analysis DLQ")
