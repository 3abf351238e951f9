"""Reading resource properties as the policy SDK hands them over: mappings and sequences that
raise ``UnknownValueError`` for a value not known yet (during a preview), numbers as floats."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


def get(props: Any, *path: str | int) -> Any:
    """The value at ``path`` (keys and indexes), ``None`` where anything on the way is missing."""
    value = props
    for part in path:
        if isinstance(part, int):
            if not is_list(value) or part >= len(value):
                return None
        elif not isinstance(value, Mapping) or part not in list(value):
            return None
        value = value[part]
    return value


def is_set(props: Any, *path: str | int) -> bool:
    """Whether ``path`` holds a value; one not known until the update (an ARN of a resource
    being created) is set."""
    try:
        value = get(props, *path)
    except UnknownValueError:
        return True
    return value not in (None, "", [], {})


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def as_list(value: Any) -> list[Any]:
    """IAM's "one value or a list of them" as a list."""
    if value is None:
        return []
    return list(value) if is_list(value) else [value]


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """A policy input (JSON text, as the provider takes it) as a mapping; ``None`` when absent."""
    if value in (None, ""):
        return None
    return json.loads(value) if isinstance(value, str) else value
