"""4a. The rules engine alone: transactions scored per second, without AWS or I/O.

``common.rules.evaluate`` on a fixed, seeded workload: 1,000 accounts, each transaction
scored against its account's 20 previous ones (what detect-fraud passes it), with high
amounts, spikes, country changes, bursts and high-risk merchant categories mixed in so that
every rule is exercised. One core; the workload is built before the clock starts.
"""

import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from common.rules import RuleConfig, evaluate

from bench.stats import Summary

RECORDS_PER_RUN = 20_000
ACCOUNTS = 1_000
SEED = 20240501
T0 = 1_714_564_800_000


def workload(records: int = RECORDS_PER_RUN, seed: int = SEED
             ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``records`` (transaction, history) pairs, the history oldest first as detect-fraud has it."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible workload, not a secret)
    needed = RuleConfig().history_needed
    histories: dict[int, list[dict[str, Any]]] = {account: [] for account in range(ACCOUNTS)}
    clock = T0
    pairs = []
    for _ in range(records):
        account = rng.randrange(ACCOUNTS)
        burst = rng.random() < 0.05
        clock += rng.randrange(1, 5_000 if burst else 120_000)
        amount = Decimal(rng.randrange(500, 20_000)) / 100
        if rng.random() < 0.02:
            amount = Decimal(rng.randrange(10_000, 60_000))
        transaction = {"timestamp": clock, "amount": amount, "currency": "EUR",
                       "country": "FR" if rng.random() < 0.03 else "DE",
                       "merchantCategory": "7995" if rng.random() < 0.02 else "5411"}
        history = histories[account]
        pairs.append((transaction, history[-needed:]))
        history.append(transaction)
    return pairs


def measure(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    config = RuleConfig()
    pairs = workload()
    flagged = sum(evaluate(t, h, config).status == "SUSPICIOUS" for t, h in pairs)
    rates = []
    for run in range(runs):
        progress(f"run {run + 1}/{runs}: {len(pairs):,} transactions")
        started = time.perf_counter()
        for transaction, history in pairs:
            evaluate(transaction, history, config)
        rates.append(len(pairs) / (time.perf_counter() - started))
    return {"runs": runs, "records_per_run": len(pairs), "accounts": ACCOUNTS,
            "flagged_share": flagged / len(pairs),
            "records_per_second": Summary.of(rates).as_dict()}
