"""The small shared modules: exact JSON, masking, time, no floats."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from common import json_codec
from common.alerts import Alert
from common.clock import iso, utc_day, utc_hour
from common.privacy import mask_account
from common.transaction import PUBLIC_FIELDS

from shared.api_document import load_openapi

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_json_keeps_decimals_exact_both_ways():
    parsed = json_codec.loads('{"a": 0.1, "b": [1e3, 12.50], "c": 7}')
    assert parsed == {"a": Decimal("0.1"), "b": [Decimal("1E+3"), Decimal("12.50")], "c": 7}
    assert json_codec.dumps(parsed) == '{"a":0.1,"b":[1000,12.50],"c":7}'


def test_json_refuses_floats_nan_and_duplicate_keys():
    with pytest.raises(TypeError):
        json_codec.dumps({"amount": 0.1})
    with pytest.raises(ValueError, match="not a JSON number"):
        json_codec.loads('{"amount": NaN}')
    with pytest.raises(json_codec.DuplicateKeyError):
        json_codec.loads('{"a": 1, "a": 1}')


def test_no_function_code_converts_to_float():
    """No ``float(...)`` anywhere in functions/: an amount cannot pass through one."""
    offenders = [f"{path.relative_to(FUNCTIONS)}:{node.lineno}"
                 for path in FUNCTIONS.rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id == "float"]
    assert offenders == []


def test_functions_never_import_shared():
    offenders = [str(path.relative_to(FUNCTIONS)) for path in FUNCTIONS.rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Import | ast.ImportFrom)
                 and any(name.split(".")[0] == "shared" for name in (
                     [node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names]))]
    assert offenders == []


def test_public_fields_are_the_openapi_stored_transaction():
    schema = load_openapi()["components"]["schemas"]["StoredTransaction"]
    assert set(PUBLIC_FIELDS) == set(schema["properties"])


@pytest.mark.parametrize(("account", "masked"), [
    ("acc-000123", "****0123"), ("acct-42", "****-42"), ("12345678", "****5678"),
    ("1234567", "****567"), ("abcd", "****cd"), ("abc", "****c"), ("ab", "****b"),
    ("a", "****"),
])
def test_masking_shows_at_most_half_of_an_id_and_never_more_than_its_last_4(account, masked):
    assert mask_account(account) == masked
    shown = masked.removeprefix("****")
    assert len(shown) <= min(4, len(account) // 2)
    assert account.endswith(shown)


def test_an_alert_never_carries_a_short_account_id_whole():
    """The alert is what the queue holds and the digest prints."""
    item = {"transactionId": "t-1", "timestamp": 1, "accountId": "ab", "amount": Decimal("5"),
            "currency": "EUR", "merchantId": "m-1", "country": "DE", "fraudScore": 60,
            "fraudReasons": ["VELOCITY"], "analyzedAt": "2026-01-01T00:00:00.000Z"}
    alert = Alert.from_item(item)
    assert alert.account == "****b"
    assert '"account":"****b"' in alert.to_message()


def test_time_helpers_are_utc_and_millisecond_exact():
    assert utc_day(1_714_607_999_999) == "2024-05-01"
    assert utc_day(1_714_608_000_000) == "2024-05-02"
    assert utc_hour(1_714_607_999_999) == 23
    assert iso(1_714_564_800_007) == "2024-05-01T12:00:00.007Z"


def test_an_entity_day_item_reads_back_with_unwritten_counters_as_zero():
    from decimal import Decimal

    from common.entity_days import EntityDay, day_of, entities_of

    transaction = {"accountId": "acct-1", "merchantId": "m-9", "timestamp": 1533686399999}
    assert entities_of(transaction) == ("account#acct-1", "merchant#m-9")
    assert day_of(transaction) == "2018-08-07"
    item = {"entity": "merchant#m-9", "day": "2018-08-07", "transactions": Decimal(3),
            "amountSum": Decimal("12.50"), "labelledFraud": Decimal(1)}
    assert EntityDay.from_item(item) == EntityDay(
        "merchant#m-9", "2018-08-07", transactions=3, amount_sum=Decimal("12.50"),
        labelled_fraud=1, labelled_genuine=0)
