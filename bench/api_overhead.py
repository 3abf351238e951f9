"""1. API handler overhead: a POST through process-transaction, against a bare PutItem.

Both run on moto in-process, through the handler module's own DynamoDB client, on the same
table, writing the same item with the same condition, so the ratio isolates what the handler
adds around its one write: Powertools' resolver, logger and metrics, the schema and the
checks a schema cannot state, the (de)serialisation of the item and of the response.
Runs alternate which side goes first, and each run's ratio compares two batches of calls
measured back to back.
"""

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from common import json_codec
from common.data_model import TRANSACTION_ID
from common.transaction import to_item

from bench.emulators import emulated_platform
from bench.stats import Summary, ratios
from shared.outputs import DataOutputs
from tests.functions.events import api_event

GOAL = 1.5
CALLS_PER_RUN = 200
WARMUP_CALLS = 30
PACKAGE = "process_transaction"
# A POST without transactionId or timestamp: the server makes both, and writes once.
BODY = json_codec.dumps({"accountId": "acc-000123", "amount": json_codec.loads("125.40"),
                         "currency": "EUR", "merchantId": "merchant-42",
                         "merchantCategory": "5411", "country": "DE", "channel": "online"})


def measure(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    with emulated_platform("bench-api") as platform:
        app = platform.handlers[PACKAGE]
        table = platform.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
        first = platform.invoke(PACKAGE, api_event("POST", "/transactions", BODY))
        if first.result["statusCode"] != 201 or dict(first.calls) != {"DynamoDB.PutItem": 1}:
            raise RuntimeError(f"the POST did not store with one PutItem: {first}")
        stored = json_codec.loads(first.result["body"])  # the item the handler wrote

        def handler_batch(count: int) -> tuple[float, float]:
            events = [api_event("POST", "/transactions", BODY) for _ in range(count)]
            return _timed(platform, lambda: [app.lambda_handler(event, platform.context)
                                             for event in events], count, expect_status=201)

        def bare_batch(count: int) -> tuple[float, float]:
            items = [to_item({**stored, TRANSACTION_ID.name: str(uuid.uuid4())})
                     for _ in range(count)]
            return _timed(platform, lambda: [app.dynamodb.put_item(
                TableName=table, Item=item, ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": TRANSACTION_ID.name},
                ReturnValuesOnConditionCheckFailure="ALL_OLD") for item in items], count)

        handler_batch(WARMUP_CALLS)
        bare_batch(WARMUP_CALLS)
        handler: list[tuple[float, float]] = []
        bare: list[tuple[float, float]] = []
        for run in range(runs):
            progress(f"run {run + 1}/{runs}: {CALLS_PER_RUN} POSTs and {CALLS_PER_RUN} PutItems")
            if run % 2:
                bare.append(bare_batch(CALLS_PER_RUN))
                handler.append(handler_batch(CALLS_PER_RUN))
            else:
                handler.append(handler_batch(CALLS_PER_RUN))
                bare.append(bare_batch(CALLS_PER_RUN))

    handler_ms = [seconds * 1000 for seconds, _ in handler]
    bare_ms = [seconds * 1000 for seconds, _ in bare]
    return {
        "goal": GOAL,
        "runs": runs,
        "calls_per_run": CALLS_PER_RUN,
        "handler_ms": Summary.of(handler_ms).as_dict(),
        "bare_ms": Summary.of(bare_ms).as_dict(),
        "ratio": ratios(handler_ms, bare_ms).as_dict(),
        "overhead_ms": Summary.of([h - b for h, b in zip(handler_ms, bare_ms, strict=True)]
                                  ).as_dict(),
        "handler_emulator_ms": Summary.of([e * 1000 for _, e in handler]).as_dict(),
        "bare_emulator_ms": Summary.of([e * 1000 for _, e in bare]).as_dict(),
    }


def _timed(platform: Any, batch: Callable[[], list[Any]], count: int,
           expect_status: int | None = None) -> tuple[float, float]:
    """Mean seconds per call of ``batch``, and of that the mean inside the emulator."""
    emulator_before = platform.clock.seconds
    with contextlib.redirect_stdout(platform.logs):
        started = time.perf_counter()
        responses = batch()
        elapsed = time.perf_counter() - started
    if expect_status is not None and any(r["statusCode"] != expect_status for r in responses):
        raise RuntimeError(f"a benchmarked call did not answer {expect_status}")
    return elapsed / count, (platform.clock.seconds - emulator_before) / count
