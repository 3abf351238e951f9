"""The CSV reader: the API's own rules per row, errors that name the line, replay order."""

from decimal import Decimal

import pytest

from backtest.dataset import COLUMNS, DataError, read_dataset
from tests.backtest.data import T0, dataset_of, row, write_rows


def _error(tmp_path, rows, columns=COLUMNS) -> str:
    path = write_rows(tmp_path / "bad.csv", rows, columns)
    with pytest.raises(DataError) as raised:
        read_dataset(path)
    return str(raised.value)


def test_rows_in_any_order_come_back_in_replay_order_as_detect_fraud_sees_them(tmp_path):
    rows = [row(3, timestamp=T0 + 5, amount="10.50"), row(1, timestamp=T0 + 9),
            row(2, timestamp=T0 + 5, amount="1000", channel="")]
    dataset = dataset_of(tmp_path, rows)
    transactions = list(dataset.transactions())
    assert [t["transactionId"] for t in transactions] == ["tx-00002", "tx-00003", "tx-00001"]
    assert transactions[0] == {
        "transactionId": "tx-00002", "accountId": "acct-1", "amount": Decimal(1000),
        "currency": "EUR", "merchantId": "term-2", "merchantCategory": "5411",
        "timestamp": T0 + 5, "country": "DE"}  # no channel: the cell was empty
    assert str(transactions[0]["amount"]) == "1000"  # DynamoDB's form, as the API stores it
    assert str(transactions[1]["amount"]) == "10.5"
    assert dataset.fraud.tolist() == [False, False, False]
    assert dataset.lines.tolist() == [4, 2, 3]


def test_a_cent_is_an_amount_as_the_api_takes_it_and_less_is_an_error(tmp_path):
    """The generator's smallest amount (MIN_CENTS), at the schema's minimum exactly."""
    [cent] = dataset_of(tmp_path, [row(1, timestamp=T0, amount="0.01")]).transactions()
    assert cent["amount"] == Decimal("0.01")
    error = _error(tmp_path, [row(1, timestamp=T0, amount="0.009")])
    assert "line 2: amount: must be bigger than or equal to 0.01" in error


def test_the_columns_may_come_in_any_order(tmp_path):
    path = write_rows(tmp_path / "any.csv", [row(1, timestamp=T0)], reversed(COLUMNS))
    assert read_dataset(path).ids == ["tx-00001"]


@pytest.mark.parametrize(("change", "message"), [
    ({"amount": "12.345"}, "line 3: amount: must have at most 2 decimal places"),
    ({"amount": "-5"}, "line 3: amount: must be bigger than or equal to 0.01"),
    ({"amount": "twelve"}, "line 3: amount: must be number"),
    ({"accountId": "4111111111111111"}, "line 3: accountId: looks like a card number"),
    ({"currency": "eur"}, "line 3: currency: must match pattern"),
    ({"channel": "phone"}, "line 3: channel: must be one of"),
    ({"timestamp": str(T0 * 10)}, "line 3: timestamp: must not be more than 5 minutes in the"),
    ({"timestamp": "soon"}, "line 3: timestamp: must be integer"),
    ({"transactionId": ""}, "line 3: transactionId: is required (the scores name each"),
    ({"timestamp": ""}, "line 3: timestamp: is required (the replay orders"),
    ({"merchantId": ""}, "line 3: merchantId: is required"),
    ({"fraud": "yes"}, "line 3: fraud: must be 0 or 1, not 'yes'"),
])
def test_a_row_the_api_would_refuse_is_an_error_naming_its_line(tmp_path, change, message):
    rows = [row(1, timestamp=T0), {**row(2, timestamp=T0), **change}]
    error = _error(tmp_path, rows)
    assert error.startswith(f"{tmp_path / 'bad.csv'}: 1 invalid row:")
    assert message in error


def test_every_bad_field_of_a_row_is_named(tmp_path):
    error = _error(tmp_path, [{**row(1, timestamp=T0), "amount": "1.001", "country": "de"}])
    [line] = error.splitlines()[1:]
    assert line.startswith("  line 2: ")
    assert "amount: must have at most 2 decimal places" in line
    assert "country: must match pattern" in line


def test_the_first_ten_bad_rows_are_reported(tmp_path):
    rows = [{**row(n, timestamp=T0), "country": "xx"} for n in range(12)]
    error = _error(tmp_path, rows)
    assert "10 invalid rows (and perhaps more: fix these first)" in error
    assert "line 11:" in error
    assert "line 12:" not in error


def test_a_transaction_id_may_appear_once(tmp_path):
    error = _error(tmp_path, [row(1, timestamp=T0), row(2, timestamp=T0 + 1),
                              row(1, timestamp=T0 + 2)])
    assert "a transaction id may appear once" in error
    assert "line 4: transactionId 'tx-00001' already on line 2" in error


@pytest.mark.parametrize(("columns", "message"), [
    ([name for name in COLUMNS if name != "fraud"], "the header has missing fraud"),
    ([*COLUMNS, "note"], "the header has unknown note"),
    ([*COLUMNS, "fraud"], "the header has repeated fraud"),
])
def test_a_header_without_exactly_the_columns_is_an_error(tmp_path, columns, message):
    error = _error(tmp_path, [row(1, timestamp=T0)], columns)
    assert f"line 1: {message}; expected the columns transactionId,accountId," in error


def test_a_row_with_too_few_values_is_an_error(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(",".join(COLUMNS) + "\ntx-1,acct-1,10.00\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: 3 values, expected 10"):
        read_dataset(path)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file; expected a header: transactionId,"),
    (",".join(COLUMNS).encode() + b"\n", "no transactions, only a header"),
    (b"transactionId\n\xff\xfe\n", "not UTF-8 text"),
])
def test_an_unusable_file_is_an_error(tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_dataset(path)


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"no-such\.csv: no such file"):
        read_dataset(tmp_path / "no-such.csv")
