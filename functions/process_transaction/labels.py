"""PUT /transactions/{id}/label: record what a transaction turned out to be, and count it once.

The label attributes are set on the transaction conditioned on the label read just before
(none, or the previous one), and the same ``TransactWriteItems`` moves the labelled counts of
the transaction's day for its account and merchant (``common.entity_days``): FRAUD → GENUINE
takes one fraud count away and adds one genuine count. A concurrent label that got in first
fails the condition, nothing is written, and the label is judged again against what it
stored, so retries and races keep the counts exact.
"""

from collections.abc import Mapping
from typing import Any

from common import entity_days
from common.clock import iso_now
from common.transaction import (
    LABEL,
    LABEL_NOTE,
    LABEL_SOURCE,
    LABELLED_AT,
    key_of,
    to_value,
)

# The body's field → the transaction's attribute.
ATTRIBUTES = {"label": LABEL, "source": LABEL_SOURCE, "note": LABEL_NOTE}


def unchanged(stored: Mapping[str, Any], body: Mapping[str, str]) -> bool:
    """Whether ``stored`` already holds this label, source and note (a replay: write nothing)."""
    return all(stored.get(attribute) == body.get(field) for field, attribute in ATTRIBUTES.items())


def labelled(stored: Mapping[str, Any], body: Mapping[str, str]) -> dict[str, Any]:
    """``stored`` as it reads once labelled with ``body`` (a note left out removes the old one)."""
    item = {name: value for name, value in stored.items() if name != LABEL_NOTE}
    item |= {attribute: body[field] for field, attribute in ATTRIBUTES.items() if field in body}
    return item | {LABELLED_AT: iso_now()}


def actions(transactions_table: str, features_table: str, stored: Mapping[str, Any],
            item: Mapping[str, Any], now_seconds: int) -> list[dict[str, Any]]:
    """The TransactWriteItems actions turning ``stored`` into ``item``: the conditional label
    update, and the entity-days' counts when the label changed and the day is still kept (a
    day past its expiry may be gone: counting into it would start it again from nothing)."""
    previous = stored.get(LABEL)
    set_names = [name for name in (LABEL, LABEL_SOURCE, LABEL_NOTE, LABELLED_AT) if name in item]
    names = {f"#s{i}": name for i, name in enumerate(set_names)}
    values = {f":s{i}": to_value(item[name]) for i, name in enumerate(set_names)}
    expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(set_names)))
    if LABEL_NOTE not in item:
        expression += " REMOVE #note"
        names["#note"] = LABEL_NOTE
    names |= {"#id": "transactionId", "#label": LABEL}
    if previous is None:
        condition = "attribute_exists(#id) AND attribute_not_exists(#label)"
    else:
        condition = "attribute_exists(#id) AND #label = :previous"
        values[":previous"] = to_value(previous)
    update = {"Update": {
        "TableName": transactions_table,
        "Key": key_of(stored["transactionId"], int(stored["timestamp"])),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }}
    counters = entity_days.label_counters(previous, item[LABEL])
    day = entity_days.day_of(stored)
    if not counters or entity_days.expires_at(day) <= now_seconds:
        return [update]
    return [update] + [entity_days.update_action(features_table, entity, day, counters)
                       for entity in entity_days.entities_of(stored)]
