"""PUT /transactions/{id}/label: record what a transaction turned out to be, and count it once.

The label attributes are set on the transaction conditioned on the label read just before
(none, or the previous one), and the same ``TransactWriteItems`` moves the labelled counts of
the transaction's day for its account and merchant (``common.entity_days``): FRAUD → GENUINE
takes one fraud count away and adds one genuine count. A concurrent label that got in first
fails the condition, nothing is written, and the label is judged again against what it
stored, so retries and races keep the counts exact.

The same update sets ``labelledFraudDay`` when the label is FRAUD and removes it otherwise,
which puts the transaction in (or takes it out of) the sparse ``byLabelledFraudDay`` index the
report reads the missed frauds from. It depends on the label only, never on the verdict, so a
label that lands before detect-fraud's verdict is indexed all the same.
"""

from collections.abc import Mapping
from typing import Any

from common import entity_days
from common.clock import iso_now
from common.data_model import LABELLED_FRAUD_DAY
from common.transaction import (
    FRAUD,
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
    day = entity_days.day_of(stored)
    assignments = {name: item[name] for name in (LABEL, LABEL_SOURCE, LABEL_NOTE, LABELLED_AT)
                   if name in item}
    removed = [] if LABEL_NOTE in item else [LABEL_NOTE]
    if item[LABEL] == FRAUD:
        assignments[LABELLED_FRAUD_DAY.name] = day
    else:
        removed.append(LABELLED_FRAUD_DAY.name)
    names = {f"#s{i}": name for i, name in enumerate(assignments)}
    values = {f":s{i}": to_value(value) for i, value in enumerate(assignments.values())}
    expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(assignments)))
    if removed:
        names |= {f"#r{i}": name for i, name in enumerate(removed)}
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
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
    if not counters or entity_days.expires_at(day) <= now_seconds:
        return [update]
    return [update] + [entity_days.update_action(features_table, entity, day, counters)
                       for entity in entity_days.entities_of(stored)]
