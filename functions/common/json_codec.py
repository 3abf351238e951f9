"""JSON with exact decimals: numbers parse to ``Decimal`` and ``Decimal`` prints as a JSON number.

The standard library would turn ``12.10`` into a binary float on the way in and refuses
``Decimal`` on the way out; an amount must never pass through a float, so every JSON an amount
crosses (API bodies, alert messages, reports) goes through here.
"""

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (ambiguous: which value did the client mean?)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(f"the key {key!r} appears more than once")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """Parse JSON: decimals as ``Decimal``; NaN, Infinity and duplicate keys are errors."""
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant,
                      object_pairs_hook=_unique_keys)


def dumps(value: Any) -> str:
    """Serialize to compact JSON, writing each ``Decimal`` as the exact number it holds."""
    return "".join(_encode(value))


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as a JSON number")
        yield format(value, "f")  # fixed point: 1E+3 becomes 1000, 12.50 stays 12.50
    elif isinstance(value, Mapping):
        yield "{"
        for position, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys are strings, not {type(key).__name__}")
            yield ("," if position else "") + json.dumps(key) + ":"
            yield from _encode(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for position, item in enumerate(value):
            if position:
                yield ","
            yield from _encode(item)
        yield "]"
    elif isinstance(value, float):
        raise TypeError("floats are not written: use Decimal for exact numbers")
    else:
        yield json.dumps(value)  # str, int, bool, None
