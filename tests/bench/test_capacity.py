"""DynamoDB item sizes and request units, by the developer guide's sizing rules."""

import pytest

from bench.capacity import item_size, number_size, projected, read_units, write_units


@pytest.mark.parametrize(("text", "size"), [
    ("7", 2), ("12.34", 3), ("1234567", 5), ("1714564800000", 5), ("1000", 2), ("0.001", 2)])
def test_a_number_takes_a_byte_per_two_significant_digits_plus_one(text, size):
    # Leading and trailing zeros are not significant: 1714564800000 has 8 digits that count.
    assert number_size(text) == size


def test_an_item_is_its_names_plus_its_values():
    item = {"id": {"S": "abc"},  # 2 + 3
            "n": {"N": "12.5"},  # 1 + 3
            "ok": {"BOOL": True},  # 2 + 1
            "tags": {"L": [{"S": "x"}, {"S": "yz"}]},  # 4 + 3 + (1 + 1) + (1 + 2)
            "m": {"M": {"a": {"S": "b"}}},  # 1 + 3 + (1 + 1 + 1)
            "s": {"SS": ["ab", "c"]}}  # 1 + 3
    assert item_size(item) == 5 + 4 + 3 + 12 + 7 + 4


def test_text_counts_in_utf8_bytes():
    assert item_size({"é": {"S": "€"}}) == 2 + 3


def test_unknown_types_are_refused():
    with pytest.raises(ValueError, match="unknown DynamoDB type"):
        item_size({"a": {"X": "1"}})


def test_an_index_holds_only_its_projected_attributes():
    item = {"transactionId": {"S": "t"}, "accountId": {"S": "a"}, "note": {"S": "n"}}
    assert projected(item, ("transactionId", "accountId")) == {
        "transactionId": {"S": "t"}, "accountId": {"S": "a"}}


@pytest.mark.parametrize(("size", "transactional", "units"), [
    (0, False, 1), (186, False, 1), (1024, False, 1), (1025, False, 2), (521, True, 2),
    (2048, True, 4)])
def test_writes_cost_a_unit_per_started_kilobyte_and_twice_that_in_a_transaction(
        size, transactional, units):
    assert write_units(size, transactional) == units


@pytest.mark.parametrize(("size", "consistent", "units"), [
    (0, True, 1.0), (4096, True, 1.0), (4097, True, 2.0), (2100, False, 0.5),
    (9000, False, 1.5)])
def test_reads_cost_a_unit_per_started_4_kb_and_half_when_eventually_consistent(
        size, consistent, units):
    assert read_units(size, consistent) == units
