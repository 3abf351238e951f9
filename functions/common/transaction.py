"""A transaction as the table stores it: attribute names, verdict states, the public view.

The key attributes come from ``common.data_model``; this module adds the rest of the item and
the conversions between DynamoDB's typed JSON and plain Python (numbers as ``Decimal``).
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from common.data_model import ACCOUNT_ID, ID_GUARD_TIMESTAMP, TIMESTAMP, TRANSACTION_ID

# Fraud status of an item: PENDING until detect-fraud writes its verdict.
PENDING = "PENDING"
CLEAR = "CLEAR"
SUSPICIOUS = "SUSPICIOUS"

# Attributes detect-fraud and notify-team add to the item.
FRAUD_STATUS = "fraudStatus"
FRAUD_SCORE = "fraudScore"
FRAUD_REASONS = "fraudReasons"  # rule codes
FRAUD_REASON_DETAILS = "fraudReasonDetails"  # each rule's value seen and threshold (internal)
FRAUD_MODEL_VERSION = "fraudModelVersion"  # the trained model that scored it, if any (internal)
ANALYZED_AT = "analyzedAt"
# notify-team's claim on the alert (epoch ms, until it expires), then the digest's confirmation.
ALERT_CLAIMED_AT = "alertClaimedAt"  # internal
NOTIFIED_AT = "notifiedAt"  # set once a digest holding the alert was published (internal)
# What PUT /transactions/{id}/label records (the body's label, source and note).
LABEL = "label"
LABEL_SOURCE = "labelSource"
LABEL_NOTE = "labelNote"
LABELLED_AT = "labelledAt"
FRAUD = "FRAUD"
GENUINE = "GENUINE"

# The client's fields, in the order of the JSON schema.
CLIENT_FIELDS = (TRANSACTION_ID.name, ACCOUNT_ID.name, "amount", "currency", "merchantId",
                 "merchantCategory", TIMESTAMP.name, "country", "channel")
# What the API returns: the OpenAPI document's StoredTransaction (a test holds them equal).
PUBLIC_FIELDS = (*CLIENT_FIELDS, FRAUD_STATUS, FRAUD_SCORE, FRAUD_REASONS, ANALYZED_AT,
                 LABEL, LABEL_SOURCE, LABEL_NOTE, LABELLED_AT)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values → DynamoDB attribute values (a float raises: amounts are ``Decimal``)."""
    return {name: _serializer.serialize(value) for name, value in values.items()}


def to_value(value: Any) -> dict[str, Any]:
    """One plain value → a DynamoDB attribute value."""
    return _serializer.serialize(value)


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values → plain values; every number comes back as ``Decimal``."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def key_of(transaction_id: str, timestamp: int) -> dict[str, Any]:
    """The item's primary key in DynamoDB's typed JSON."""
    return {TRANSACTION_ID.name: {"S": transaction_id}, TIMESTAMP.name: {"N": str(timestamp)}}


def id_guard_key(transaction_id: str) -> dict[str, Any]:
    """The key of the item that takes ``transaction_id`` (see ``common.data_model``)."""
    return key_of(transaction_id, ID_GUARD_TIMESTAMP)


def is_id_guard(key: Mapping[str, Any]) -> bool:
    """Whether a key (or item) in DynamoDB's typed JSON is an id guard, not a transaction."""
    return key.get(TIMESTAMP.name) == {"N": str(ID_GUARD_TIMESTAMP)}


def public_view(item: Mapping[str, Any]) -> dict[str, Any]:
    """What GET and POST return of a stored item: the public fields, integers as ``int``."""
    view = {name: item[name] for name in PUBLIC_FIELDS if name in item}
    for name in (TIMESTAMP.name, FRAUD_SCORE):
        if name in view:
            view[name] = int(view[name])
    if FRAUD_REASONS in view:
        view[FRAUD_REASONS] = list(view[FRAUD_REASONS])
    view["amount"] = Decimal(view["amount"])
    return view
