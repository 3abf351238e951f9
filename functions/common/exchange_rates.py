"""Amounts in one reference currency, so a threshold means the same in every currency.

A rate table says how many units of each currency one unit of the reference currency buys
(``{"EUR": 1, "JPY": 175.68}``: 1 EUR = 175.68 JPY). The rates are for risk thresholds (is this
a large amount?), not for accounting: a stored transaction keeps its own currency and amount.

``exchange_rates.json`` holds the defaults (``fraud:exchangeRates``, the ECB's reference rates of
the date it names). :func:`exchange_rates` validates a table; the stack (shared/settings.py)
and detect-fraud call it, so a table that deploys is one that runs. :func:`reference_amount`
serves the rules and the entity-day aggregates (``amountSum`` of ``common.entity_days``).
"""

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from common.currencies import amount_decimals, is_currency

_DEFAULTS = json.loads(Path(__file__).with_name("exchange_rates.json").read_text(encoding="utf-8"),
                       parse_float=Decimal)
DEFAULT_REFERENCE: str = _DEFAULTS["reference"]
DEFAULT_TABLE: dict[str, Decimal] = {code: Decimal(rate)
                                     for code, rate in _DEFAULTS["rates"].items()}
PUBLISHED: str = _DEFAULTS["published"]


class ExchangeRateError(ValueError):
    """A reference currency or rate table that cannot be used; the message says why."""


@dataclass(frozen=True)
class ExchangeRates:
    reference: str = DEFAULT_REFERENCE
    rates: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_TABLE))


DEFAULT_RATES = ExchangeRates()


def exchange_rates(reference: str, table: object) -> ExchangeRates:
    """The validated table (a mapping of currency code → positive number, the reference's 1)."""
    if not is_currency(reference):
        raise ExchangeRateError(f"reference currency {reference!r} is not an ISO 4217 code "
                                "(functions/common/currencies.json), e.g. EUR")
    if not isinstance(table, dict) or not table:
        raise ExchangeRateError('expected a JSON object of currency code → rate, e.g. '
                                '{"EUR": 1, "JPY": 175.68}')
    problems = [f"{code!r} is not an ISO 4217 code (functions/common/currencies.json)"
                for code in table if not is_currency(code)]
    problems += [f"{code}: {rate!r} is not a positive number" for code, rate in table.items()
                 if isinstance(rate, bool) or not isinstance(rate, int | Decimal)
                 or not Decimal(rate).is_finite() or rate <= 0]
    if reference not in table:
        problems.append(f"no rate for the reference currency {reference}: give {reference} "
                        "the rate 1 and each other currency as units per 1 " + reference)
    elif not problems and table[reference] != 1:
        problems.append(f"the reference currency {reference} has the rate {table[reference]}; "
                        "it must be 1")
    if problems:
        raise ExchangeRateError("; ".join(problems))
    return ExchangeRates(reference, {code: Decimal(rate) for code, rate in table.items()})


def exchange_rates_from_json(reference: str | None, text: str | None) -> ExchangeRates:
    """:func:`exchange_rates` from the environment's text; unset → the defaults."""
    reference = reference or DEFAULT_REFERENCE
    if text is None or not text.strip():
        return exchange_rates(reference, dict(DEFAULT_TABLE))
    try:
        table = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        raise ExchangeRateError(f"not JSON ({error})") from None
    return exchange_rates(reference, table)


def reference_amount(amount: Decimal, currency: str, rates: ExchangeRates) -> Decimal | None:
    """``amount`` of ``currency`` in the reference currency; None when the table has no rate.

    amount ÷ rate, rounded half to even to the reference's decimals (its minor units, at most
    2: ``common.currencies.amount_decimals``), e.g. JPY 15000 at 175.68 is EUR 85.38.
    """
    rate = rates.rates.get(currency)
    if rate is None:
        return None
    if currency == rates.reference:
        return amount
    places = Decimal(1).scaleb(-amount_decimals(rates.reference))
    return (amount / rate).quantize(places, rounding=ROUND_HALF_EVEN)
