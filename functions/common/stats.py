"""Daily aggregates of the stats table: what detect-fraud adds up and the report reads back.

One partition per UTC day (``day``), items per hour and shard (``hourShard`` = ``HH#NN``), so
concurrent batches update different items. Each item holds counters that only grow through
``ADD``: the transaction count, the flagged count, the amount per currency and the hits per
rule. A report reads a day's at most 24 x ``STATS_SHARDS`` items, whatever the traffic.
"""

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.clock import utc_day, utc_hour
from common.counters import add_counters
from common.data_model import STATS_DAY, STATS_HOUR_SHARD, STATS_SHARDS

TRANSACTIONS = "transactions"
FLAGGED = "flagged"
AMOUNT_PREFIX = "amount#"  # amount#USD: the sum of the day-hour's amounts in USD
RULE_PREFIX = "rule#"  # rule#VELOCITY: how many transactions the rule flagged a reason for


@dataclass
class StatsDelta:
    """What one set of verdicts adds to one stats item."""

    transactions: int = 0
    flagged: int = 0
    amounts: Counter[str] = field(default_factory=Counter)  # currency → Decimal sum
    rules: Counter[str] = field(default_factory=Counter)

    def add(self, currency: str, amount: Decimal, flagged: bool, rule_codes: Iterable[str]) -> None:
        self.transactions += 1
        self.flagged += int(flagged)
        self.amounts[currency] += amount
        self.rules.update(rule_codes)


def shard_for(seed: str) -> int:
    """A stable shard for ``seed`` (a stream sequence number): spreads batches over the shards."""
    return zlib.crc32(seed.encode()) % STATS_SHARDS


def stats_key(timestamp_ms: int, shard: int) -> tuple[str, str]:
    """``(day, hourShard)`` of the item counting a transaction at ``timestamp_ms``."""
    return utc_day(timestamp_ms), f"{utc_hour(timestamp_ms):02d}#{shard:02d}"


def update_action(table_name: str, key: tuple[str, str], delta: StatsDelta) -> dict[str, Any]:
    """An ``Update`` (as TransactWriteItems and UpdateItem take it) adding ``delta`` to ``key``."""
    counters: list[tuple[str, Any]] = [(TRANSACTIONS, delta.transactions)]
    if delta.flagged:
        counters.append((FLAGGED, delta.flagged))
    counters += [(AMOUNT_PREFIX + currency, total)
                 for currency, total in sorted(delta.amounts.items())]
    counters += [(RULE_PREFIX + code, hits) for code, hits in sorted(delta.rules.items())]
    return {
        "TableName": table_name,
        "Key": {STATS_DAY.name: {"S": key[0]}, STATS_HOUR_SHARD.name: {"S": key[1]}},
        **add_counters(counters),
    }


@dataclass
class DayTotals:
    """A day's aggregates summed over hours and shards (the report's totals)."""

    transactions: int = 0
    flagged: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    hourly: list[tuple[int, int]] = field(default_factory=lambda: [(0, 0)] * 24)  # (count, flagged)

    @classmethod
    def from_items(cls, items: Iterable[Mapping[str, Any]]) -> "DayTotals":
        """Sum plain (deserialized) stats items of one day."""
        totals = cls()
        amounts: Counter[str] = Counter()
        rules: Counter[str] = Counter()
        hourly = [[0, 0] for _ in range(24)]
        for item in items:
            count, flagged = int(item.get(TRANSACTIONS, 0)), int(item.get(FLAGGED, 0))
            totals.transactions += count
            totals.flagged += flagged
            hour = int(item[STATS_HOUR_SHARD.name].split("#")[0])
            hourly[hour][0] += count
            hourly[hour][1] += flagged
            for name, value in item.items():
                if name.startswith(AMOUNT_PREFIX):
                    amounts[name.removeprefix(AMOUNT_PREFIX)] += value
                elif name.startswith(RULE_PREFIX):
                    rules[name.removeprefix(RULE_PREFIX)] += int(value)
        totals.amounts = dict(sorted(amounts.items()))
        totals.rules = dict(sorted(rules.items()))
        totals.hourly = [(count, flagged) for count, flagged in hourly]
        return totals
