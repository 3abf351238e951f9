"""The POST /transactions body: the one JSON schema, plus the rules a schema cannot state.

The schema (``transaction.schema.json``, draft 4, which API Gateway also enforces) decides
types, patterns and ranges; this module adds what it cannot: at most two decimals, not in the
future, no card number as account id, no control characters, a size limit. Every problem is
reported, one :class:`FieldError` per field, so a client fixes its request in one round.
"""

import json
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import fastjsonschema

from common import json_codec
from common.privacy import looks_like_card_number

SCHEMA: dict[str, Any] = json.loads(
    Path(__file__).with_name("transaction.schema.json").read_text(encoding="utf-8"))
MAX_BODY_BYTES = 16 * 1024
MAX_FUTURE_MS = 5 * 60 * 1000
CENT = Decimal("0.01")
# Unicode control characters, and lone surrogates (JSON can encode them, UTF-8 cannot).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})

_validate_document = fastjsonschema.compile(SCHEMA)


class FieldError(NamedTuple):
    field: str
    message: str


class InvalidRequest(ValueError):
    """The request cannot be accepted; ``errors`` names each bad field (never empty)."""

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


@cache
def _field_validator(name: str) -> Callable[[Any], Any]:
    # Compiled on the first invalid request that needs it: valid requests pay for one validator.
    return fastjsonschema.compile({"$schema": SCHEMA["$schema"], **SCHEMA["properties"][name]})


def _schema_error(name: str, value: Any) -> FieldError | None:
    try:
        _field_validator(name)(value)
    except fastjsonschema.JsonSchemaValueException as error:
        return FieldError(name, error.message.removeprefix("data ").strip())
    return None


def validate_transaction_id(value: str, field: str) -> None:
    """Raise :class:`InvalidRequest` (naming ``field``) unless ``value`` is a valid id."""
    error = _schema_error("transactionId", value)
    if error:
        raise InvalidRequest("Invalid transaction id", [FieldError(field, error.message)])


def parse_transaction(body: str | None, now_ms: int) -> dict[str, Any]:
    """The client's transaction from the request body, amounts as ``Decimal``.

    Raises :class:`InvalidRequest` naming every bad field. ``timestamp`` and ``transactionId``
    are left out when the client did not send them.
    """
    if body is None or not body.strip():
        raise InvalidRequest("The request body is required",
                             [FieldError("body", "send the transaction as a JSON object")])
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise InvalidRequest("The request body is too large",
                             [FieldError("body", f"must be at most {MAX_BODY_BYTES} bytes")])
    try:
        document = json_codec.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidRequest("The request body is not valid JSON",
                             [FieldError("body", str(error) or "malformed JSON")]) from None
    if not isinstance(document, dict):
        raise InvalidRequest("The request body must be a JSON object",
                             [FieldError("body", "must be a JSON object")])
    return validate_document(document, now_ms)


def validate_document(document: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """:func:`parse_transaction` for a body already decoded (the backtest's CSV rows)."""
    errors = _schema_errors(document)
    errors += _semantic_errors(document, {error.field for error in errors}, now_ms)
    if errors:
        raise InvalidRequest("Invalid transaction", errors)
    transaction = dict(document)
    transaction["amount"] = canonical_amount(Decimal(document["amount"]))
    return transaction


def canonical_amount(amount: Decimal) -> Decimal:
    """The amount as DynamoDB gives it back: no trailing zeros, no exponent (12.5, 1000000)."""
    normalized = amount.normalize()
    return normalized if normalized.as_tuple().exponent <= 0 else normalized.quantize(1)


def _schema_errors(document: dict[str, Any]) -> list[FieldError]:
    try:
        _validate_document(document)
    except fastjsonschema.JsonSchemaValueException as error:
        # The compiled schema stops at the first problem; name every one of them.
        properties = SCHEMA["properties"]
        errors = [FieldError(name, "is not a known field; accepted: " + ", ".join(properties))
                  for name in document if name not in properties]
        errors += [FieldError(name, "is required") for name in SCHEMA["required"]
                   if name not in document]
        errors += filter(None, (_schema_error(name, value) for name, value in document.items()
                                if name in properties))
        return errors or [FieldError("body", error.message)]
    return []


def _semantic_errors(document: dict[str, Any], skip: set[str], now_ms: int) -> list[FieldError]:
    """Rules beyond the schema, for the fields not in ``skip`` (those already failed it)."""
    values = {name: value for name, value in document.items() if name not in skip}
    errors = [FieldError(name, "must not contain control characters")
              for name, value in values.items()
              if isinstance(value, str)
              and any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value)]
    amount = values.get("amount")
    if isinstance(amount, Decimal) and not _whole_cents(amount):
        errors.append(FieldError("amount", "must have at most 2 decimal places"))
    timestamp = values.get("timestamp")
    if isinstance(timestamp, int) and timestamp > now_ms + MAX_FUTURE_MS:
        errors.append(FieldError("timestamp", "must not be more than 5 minutes in the future"))
    account_id = values.get("accountId")
    if isinstance(account_id, str) and looks_like_card_number(account_id):
        errors.append(FieldError(
            "accountId", "looks like a card number; send the account id, never a card number"))
    return errors


def _whole_cents(amount: Decimal) -> bool:
    try:
        return amount.quantize(CENT) == amount
    except InvalidOperation:  # beyond the context's precision: certainly not whole cents
        return False
