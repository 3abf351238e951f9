"""process-transaction: the API's status codes, exact amounts, idempotency and logs."""

import base64
import json
from decimal import Decimal

import pytest
from common import json_codec
from common.clock import now_ms
from common.transaction import from_item, id_guard_key, is_id_guard, to_item

from shared.outputs import DataOutputs
from shared.provisioning import provision_data_layer
from tests.functions.api_contract import assert_conforms
from tests.functions.aws_calls import AwsCalls
from tests.functions.conftest import SUFFIX
from tests.functions.events import api_event

COLLECTION, ITEM = "/transactions", "/transactions/{id}"
VALID = {"accountId": "acc-000123", "amount": Decimal("125.40"), "currency": "EUR",
         "merchantId": "merchant-42", "merchantCategory": "5411", "country": "DE"}


def post(app, context, body, **kwargs):
    text = body if isinstance(body, str) or body is None else json_codec.dumps(body)
    response = app.lambda_handler(api_event("POST", COLLECTION, text, **kwargs), context)
    return response["statusCode"], json_codec.loads(response["body"]), response


def get(app, context, transaction_id):
    response = app.lambda_handler(api_event(
        "GET", f"/transactions/{transaction_id}", path_parameters={"id": transaction_id}),
        context)
    return response["statusCode"], json_codec.loads(response["body"]), response


def raw_items(dynamodb, outputs):
    """Every transaction in the table in DynamoDB's typed JSON (the id guards left out)."""
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    return [item for item in dynamodb.scan(TableName=table)["Items"] if not is_id_guard(item)]


def stored_items(dynamodb, outputs):
    return [from_item(item) for item in raw_items(dynamodb, outputs)]


def id_guards(dynamodb, outputs):
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    return [item for item in dynamodb.scan(TableName=table)["Items"] if is_id_guard(item)]


# ---- 201 / 200 / 409 ----

def test_a_new_transaction_is_stored_pending_with_201(process_app, context, outputs, dynamodb):
    status, body, response = post(process_app, context, VALID)
    assert status == 201
    assert response["multiValueHeaders"].get("Content-Type", [None])[0] == "application/json" \
        or response["headers"].get("Content-Type") == "application/json"
    assert_conforms(COLLECTION, "post", 201, body)
    assert body["fraudStatus"] == "PENDING"
    assert body["amount"] == Decimal("125.4")
    assert len(body["transactionId"]) == 36  # a server-made UUID
    assert abs(body["timestamp"] - now_ms()) < 60_000
    [item] = stored_items(dynamodb, outputs)
    assert item["transactionId"] == body["transactionId"]
    assert item["amount"] == Decimal("125.40")
    assert item["fraudStatus"] == "PENDING"


def test_amounts_stay_exact_decimals_from_body_to_table_to_response(process_app, context,
                                                                     outputs, dynamodb):
    text = ('{"transactionId": "exact-1", "accountId": "acc-1", "amount": 999999.99, '
            '"currency": "USD", "merchantId": "m", "merchantCategory": "5411", "country": "US"}')
    status, _, response = post(process_app, context, text)
    assert status == 201
    assert '"amount":999999.99' in response["body"]
    [raw] = raw_items(dynamodb, outputs)
    assert raw["amount"] == {"N": "999999.99"}
    status, _, response = get(process_app, context, "exact-1")
    assert '"amount":999999.99' in response["body"]


@pytest.mark.parametrize("amount", ["0.01", "0.010", "1e-2", "1000000", "1000000.00"])
def test_the_bounds_themselves_are_amounts_a_cent_and_a_million(process_app, context, outputs,
                                                               dynamodb, amount):
    """Compared exactly: the Decimal 0.01 is below the binary float 0.01, so a float bound
    would refuse the smallest amount."""
    text = _body().replace("125.40", amount)
    status, body, _ = post(process_app, context, text)
    assert status == 201, body
    [item] = stored_items(dynamodb, outputs)
    assert item["amount"] == Decimal(amount)


@pytest.mark.parametrize(("sent", "stored_as"), [
    ("1000000.00", "1000000"), ("1e3", "1000"), ("0.10", "0.1"), ("12.5", "12.5")])
def test_amounts_are_stored_in_dynamodbs_canonical_form(process_app, context, outputs,
                                                        dynamodb, sent, stored_as):
    text = _body().replace("125.40", sent)
    status, _, response = post(process_app, context, text)
    assert status == 201
    assert f'"amount":{stored_as},' in response["body"]
    [raw] = raw_items(dynamodb, outputs)
    assert raw["amount"] == {"N": stored_as}


def test_posting_the_same_transaction_again_returns_the_stored_item_with_200(
        process_app, context, outputs, dynamodb):
    body = {**VALID, "transactionId": "client-key-1", "timestamp": now_ms() - 1000}
    first_status, first, _ = post(process_app, context, body)
    second_status, second, _ = post(process_app, context, body)
    assert (first_status, second_status) == (201, 200)
    assert second == first
    assert_conforms(COLLECTION, "post", 200, second)
    assert len(stored_items(dynamodb, outputs)) == 1


def test_a_replay_without_timestamp_finds_the_stored_transaction(process_app, context, outputs,
                                                                 dynamodb):
    body = {**VALID, "transactionId": "client-key-2"}
    first_status, first, _ = post(process_app, context, body)
    second_status, second, _ = post(process_app, context, body)
    assert (first_status, second_status) == (201, 200)
    assert second["timestamp"] == first["timestamp"]
    assert len(stored_items(dynamodb, outputs)) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": Decimal("125.41")}, "amount"),
    ({"currency": "USD"}, "currency"),
    ({"channel": "pos"}, "channel"),
    ({"timestamp": 1_700_000_000_001}, "timestamp"),
])
def test_the_same_id_with_other_content_is_a_409_and_changes_nothing(
        process_app, context, outputs, change, field, dynamodb):
    original = {**VALID, "transactionId": "client-key-3", "timestamp": 1_700_000_000_000}
    assert post(process_app, context, original)[0] == 201
    status, body, _ = post(process_app, context, {**original, **change})
    assert status == 409
    assert_conforms(COLLECTION, "post", 409, body)
    assert [error["field"] for error in body["errors"]] == [field]
    [item] = stored_items(dynamodb, outputs)
    assert (item["amount"], item["currency"], item["timestamp"]) == (
        Decimal("125.40"), "EUR", 1_700_000_000_000)
    assert "channel" not in item


@pytest.mark.parametrize(("competitor_amount", "expected"), [("125.40", 200), ("99.99", 409)])
def test_a_concurrent_first_write_of_the_same_id_is_judged_by_content(
        process_app, context, outputs, dynamodb, on_call, competitor_amount, expected):
    """Another request stores the id, at another timestamp, between our lookup and our write."""
    competitor = {**VALID, "transactionId": "race-1", "timestamp": now_ms() - 5000,
                  "amount": Decimal(competitor_amount), "fraudStatus": "PENDING"}
    table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    on_call(process_app.dynamodb, "dynamodb.TransactWriteItems", lambda **_: (
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": id_guard_key("race-1")}},
            {"Put": {"TableName": table, "Item": to_item(competitor)}}])))
    status, _, _ = post(process_app, context, {**VALID, "transactionId": "race-1"})
    assert status == expected
    [item] = stored_items(dynamodb, outputs)
    assert item["amount"] == Decimal(competitor_amount)


def test_a_client_id_is_stored_with_its_guard_and_a_server_id_without(process_app, context,
                                                                      outputs, dynamodb):
    assert post(process_app, context, {**VALID, "transactionId": "guarded-1"})[0] == 201
    assert post(process_app, context, VALID)[0] == 201
    [guard] = id_guards(dynamodb, outputs)
    assert guard == id_guard_key("guarded-1")  # its key alone: no index entry, no verdict
    status, body, _ = get(process_app, context, "guarded-1")
    assert (status, body["accountId"], body["fraudStatus"]) == (200, VALID["accountId"],
                                                                 "PENDING")


# ---- 400 ----

def _body(**changes):
    document = {**VALID, **changes}
    return json_codec.dumps({k: v for k, v in document.items() if v is not None})


BAD_REQUESTS = {
    "missing body": (None, ["body"]),
    "blank body": ("  ", ["body"]),
    "malformed JSON": ('{"accountId": "a",', ["body"]),
    "not an object": ("[1, 2]", ["body"]),
    "duplicate key": ('{"amount": 1, "amount": 2}', ["body"]),
    "NaN": (_body().replace("125.40", "NaN"), ["body"]),
    "over 16 KiB": (_body(merchantId="m" * 64)[:-1] + ', "pad": "' + "x" * 16_500 + '"}',
                    ["body"]),
    "unknown field": (_body(cardNumber="4111111111111111"), ["cardNumber"]),
    "missing fields": ('{"amount": 5}', ["accountId", "currency", "merchantId",
                                         "merchantCategory", "country"]),
    "wrong types": (_body(amount="12.00", merchantCategory=5411),
                    ["amount", "merchantCategory"]),
    "boolean amount": (_body().replace("125.40", "true"), ["amount"]),
    "zero amount": (_body(amount=Decimal(0)), ["amount"]),
    "below a cent": (_body().replace("125.40", "0.009"), ["amount"]),
    "a hair below a cent": (_body().replace("125.40", "0.0099999999999999999"), ["amount"]),
    "a hair over a million": (_body().replace("125.40", "1000000.0000000000001"), ["amount"]),
    "negative amount": (_body(amount=Decimal("-5")), ["amount"]),
    "amount over a million": (_body(amount=Decimal("1000000.01")), ["amount"]),
    "three decimals": (_body(amount=Decimal("10.005")), ["amount"]),
    "tiny amount": (_body().replace("125.40", "1e-9"), ["amount"]),
    "lower-case currency": (_body(currency="eur"), ["currency"]),
    "bad MCC": (_body(merchantCategory="541"), ["merchantCategory"]),
    "bad country": (_body(country="DEU"), ["country"]),
    "bad channel": (_body(channel="phone"), ["channel"]),
    "bad id": (_body(transactionId="has space"), ["transactionId"]),
    "id too long": (_body(transactionId="x" * 65), ["transactionId"]),
    "fractional timestamp": (_body(timestamp=Decimal("1700000000000.5")), ["timestamp"]),
    "card number as account": (_body(accountId="4111111111111111"), ["accountId"]),
    "19-digit card number": (_body(accountId="4000000000000000006"), ["accountId"]),
    "card number with dashes": (_body(accountId="4111-1111-1111-1111"), ["accountId"]),
    "another card with dashes": (_body(accountId="5555-5555-5555-4444"), ["accountId"]),
    "card number with underscores": (_body(accountId="4111_1111_1111_1111"), ["accountId"]),
    "card number inside an account": (_body(accountId="acct-4111111111111111"), ["accountId"]),
    "card number in merchant": (_body(merchantId="Shop 5555 5555.5555 4444"), ["merchantId"]),
    "card number as transaction id": (_body(transactionId="x_378282246310005"),
                                      ["transactionId"]),
    "unknown currency": (_body(currency="ZZZ"), ["currency"]),
    "funds code": (_body(currency="USN"), ["currency"]),
    "yen with decimals": (_body(currency="JPY", amount=Decimal("100.50")), ["amount"]),
    "dinar's third decimal": (_body(currency="BHD", amount=Decimal("12.345")), ["amount"]),
    "newline in merchant": (_body(merchantId="shop\nname"), ["merchantId"]),
    "C1 control in merchant": (_body(merchantId="shop\u0085name"), ["merchantId"]),
    "lone surrogate": (_body().replace("merchant-42", "\\ud800"), ["merchantId"]),
    "bytes that were not UTF-8": (_body(merchantId="caf\ufffd"), ["merchantId"]),
    "several problems": (_body(currency="eur", amount=Decimal("1.001"), country="x"),
                         ["currency", "country", "amount"]),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_bad_input_is_a_400_naming_each_field_and_stores_nothing(
        process_app, context, outputs, case, dynamodb):
    text, fields = BAD_REQUESTS[case]
    status, body, _ = post(process_app, context, text)
    assert status == 400
    assert_conforms(COLLECTION, "post", 400, body)
    assert sorted(error["field"] for error in body["errors"]) == sorted(fields)
    assert stored_items(dynamodb, outputs) == []


@pytest.mark.parametrize(("field", "value"), [
    ("accountId", "4111-1111-1111-1111"), ("merchantId", "pay 4111 1111 1111 1111 now"),
    ("transactionId", "t-5555555555554444")])
def test_a_card_number_is_named_by_field_and_never_echoed_or_logged(
        process_app, context, log_lines, field, value):
    logs = log_lines(process_app)
    status, body, response = post(process_app, context, {**VALID, field: value})
    assert status == 400
    assert body["errors"] == [{"field": field, "message": "looks like a card number; send no "
                                                          "card number, in any field"}]
    digits = "".join(ch for ch in value if ch.isdigit())
    written = response["body"] + json.dumps(logs())
    assert digits[-12:] not in written.replace("-", "").replace(" ", "")


def test_a_card_number_as_the_id_of_a_get_is_refused_without_echo(process_app, context):
    status, body, response = get(process_app, context, "4111111111111111")
    assert (status, body["errors"][0]["field"]) == (400, "id")
    assert "4111" not in response["body"]


@pytest.mark.parametrize(("currency", "amount", "stored_as"), [
    ("JPY", "100", "100"), ("BHD", "12.34", "12.34"), ("KWD", "5.10", "5.1"),
    ("CLP", "1500", "1500"), ("XOF", "2500", "2500"), ("USD", "0.25", "0.25")])
def test_amounts_may_have_their_currency_s_decimals_up_to_two(process_app, context, outputs,
                                                              dynamodb, currency, amount,
                                                              stored_as):
    text = _body(currency=currency).replace("125.40", amount)
    assert post(process_app, context, text)[0] == 201
    [item] = stored_items(dynamodb, outputs)
    assert (item["currency"], item["amount"]) == (currency, Decimal(stored_as))


@pytest.mark.parametrize(("currency", "amount", "message"), [
    ("JPY", "100.50", "must be a whole number: JPY has no minor unit"),
    ("BHD", "12.345", "must have at most 2 decimal places: BHD has 3, but amounts carry at most"
                      " 2 here (send BHD to the nearest 0.01)"),
    ("EUR", "1.001", "must have at most 2 decimal places"),
])
def test_the_decimals_rule_says_what_the_currency_allows(process_app, context, currency, amount,
                                                         message):
    _, body, _ = post(process_app, context, _body(currency=currency).replace("125.40", amount))
    assert body["errors"] == [{"field": "amount", "message": message}]


def test_a_base64_body_that_is_not_utf8_is_a_400_and_stores_nothing(process_app, context,
                                                                    outputs, dynamodb):
    raw = _body().replace("merchant-42", "caf\u00e9").encode("latin-1")  # é as one byte
    event = api_event("POST", COLLECTION, None)
    event |= {"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}
    response = process_app.lambda_handler(event, context)
    body = json_codec.loads(response["body"])
    assert (response["statusCode"], body["errors"]) == (400, [
        {"field": "body", "message": "is not valid UTF-8 text"}])
    assert stored_items(dynamodb, outputs) == []


@pytest.mark.parametrize(("timestamp", "message"), [
    (1_700_000_000, "must be epoch milliseconds, from 946684800000 (2000-01-01); 1700000000 "
                    "looks like epoch seconds: send 1700000000000"),
    (0, "must be epoch milliseconds, from 946684800000 (2000-01-01)"),
])
def test_a_timestamp_in_seconds_is_called_what_it_is(process_app, context, timestamp, message):
    status, body, _ = post(process_app, context, {**VALID, "timestamp": timestamp})
    assert status == 400
    assert body["errors"] == [{"field": "timestamp", "message": message}]


def test_the_card_number_rejection_says_why(process_app, context):
    _, body, _ = post(process_app, context, {**VALID, "accountId": "4111111111111111"})
    assert "looks like a card number" in body["errors"][0]["message"]


@pytest.mark.parametrize(("account_id", "accepted"), [
    ("411111111111", True),  # 12 digits: too short for a card
    ("4222222222222", False),  # 13 digits, Luhn-valid
    ("4111111111111112", True),  # 16 digits failing the Luhn check
    ("4111111111111111", False),
    ("40000000000000000006", True),  # 20 digits: too long for a card
])
def test_luhn_rejection_applies_to_13_to_19_digits(process_app, context, account_id, accepted):
    status, _, _ = post(process_app, context, {**VALID, "accountId": account_id})
    assert status == (201 if accepted else 400)


@pytest.mark.parametrize(("ahead_ms", "status"), [(5 * 60_000 - 2000, 201),
                                                  (5 * 60_000 + 2000, 400)])
def test_a_timestamp_may_be_at_most_5_minutes_ahead(process_app, context, ahead_ms, status):
    assert post(process_app, context, {**VALID, "timestamp": now_ms() + ahead_ms})[0] == status


def test_a_body_of_exactly_16_kib_is_accepted_by_size(process_app, context):
    body = _body()
    padded = body[:-1] + " " * (16 * 1024 - len(body)) + "}"
    assert len(padded.encode()) == 16 * 1024
    assert post(process_app, context, padded)[0] == 201


def test_a_base64_encoded_body_is_decoded(process_app, context):
    assert post(process_app, context, _body(), base64_body=True)[0] == 201


# ---- GET ----

def test_get_returns_the_item_with_its_verdict_once_analysed(process_app, context, outputs,
                                                             dynamodb):
    _, created, _ = post(process_app, context, {**VALID, "transactionId": "read-me"})
    dynamodb.update_item(
        TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME],
        Key={"transactionId": {"S": "read-me"}, "timestamp": {"N": str(created["timestamp"])}},
        UpdateExpression="SET fraudStatus = :s, fraudScore = :n, fraudReasons = :r, "
                         "analyzedAt = :a, flaggedDay = :d, notifiedAt = :a",
        ExpressionAttributeValues={":s": {"S": "SUSPICIOUS"}, ":n": {"N": "85"},
                                   ":r": {"L": [{"S": "HIGH_AMOUNT"}, {"S": "HIGH_RISK_MCC"}]},
                                   ":a": {"S": "2024-05-01T12:00:00.000Z"},
                                   ":d": {"S": "2024-05-01"}})
    status, body, _ = get(process_app, context, "read-me")
    assert status == 200
    assert_conforms(ITEM, "get", 200, body)
    assert (body["fraudScore"], body["fraudReasons"]) == (85, ["HIGH_AMOUNT", "HIGH_RISK_MCC"])
    assert not {"flaggedDay", "notifiedAt"} & set(body)  # internal attributes


def test_get_of_an_unknown_id_is_a_404(process_app, context):
    status, body, _ = get(process_app, context, "never-posted")
    assert status == 404
    assert_conforms(ITEM, "get", 404, body)


@pytest.mark.parametrize("bad_id", ["x" * 65, "a.b", "caf\u00e9"])
def test_get_of_an_id_breaking_the_id_rule_is_a_400(process_app, context, bad_id):
    status, body, _ = get(process_app, context, bad_id)
    assert status == 400
    assert_conforms(ITEM, "get", 400, body)
    assert body["errors"][0]["field"] == "id"


def test_a_path_the_id_route_cannot_match_is_a_400(process_app, context):
    response = process_app.lambda_handler(api_event("GET", "/transactions/a/b"), context)
    assert response["statusCode"] == 400


def test_every_error_has_the_gateways_shape_and_the_request_id(process_app, context):
    """400, 404 and 409 as API Gateway's own errors: message, errors, requestId."""
    keyed = {**VALID, "transactionId": "shape-1", "timestamp": 1_700_000_000_000}
    assert post(process_app, context, keyed)[0] == 201
    events = {
        400: api_event("POST", COLLECTION, "{}", request_id="req-400"),
        404: api_event("GET", "/transactions/nobody", path_parameters={"id": "nobody"},
                       request_id="req-404"),
        409: api_event("POST", COLLECTION, json_codec.dumps({**keyed, "currency": "USD"}),
                       request_id="req-409"),
    }
    for status, event in events.items():
        response = process_app.lambda_handler(event, context)
        body = json_codec.loads(response["body"])
        assert response["statusCode"] == status
        assert set(body) == {"message", "errors", "requestId"}
        assert body["requestId"] == f"req-{status}"
    assert json_codec.loads(process_app.lambda_handler(events[404], context)["body"])[
        "errors"] == []


# ---- 500, logs, call counts ----

def test_a_fault_is_a_500_with_the_request_id_and_no_trace(process_app, context, outputs,
                                                          session, log_lines, dynamodb):
    logs = log_lines(process_app)
    dynamodb.delete_table(TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME])
    event = api_event("POST", COLLECTION, _body(), request_id="req-500-check")
    try:
        response = process_app.lambda_handler(event, context)
    finally:
        provision_data_layer(SUFFIX, session)  # the helper rebuilds what is missing
    body = json_codec.loads(response["body"])
    assert response["statusCode"] == 500
    assert_conforms(COLLECTION, "post", 500, body)
    assert body == {"message": "Internal server error", "errors": [],
                    "requestId": "req-500-check"}
    [error] = [line for line in logs() if line["level"] == "ERROR"]
    assert "ResourceNotFoundException" in error["exception"]  # logged, never returned


def test_logs_carry_the_request_id_and_only_the_last_4_of_the_account(process_app, context,
                                                                      log_lines):
    logs = log_lines(process_app)
    event = api_event("POST", COLLECTION, _body(accountId="acc-secret-9876"),
                      request_id="req-log-check")
    assert process_app.lambda_handler(event, context)["statusCode"] == 201
    lines = logs()
    stored = [line for line in lines if line["message"] == "Transaction stored"]
    assert [(line["correlation_id"], line["account"]) for line in stored] == [
        ("req-log-check", "****9876")]
    assert all("acc-secret" not in json.dumps(line) for line in lines)


def test_post_is_one_write_and_get_one_read(process_app, context):
    with AwsCalls(process_app.dynamodb) as calls:
        status, body, _ = post(process_app, context, VALID)
    assert status == 201
    assert dict(calls.counts) == {"DynamoDB.PutItem": 1}
    with AwsCalls(process_app.dynamodb) as calls:
        assert get(process_app, context, body["transactionId"])[0] == 200
    assert dict(calls.counts) == {"DynamoDB.Query": 1}
    with AwsCalls(process_app.dynamodb) as calls:
        assert post(process_app, context, {**VALID, "transactionId": "keyed"})[0] == 201
    assert dict(calls.counts) == {"DynamoDB.Query": 1, "DynamoDB.TransactWriteItems": 1}
    with AwsCalls(process_app.dynamodb) as calls:
        assert post(process_app, context, {**VALID, "transactionId": "keyed"})[0] == 200
    assert dict(calls.counts) == {"DynamoDB.Query": 1}
