"""Reference amounts: the default table, the rounding rule, and tables refused with a reason."""

import json
from decimal import Decimal

import pytest
from common.currencies import is_currency
from common.exchange_rates import (
    DEFAULT_RATES,
    DEFAULT_REFERENCE,
    PUBLISHED,
    ExchangeRateError,
    exchange_rates,
    exchange_rates_from_json,
    reference_amount,
)

from tests.harness.scripts import load_script


def test_the_committed_defaults_are_the_newest_ecb_rates_of_the_pinned_release():
    script = load_script("ecb_exchange_rates")
    assert script.TARGET.read_text(encoding="utf-8") == script.render(), (
        "functions/common/exchange_rates.json is out of date: run scripts/ecb_exchange_rates.py")
    day, rates = script.newest_rates()
    assert (day, rates["USD"], rates["JPY"]) == ("2026-10-30", Decimal("1.1172"),
                                                 Decimal("175.68"))
    assert "EUR" not in rates  # the reference, added at 1
    assert not {"BGN", "HRK", "RUB"} & rates.keys()  # N/A that day


def test_the_defaults_are_dated_iso_rates_per_euro():
    assert (DEFAULT_REFERENCE, PUBLISHED) == ("EUR", "2026-10-30")
    assert DEFAULT_RATES.rates["EUR"] == 1
    assert DEFAULT_RATES.rates["JPY"] == Decimal("175.68")
    assert all(is_currency(code) and rate > 0 for code, rate in DEFAULT_RATES.rates.items())
    assert {"USD", "GBP", "JPY", "CHF", "CNY"} <= DEFAULT_RATES.rates.keys()


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("15000", "JPY", "85.38"),  # 85.382513…
    ("15000.00", "EUR", "15000.00"),  # the reference itself: unchanged
    ("10000.00", "USD", "8950.95"),  # 8950.9488… at 1.1172
    ("0.01", "JPY", "0.00"),
])
def test_reference_amount_divides_by_the_rate_and_rounds_half_even_to_cents(
        amount, currency, expected):
    assert str(reference_amount(Decimal(amount), currency, DEFAULT_RATES)) == expected


def test_half_cents_round_to_even():
    rates = exchange_rates("EUR", {"EUR": 1, "USD": 2})
    assert reference_amount(Decimal("0.05"), "USD", rates) == Decimal("0.02")
    assert reference_amount(Decimal("0.07"), "USD", rates) == Decimal("0.04")


def test_a_currency_without_a_rate_has_no_reference_amount():
    assert reference_amount(Decimal(100), "XAF", DEFAULT_RATES) is None


@pytest.mark.parametrize(("reference", "table", "message"), [
    ("EURO", {"EUR": 1}, "reference currency 'EURO' is not an ISO 4217 code"),
    ("EUR", [1], "expected a JSON object of currency code → rate"),
    ("EUR", {"EUR": 1, "XYZ": 2}, "'XYZ' is not an ISO 4217 code"),
    ("EUR", {"EUR": 1, "JPY": 0}, "JPY: 0 is not a positive number"),
    ("EUR", {"EUR": 1, "JPY": "175"}, "JPY: '175' is not a positive number"),
    ("EUR", {"EUR": 1, "JPY": True}, "JPY: True is not a positive number"),
    ("USD", {"EUR": 1, "JPY": 175}, "no rate for the reference currency USD"),
    ("EUR", {"EUR": 2}, "the reference currency EUR has the rate 2; it must be 1"),
])
def test_a_bad_table_is_refused_with_what_is_wrong(reference, table, message):
    with pytest.raises(ExchangeRateError, match=message):
        exchange_rates(reference, table)


def test_the_environment_s_text_or_the_defaults():
    assert exchange_rates_from_json(None, None) == DEFAULT_RATES
    rates = exchange_rates_from_json("USD", json.dumps({"USD": 1, "JPY": 150.5}))
    assert rates.rates == {"USD": 1, "JPY": Decimal("150.5")}
    with pytest.raises(ExchangeRateError, match="not JSON"):
        exchange_rates_from_json("EUR", "{")
