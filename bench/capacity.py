"""DynamoDB request units from item sizes, by DynamoDB's published sizing rules.

On-demand tables bill write request units (1 KB each, rounded up per item; twice that inside a
transaction) and read request units (4 KB each, rounded up per request; half a unit when
eventually consistent). The benchmarks read the real items the handlers wrote and the real
pages their queries returned, and turn them into units here. Sizes follow the developer
guide's rules ("Item sizes and formats"); DynamoDB's own accounting may differ by a few bytes.
"""

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
TRANSACTIONAL_FACTOR = 2  # TransactWriteItems / TransactGetItems cost two units per unit


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's typed JSON (``{"S": "abc"}``)."""
    [(kind, content)] = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode("utf-8")) for text in content)
    if kind == "NS":
        return sum(number_size(number) for number in content)
    if kind == "BS":
        return sum(len(blob) for blob in content)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(element)
                       for name, element in content.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def number_size(text: str) -> int:
    """About one byte per two significant digits, plus one."""
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of an item: its attribute names plus their values."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def projected(item: Mapping[str, Any], attributes: tuple[str, ...]) -> dict[str, Any]:
    """The part of ``item`` an index holds (its keys, the table's keys, projected attributes)."""
    return {name: value for name, value in item.items() if name in attributes}


def write_units(size_bytes: int, transactional: bool = False) -> int:
    """Write request units of writing one item of ``size_bytes`` (the larger of old and new)."""
    units = max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))
    return units * (TRANSACTIONAL_FACTOR if transactional else 1)


def read_units(total_bytes: int, consistent: bool) -> float:
    """Read request units of one GetItem/Query returning ``total_bytes`` in all."""
    units = max(1, math.ceil(total_bytes / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2
