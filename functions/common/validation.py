"""The POST /transactions and PUT …/label bodies: their JSON schemas, plus the rules a schema
cannot state.

The schema (``transaction.schema.json``, draft 4, which API Gateway also enforces) decides
types, patterns and ranges; this module adds what it does not state: an active ISO 4217
currency and the decimals its amount may have (``common.currencies``), a timestamp in epoch
milliseconds and not in the future, no card number in any free-text field
(``common.card_numbers``), text that is valid UTF-8 and holds no control characters, a size
limit. Every problem is reported, one :class:`FieldError`
per field, so a client fixes its request in one round; a rejected value is never repeated.
"""

import base64
import binascii
import json
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import fastjsonschema

from common import currencies, json_codec
from common.card_numbers import contains_card_number

# Read with exact decimals: the bound 0.01 is the Decimal 0.01, not the float nearest it.
SCHEMA: dict[str, Any] = json_codec.loads(
    Path(__file__).with_name("transaction.schema.json").read_text(encoding="utf-8"))
MAX_BODY_BYTES = 16 * 1024
MAX_FUTURE_MS = 5 * 60 * 1000
# The fields a client writes freely: each is searched for a card number.
FREE_TEXT_FIELDS = ("transactionId", "accountId", "merchantId")
CARD_NUMBER = "looks like a card number; send no card number, in any field"
# What bytes that are not UTF-8 become on the way in (API Gateway hands the function text), and
# lone surrogates (a JSON escape can encode one; UTF-8 cannot): neither is text a client meant.
REPLACEMENT_CHARACTER = "\ufffd"
NOT_UTF8 = "is not valid UTF-8 text"
# 2000-01-01T00:00:00Z. Checked here, not by the schema's "minimum", because a validator's
# message cannot say what an earlier value almost always is: epoch seconds.
MIN_TIMESTAMP_MS = 946_684_800_000

# fastjsonschema writes a numeric bound into the code it generates as a float literal, and
# Decimal("0.01") < 0.01 (the binary float is a hair above a cent): the smallest amount would
# be refused. So it compiles the schema without the bounds, and they are checked here, exactly.
_BOUND_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_BOUNDS: dict[str, dict[str, Any]] = {
    name: {keyword: spec[keyword] for keyword in _BOUND_KEYWORDS if keyword in spec}
    for name, spec in SCHEMA["properties"].items()}
_UNBOUNDED_PROPERTIES: dict[str, dict[str, Any]] = {
    name: {keyword: value for keyword, value in spec.items() if keyword not in _BOUND_KEYWORDS}
    for name, spec in SCHEMA["properties"].items()}
_validate_document = fastjsonschema.compile({**SCHEMA, "properties": _UNBOUNDED_PROPERTIES})
LABEL_SCHEMA: dict[str, Any] = json.loads(
    Path(__file__).with_name("label.schema.json").read_text(encoding="utf-8"))
_validate_label = fastjsonschema.compile(LABEL_SCHEMA)


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
    return fastjsonschema.compile({"$schema": SCHEMA["$schema"], **_UNBOUNDED_PROPERTIES[name]})


def _schema_error(name: str, value: Any) -> FieldError | None:
    try:
        _field_validator(name)(value)
    except fastjsonschema.JsonSchemaValueException as error:
        return FieldError(name, error.message.removeprefix("data ").strip())
    return _bound_error(name, value)


def _bound_error(name: str, value: Any) -> FieldError | None:
    """``value`` against the field's minimum and maximum, compared exactly (worded as
    fastjsonschema words it); a value that is no number is the type check's to refuse."""
    bounds = _BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    low, high = bounds.get("minimum"), bounds.get("maximum")
    if low is not None and bounds.get("exclusiveMinimum") and value <= low:
        return FieldError(name, f"must be bigger than {low}")
    if low is not None and value < low:
        return FieldError(name, f"must be bigger than or equal to {low}")
    if high is not None and bounds.get("exclusiveMaximum") and value >= high:
        return FieldError(name, f"must be smaller than {high}")
    if high is not None and value > high:
        return FieldError(name, f"must be smaller than or equal to {high}")
    return None


def validate_transaction_id(value: str, field: str) -> None:
    """Raise :class:`InvalidRequest` (naming ``field``) unless ``value`` is a valid id."""
    error = _schema_error("transactionId", value)
    if error is None and contains_card_number(value):
        error = FieldError(field, CARD_NUMBER)
    if error:
        raise InvalidRequest("Invalid transaction id", [FieldError(field, error.message)])


def request_body(body: str | None, base64_encoded: bool) -> str | None:
    """The body of a proxy event as text: a base64 body must decode to UTF-8, strictly."""
    if not base64_encoded or body is None:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid UTF-8 JSON",
                             [FieldError("body", NOT_UTF8)]) from None


def _json_object(body: str | None, what: str) -> dict[str, Any]:
    """The request body as a JSON object, numbers as ``Decimal``; ``what`` it should hold."""
    if body is None or not body.strip():
        raise InvalidRequest("The request body is required",
                             [FieldError("body", f"send the {what} as a JSON object")])
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
    return document


def parse_transaction(body: str | None, now_ms: int) -> dict[str, Any]:
    """The client's transaction from the request body, amounts as ``Decimal``.

    Raises :class:`InvalidRequest` naming every bad field. ``timestamp`` and ``transactionId``
    are left out when the client did not send them.
    """
    return validate_document(_json_object(body, "transaction"), now_ms)


def parse_label(body: str | None) -> dict[str, str]:
    """The label body (``label``, ``source``, maybe ``note``); :class:`InvalidRequest` naming
    every bad field, the note refused when it holds a card number or control characters."""
    document = _json_object(body, "label")
    properties = LABEL_SCHEMA["properties"]
    try:
        _validate_label(document)
    except fastjsonschema.JsonSchemaValueException:
        errors = [FieldError(name, "is not a known field; accepted: " + ", ".join(properties))
                  for name in document if name not in properties]
        errors += [FieldError(name, "is required") for name in LABEL_SCHEMA["required"]
                   if name not in document]
        errors += [FieldError(name, message) for name, value in document.items()
                   if name in properties
                   for message in [_label_field_error(name, value)] if message]
        raise InvalidRequest("Invalid label", errors) from None
    note = document.get("note")
    if note is not None:
        error = _text_error("note", note)
        if error is None and contains_card_number(note):
            error = FieldError("note", CARD_NUMBER)
        if error:
            raise InvalidRequest("Invalid label", [error])
    return document


@cache
def _label_field_validator(name: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile({"$schema": LABEL_SCHEMA["$schema"],
                                   **LABEL_SCHEMA["properties"][name]})


def _label_field_error(name: str, value: Any) -> str | None:
    try:
        _label_field_validator(name)(value)
    except fastjsonschema.JsonSchemaValueException as error:
        return error.message.removeprefix("data ").strip()
    return None


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
    return list(filter(None, (_bound_error(name, value) for name, value in document.items()
                              if name in _BOUNDS)))


def _semantic_errors(document: dict[str, Any], skip: set[str], now_ms: int) -> list[FieldError]:
    """Rules beyond the schema, for the fields not in ``skip`` (those already failed it)."""
    values = {name: value for name, value in document.items() if name not in skip}
    errors = [error for name, value in values.items() if isinstance(value, str)
              for error in [_text_error(name, value)] if error]
    currency = values.get("currency")
    if isinstance(currency, str) and not currencies.is_currency(currency):
        errors.append(FieldError("currency", "is not an active ISO 4217 currency code"))
        currency = None
    amount = values.get("amount")
    if isinstance(amount, Decimal):
        errors += filter(None, [_decimals_error(amount, currency)])
    timestamp = values.get("timestamp")
    if isinstance(timestamp, int) and timestamp < MIN_TIMESTAMP_MS:
        errors.append(FieldError("timestamp", _not_milliseconds(timestamp)))
    elif isinstance(timestamp, int) and timestamp > now_ms + MAX_FUTURE_MS:
        errors.append(FieldError("timestamp", "must not be more than 5 minutes in the future"))
    return errors


def _not_milliseconds(timestamp: int) -> str:
    message = f"must be epoch milliseconds, from {MIN_TIMESTAMP_MS} (2000-01-01)"
    if timestamp * 1000 >= MIN_TIMESTAMP_MS:
        return f"{message}; {timestamp} looks like epoch seconds: send {timestamp * 1000}"
    return message


def _text_error(name: str, value: str) -> FieldError | None:
    """Bytes that were not UTF-8, control characters, a card number: the first one found."""
    if REPLACEMENT_CHARACTER in value or any(unicodedata.category(ch) == "Cs" for ch in value):
        return FieldError(name, NOT_UTF8)
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return FieldError(name, "must not contain control characters")
    if name in FREE_TEXT_FIELDS and contains_card_number(value):
        return FieldError(name, CARD_NUMBER)
    return None


def _decimals_error(amount: Decimal, currency: str | None) -> FieldError | None:
    """At most the currency's decimals (2 while the currency is unknown or invalid)."""
    places = currencies.amount_decimals(currency or "")
    try:
        if amount.quantize(Decimal(1).scaleb(-places)) == amount:
            return None
    except InvalidOperation:  # beyond the context's precision: certainly too many decimals
        pass
    minor_units = currencies.MINOR_UNITS.get(currency or "")
    if minor_units == 0:
        return FieldError("amount", f"must be a whole number: {currency} has no minor unit")
    if minor_units is not None and minor_units > places:
        return FieldError("amount", f"must have at most {places} decimal places: {currency} has "
                                    f"{minor_units}, but amounts carry at most {places} here "
                                    f"(send {currency} to the nearest 0.01)")
    return FieldError("amount", f"must have at most {places} decimal places")
