"""The card-number guard: every way a PAN is written is found, ordinary ids are left alone.

Property-based: hypothesis builds Luhn-valid numbers of 13 to 19 digits, groups them with
spaces, dashes, dots and underscores, and hides them in text; a fixed seed and no example
database keep the run the same every time.
"""

import pytest
from common.card_numbers import contains_card_number, luhn_valid
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.functions.test_process_transaction import VALID, post, stored_items

SEED = 20261122
SEPARATORS = " -._"
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ#:/"
examples = settings(max_examples=300, database=None, deadline=None)


def check_digit(payload: str) -> str:
    """The digit that makes ``payload`` + it pass the Luhn check."""
    return next(d for d in "0123456789" if luhn_valid(payload + d))


@st.composite
def card_numbers(draw) -> str:
    length = draw(st.integers(13, 19))
    payload = draw(st.text("0123456789", min_size=length - 1, max_size=length - 1))
    return payload + check_digit(payload)


@st.composite
def formatted(draw, digits: str) -> str:
    """``digits`` with a run of separators (or nothing) in each gap."""
    gaps = draw(st.lists(st.text(SEPARATORS, max_size=2), min_size=len(digits) - 1,
                         max_size=len(digits) - 1))
    return digits[0] + "".join(gap + digit for gap, digit in zip(gaps, digits[1:], strict=True))


@st.composite
def hidden_in_text(draw, inner: str) -> str:
    """``inner`` with text around it; the text touching it is not a digit."""
    before = draw(st.text(LETTERS + SEPARATORS + "0123456789", max_size=12))
    after = draw(st.text(LETTERS + SEPARATORS + "0123456789", max_size=12))
    return (before + draw(st.sampled_from(LETTERS)) if before else "") + inner + (
        draw(st.sampled_from(LETTERS)) + after if after else "")


@seed(SEED)
@examples
@given(st.data())
def test_a_card_number_is_found_however_grouped_and_wherever_it_sits(data):
    pan = data.draw(card_numbers())
    text = data.draw(hidden_in_text(data.draw(formatted(pan))))
    assert contains_card_number(text), text


@seed(SEED)
@examples
@given(st.data())
def test_sixteen_digits_failing_luhn_grouped_by_four_are_no_card_number(data):
    payload = data.draw(st.text("0123456789", min_size=15, max_size=15))
    wrong = next(d for d in "0123456789" if not luhn_valid(payload + d))
    groups = [(payload + wrong)[start:start + 4] for start in range(0, 16, 4)]
    separators = data.draw(st.lists(st.text(SEPARATORS, min_size=1, max_size=2), min_size=3,
                                    max_size=3))
    inner = groups[0] + "".join(sep + group for sep, group in zip(separators, groups[1:],
                                                                   strict=True))
    text = data.draw(st.sampled_from(LETTERS)) + inner + data.draw(st.sampled_from(LETTERS))
    assert not contains_card_number(text), text


@seed(SEED)
@examples
@given(st.uuids())
def test_a_uuid_is_never_a_card_number(value):
    """The server's ids are UUIDs: about 1 in 350 held a Luhn-valid chain before UUIDs were
    set aside, and its GET was refused as a card number."""
    assert not contains_card_number(str(value))
    assert not contains_card_number(str(value).upper())


@pytest.mark.parametrize(("text", "card"), [
    ("4111111111111111", True), ("5555555555554444", True), ("378282246310005", True),
    ("4111-1111-1111-1111", True), ("4111_1111_1111_1111", True), ("acct-4111111111111111", True),
    ("4111 1111.1111-1111", True), ("2024-05-01 4111111111111111", True),
    ("ref 12-4111111111111111", True), ("\uff14\uff11\uff11\uff11" + "\uff11" * 12, True),
    ("4111111111111112", False), ("411111111111", False), ("41111111111111111111", False),
    ("acc-000123", False), ("merchant-42", False), ("a384cc51-796a-4ff6-ad08-f205e301e0a9", False),
    ("DE89370400440532013000", False),  # an IBAN: one 20-digit group, never cut
    ("8c820c72-8711-4899-8724-afc7fd9bc1b1", False),  # a UUID whose '72-8711-4899-8724' passes
    ("8c820c72-8711-4899-8724-afc7fd9bc1b1 4111111111111111", True),
])
def test_card_numbers_table(text, card):
    assert contains_card_number(text) is card


@pytest.mark.parametrize("field", ["accountId", "merchantId", "transactionId"])
@seed(SEED)
@settings(max_examples=25, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_formatted_card_number_in_any_free_text_field_is_a_400_naming_it(
        process_app, context, outputs, dynamodb, field, data):
    # The id fields admit only letters, digits, dashes and underscores; the merchant anything.
    separators = SEPARATORS if field == "merchantId" else "-_"
    pan = data.draw(card_numbers())
    gaps = data.draw(st.lists(st.sampled_from(["", *separators]), min_size=len(pan) - 1,
                              max_size=len(pan) - 1))
    value = "id-" + pan[0] + "".join(gap + digit for gap, digit in zip(gaps, pan[1:],
                                                                         strict=True))
    status, body, response = post(process_app, context, {**VALID, field: value})
    assert (status, [error["field"] for error in body["errors"]]) == (400, [field])
    assert pan not in response["body"]
    assert value not in response["body"]
    assert stored_items(dynamodb, outputs) == []
