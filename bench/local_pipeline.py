"""4b. The local pipeline end to end: its sustained rate and POST → verdict latency.

The local mode as ``make local`` runs it (``local_mode.process.LocalModeProcess``: ``python -m
local_mode serve`` on free ports, with its own outbox in a temporary folder, stopped by its
PID): the API from the OpenAPI document, the real handlers behind Lambda-like workers, the
emulator. Each run posts a fresh seeded workload of the demo's kind (``local_mode.workload``:
everyday spending, injected fraud, a few invalid requests and replays) from the demo's client
threads (``local_mode.demo.send_workload``), then waits until every accepted transaction has its
verdict. Rates: accepted transactions over the time from the first POST to the last answer
(what the API took in) and to the last verdict (end to end, the last batching window
included); the drain is how long after the last accepted answer the last verdict came. Latency: each
transaction's ``analyzedAt`` minus the moment its POST was sent (both read from this
machine's clock).
"""

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import boto3
from common.clock import now_ms
from common.transaction import ANALYZED_AT

from bench.emulators import AMBIENT_AWS_SETTINGS
from bench.stats import Summary, latency_percentiles
from local_mode.demo import Sent, send_workload
from local_mode.environment import emulator_environment, patched_environ
from local_mode.process import LocalModeProcess
from local_mode.workload import generate
from shared.outputs import DataOutputs

TRANSACTIONS_PER_RUN = 120
SEED = 9
VERDICT_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.2
BATCH_GET_LIMIT = 100


def _epoch_ms(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


def wait_for_verdicts(dynamodb: Any, table: str, accepted: dict[str, Sent]) -> dict[str, float]:
    """Each accepted transaction's verdict time (epoch ms), polling until all have one."""
    verdicts: dict[str, float] = {}
    deadline = time.monotonic() + VERDICT_TIMEOUT_SECONDS
    while len(verdicts) < len(accepted):
        waiting = [sent for transaction_id, sent in accepted.items()
                   if transaction_id not in verdicts]
        for start in range(0, len(waiting), BATCH_GET_LIMIT):
            keys = [{"transactionId": {"S": sent.request.transaction.id},
                     "timestamp": {"N": str(sent.request.transaction.body["timestamp"])}}
                    for sent in waiting[start:start + BATCH_GET_LIMIT]]
            response = dynamodb.batch_get_item(RequestItems={table: {
                "Keys": keys, "ConsistentRead": True,
                "ProjectionExpression": "transactionId, analyzedAt"}})
            for item in response["Responses"][table]:
                if ANALYZED_AT in item:
                    verdicts[item["transactionId"]["S"]] = _epoch_ms(item[ANALYZED_AT]["S"])
        if len(verdicts) == len(accepted):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(accepted) - len(verdicts)} accepted transactions had no "
                               f"verdict after {VERDICT_TIMEOUT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    return verdicts


def one_run(local: LocalModeProcess, dynamodb: Any, seed: int) -> dict[str, Any]:
    workload = generate(TRANSACTIONS_PER_RUN, seed, now_ms())
    sent = send_workload(workload, local.api_url)
    unexpected = [result for result in sent if result.status != result.request.expected_status]
    if unexpected:
        raise RuntimeError(f"{len(unexpected)} requests answered unexpectedly, e.g. "
                           f"{unexpected[0].status} {unexpected[0].body[:200]}")
    accepted = {result.request.transaction.id: result for result in sent
                if result.status == 201 and result.request.transaction}
    table = local.state["outputs"][DataOutputs.TRANSACTIONS_TABLE_NAME]
    verdicts = wait_for_verdicts(dynamodb, table, accepted)
    first_post = min(result.sent_at_ms for result in sent)
    last_answer = max(result.sent_at_ms + result.latency_ms for result in accepted.values())
    last_verdict = max(verdicts.values())
    return {
        "requests": len(sent), "accepted": len(accepted),
        "taken_in_per_second": len(accepted) / ((last_answer - first_post) / 1000),
        "end_to_end_per_second": len(accepted) / ((last_verdict - first_post) / 1000),
        "drain_ms": last_verdict - last_answer,
        "verdict_ms": [verdicts[transaction_id] - result.sent_at_ms
                       for transaction_id, result in accepted.items()],
        "api_ms": [result.latency_ms for result in sent],
    }


def measure(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    progress("starting the local mode (python -m local_mode serve, free ports)")
    results = []
    with TemporaryDirectory(prefix="bench-local-") as outbox, \
            LocalModeProcess(Path(outbox)) as local:
        environment = emulator_environment(local.state["emulatorEndpoint"],
                                           local.state["region"])
        with patched_environ(environment, remove=AMBIENT_AWS_SETTINGS):
            dynamodb = boto3.client("dynamodb")
            for run in range(runs):
                progress(f"run {run + 1}/{runs}: about {TRANSACTIONS_PER_RUN} transactions")
                results.append(one_run(local, dynamodb, SEED + run))
    per_run = [(latency_percentiles(r["verdict_ms"]), latency_percentiles(r["api_ms"]))
               for r in results]
    every_verdict = [ms for r in results for ms in r["verdict_ms"]]
    return {
        "runs": runs,
        "transactions_per_run": TRANSACTIONS_PER_RUN,
        "requests": sum(r["requests"] for r in results),
        "accepted": sum(r["accepted"] for r in results),
        "taken_in_per_second": Summary.of([r["taken_in_per_second"] for r in results]).as_dict(),
        "end_to_end_per_second": Summary.of(
            [r["end_to_end_per_second"] for r in results]).as_dict(),
        "drain_ms": Summary.of([r["drain_ms"] for r in results]).as_dict(),
        "verdict_p50_ms": Summary.of([verdict["p50"] for verdict, _ in per_run]).as_dict(),
        "verdict_p95_ms": Summary.of([verdict["p95"] for verdict, _ in per_run]).as_dict(),
        "api_p50_ms": Summary.of([api["p50"] for _, api in per_run]).as_dict(),
        "api_p95_ms": Summary.of([api["p95"] for _, api in per_run]).as_dict(),
        "verdict_pooled_ms": latency_percentiles(every_verdict),
    }
