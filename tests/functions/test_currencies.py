"""The currency list: generated from the pinned ISO 4217 publication, and read as it says."""

from decimal import Decimal

import pytest
from common import currencies

from tests.harness.scripts import load_script


def test_the_committed_list_is_what_the_pinned_iso_publication_gives():
    module = load_script("iso4217_currencies")
    assert module.TARGET.read_text(encoding="utf-8") == module.render(), (
        "functions/common/currencies.json is out of date: run scripts/iso4217_currencies.py")


def test_the_list_holds_active_currencies_with_their_minor_units_only():
    units = currencies.MINOR_UNITS
    assert (units["EUR"], units["USD"], units["JPY"], units["BHD"], units["KWD"]) == (
        2, 2, 0, 3, 3)
    assert not {"ZZZ", "XXX", "XTS", "XAU", "XDR", "USN", "CLF", "BOV"} & set(units)
    assert currencies.PUBLISHED == "2026-01-01"


def test_an_amount_has_its_currency_s_decimals_and_never_more_than_two():
    assert [currencies.amount_decimals(code) for code in ("EUR", "JPY", "BHD", "UYW")] == [
        2, 0, 2, 2]


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    ("1250000", "JPY", "1,250,000 JPY"), ("15000.5", "EUR", "15,000.50 EUR"),
    ("12.34", "BHD", "12.34 BHD")])
def test_an_amount_is_shown_grouped_with_its_currency_s_decimals(amount, currency, shown):
    assert currencies.format_amount(Decimal(amount), currency) == shown
