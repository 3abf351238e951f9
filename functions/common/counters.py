"""``ADD`` updates of counters, as the stats and the features tables take them.

Counters only move by ``ADD`` (atomic, and a missing attribute starts from 0), so concurrent
batches and labels never lose an increment; both tables build that expression here.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from common.transaction import to_value


def add_counters(counters: Iterable[tuple[str, int | Decimal]]) -> dict[str, Any]:
    """``UpdateExpression`` with its names and values, ``ADD``-ing each (attribute, delta)."""
    pairs = list(counters)
    return {
        "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(pairs))),
        "ExpressionAttributeNames": {f"#c{i}": name for i, (name, _) in enumerate(pairs)},
        "ExpressionAttributeValues": {f":c{i}": to_value(Decimal(delta))
                                      for i, (_, delta) in enumerate(pairs)},
    }
