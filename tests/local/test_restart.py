"""Stopping and restarting the workers: nothing lost, nothing analysed or notified twice.

The emulator outlives two local modes here (as it would outlive Lambda's pollers): the first
is stopped while it still has records and alerts in hand, the second resumes from the stream
checkpoint the first saved.
"""

import json
import time
import uuid
from collections import Counter
from decimal import Decimal

from common.transaction import FRAUD_STATUS, PENDING, SUSPICIOUS, to_item

from local_mode.emulator import Emulator
from local_mode.process import free_port, process_alive
from local_mode.workload import generate
from shared.outputs import DataOutputs
from tests.local.conftest import (
    digest_transaction_ids,
    post_workload,
    start_local,
    stop_local,
    transaction,
    wait_for,
)


def test_restarted_workers_resume_without_loss_or_double_alerts(tmp_path):
    emulator = Emulator("127.0.0.1", free_port(), tmp_path / "emulator.log")
    emulator.start()
    try:
        now = int(time.time() * 1000)
        first_batch, second_batch = generate(40, seed=21, now_ms=now), generate(40, seed=22,
                                                                                now_ms=now)
        ids = {t.id for t in first_batch.transactions + second_batch.transactions}
        days = sorted(set(first_batch.days() + second_batch.days()))

        first = start_local(tmp_path, emulator_endpoint=emulator.endpoint)
        poison = to_item({**transaction(f"poison-{uuid.uuid4().hex[:8]}",
                                        amount=Decimal("10.00")), "timestamp": now})
        del poison["accountId"]
        first.client("dynamodb").put_item(
            TableName=first.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], Item=poison)
        post_workload(first, first_batch.requests)
        wait_for(lambda: first.queue_depth(DataOutputs.ANALYSIS_DLQ_URL) == 1
                 and sum(first.day_totals(day).transactions for day in days)
                 == len(first_batch.transactions), "the first batch analysed")
        post_workload(first, second_batch.requests)
        stop_local(first)  # with records of the second batch, and their alerts, in hand

        second = start_local(tmp_path, emulator_endpoint=emulator.endpoint)
        try:
            def drained():
                stored = {i: item for i, item in second.all_transactions().items() if i in ids}
                flagged = {i for i, item in stored.items() if item[FRAUD_STATUS] == SUSPICIOUS}
                notified = Counter(i for d in second.digests() for i in digest_transaction_ids(d))
                done = all(item[FRAUD_STATUS] != PENDING for item in stored.values()) \
                    and flagged <= set(notified)
                return (stored, flagged, notified) if done else None

            stored, flagged, notified = wait_for(drained, "both batches analysed and notified")
        finally:
            stop_local(second)
        assert len(stored) == len(ids)
        # Each transaction counted once in the day's aggregates: none analysed twice.
        totals = [second.day_totals(day) for day in days]
        assert sum(t.transactions for t in totals) == len(ids)
        assert sum(t.flagged for t in totals) == len(flagged)
        # Each alert in exactly one digest, across both local modes.
        assert flagged
        assert {i: notified[i] for i in flagged} == dict.fromkeys(flagged, 1)
        # The poison record was dead-lettered once: the second local mode resumed after it.
        [envelope] = [json.loads(message["Body"]) for message in
                      second.queue_messages(DataOutputs.ANALYSIS_DLQ_URL)]
        assert envelope["payload"]["Records"][0]["dynamodb"]["NewImage"] == poison
    finally:
        emulator.stop()
    assert not process_alive(emulator.pid)
