"""Bad input through the local API: exactly 400, every bad field named, nothing stored.

Some cases are refused by the gateway's validator (the JSON schema, as imported), whose
answer names only the body (never a value), the others by the function (unknown fields and
what a schema cannot state), which names each field; both answer 400 with ``errors``.
Throttling answers 429 before anything else.
"""

import json
import signal
import time
import uuid

import pytest

from tests.local.conftest import start_local, stop_local, transaction

NOW_MS = int(time.time() * 1000)


def _case(transaction_id: str, **changes) -> str:
    return json.dumps(transaction(transaction_id, **changes))


# (name, body, fields the answer must name); each body holds the transaction id bad-<...>.
CASES = [
    ("malformed JSON", '{"transactionId": "bad-malformed", "accountId": "a",', "body"),
    ("NaN amount", _case("bad-nan", amount=0).replace('"amount": 0', '"amount": NaN'), "body"),
    ("not an object", '["bad-array"]', "body"),
    ("wrong types", _case("bad-types", amount="125.50", timestamp="now"), "body"),
    ("unknown fields", _case("bad-unknown", cardholder="J. Doe", pin="1234"), "cardholder pin"),
    ("missing fields", json.dumps({"transactionId": "bad-missing", "amount": 1}), "body"),
    ("over-size body", _case("bad-big").replace("{", "{" + " " * 17_000, 1), "body"),
    ("over-long field", _case("bad-long", merchantId="m" * 20_000), "body"),
    ("card number as account", _case("bad-card", accountId="4111111111111111"), "accountId"),
    ("grouped card number", _case("bad-dashes", accountId="5555-5555-5555-4444"), "accountId"),
    ("card number in an account", _case("bad-acct", accountId="acct-4111111111111111"),
     "accountId"),
    ("card number in merchant", _case("bad-shop", merchantId="Shop 4111 1111.1111_1111"),
     "merchantId"),
    ("unknown currency", _case("bad-zzz", currency="ZZZ"), "currency"),
    ("yen with decimals", _case("bad-yen", currency="JPY", amount=100.5), "amount"),
    ("future timestamp", _case("bad-future", timestamp=NOW_MS + 3_600_000), "timestamp"),
    ("timestamp in seconds", _case("bad-seconds", timestamp=NOW_MS // 1000), "timestamp"),
    ("three decimals", _case("bad-cents", amount=1.005), "amount"),
    ("zero amount", _case("bad-zero", amount=0), "body"),
    ("below a cent", _case("bad-mill", amount=0.009), "body"),
    ("non-ASCII account", _case("bad-unicode", accountId="cüstomer-1"), "body"),
    ("full-width currency", _case("bad-width", currency="\uff25\uff35\uff32"), "body"),
    ("trailing newline", _case("bad-newline", currency="EUR\n"), "body"),
    ("control character", _case("bad-bell", merchantId="m-\u0007"), "body"),
    ("NUL character", _case("bad-nul", country="D\u0000"), "body"),
    ("lone surrogate", _case("bad-surrogate", merchantId="m-\ud800"), "merchantId"),
    ("duplicate key", _case("bad-dup").replace('"channel": "pos"',
                                               '"channel": "pos", "channel": "atm"'), "body"),
]


@pytest.mark.parametrize(("name", "body", "fields"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_400_naming_each_field_and_stores_nothing(local, name, body, fields):
    response = local.post(body)
    assert response.status == 400, response.text
    answer = response.json
    assert answer["message"]
    assert sorted(error["field"] for error in answer["errors"]) == sorted(fields.split())
    transaction_id = "bad-" + body.split('"bad-', 1)[1].split('"', 1)[0]
    assert local.id_items(transaction_id) == []  # neither the transaction nor its id guard


def test_bytes_that_are_not_utf8_are_a_400_naming_the_field_and_store_nothing(local):
    """The gateway hands the function text, the bytes replaced by U+FFFD; it refuses them."""
    raw = _case("bad-bytes", merchantId="caf-e").encode().replace(b"caf-e", b"caf\xe9")
    response = local.request("POST", "/transactions", raw, {"Content-Type": "application/json"})
    assert response.status == 400, response.text
    assert response.json["errors"] == [{"field": "merchantId",
                                        "message": "is not valid UTF-8 text"}]
    assert local.id_items("bad-bytes") == []


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b""),
    (None, b""),
    ("text/plain", b"accountId=a&amount=1"),
])
def test_a_missing_or_non_json_body_is_400(local, content_type, body):
    headers = {"Content-Type": content_type} if content_type else {}
    before = len(local.all_transactions())
    response = local.request("POST", "/transactions", body, headers)
    assert response.status == 400
    assert response.json["errors"]
    assert len(local.all_transactions()) == before


def test_the_gateway_refuses_a_card_number_without_repeating_it(local):
    """A card number in fields that break their patterns: API Gateway's validator would quote
    them; its answer (the document's gateway response) names neither field nor value."""
    body = transaction("bad-pan", accountId="4111 1111 1111 1111",
                       merchantId="Shop 5555 5555 5555 4444\u0007")
    response = local.post(body)
    assert response.status == 400
    assert response.json == {
        "message": "Invalid request body: it does not match the request schema",
        "errors": [{"field": "body", "message": (
            "a field is missing, has the wrong type, or breaks its pattern or range (the "
            "schema of the operation in the API document); the gateway names neither the "
            "field nor the value, so that nothing sent is repeated")}],
        "requestId": response.headers["x-amzn-RequestId"]}
    assert local.id_items("bad-pan") == []


def test_over_the_stage_throttle_requests_get_429_and_reach_nothing(tmp_path):
    throttled = start_local(tmp_path, config=("apiThrottleRateLimit=1",
                                              "apiThrottleBurstLimit=1"))
    try:
        started = time.monotonic()
        ids = [f"throttle-{uuid.uuid4().hex[:8]}" for _ in range(6)]
        responses = [throttled.post(transaction(transaction_id)) for transaction_id in ids]
        elapsed = time.monotonic() - started
        allowed = 1 + int(elapsed)  # the burst, plus what the rate refilled meanwhile
        statuses = [response.status for response in responses]
        assert statuses.count(429) >= len(ids) - allowed, statuses
        for transaction_id, response in zip(ids, responses, strict=True):
            if response.status == 429:
                assert response.headers["Retry-After"] == "1"
                assert response.json == {"message": "Too many requests; retry with backoff",
                                         "errors": [],
                                         "requestId": response.headers["x-amzn-RequestId"]}
                assert throttled.stored(transaction_id) == []
            else:
                assert response.status == 201
    finally:
        stop_local(throttled, signal.SIGINT)  # as Ctrl-C stops `make local`
