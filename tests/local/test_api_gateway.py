"""The local API Gateway's reading of the document, its validator and its proxy events."""

import json

import pytest

import local_mode.api_gateway
from local_mode.api_gateway import (
    RestApi,
    TokenBucket,
    body_matches,
    ecma_pattern,
    imported_document,
    routes,
)
from shared.api_document import transaction_schema
from tests.local.conftest import FUNCTION_ARN

VALID = {"accountId": "acct-1", "amount": 10.5, "currency": "EUR", "merchantId": "m-1",
         "merchantCategory": "5411", "country": "DE"}


def document():
    return imported_document(FUNCTION_ARN, "iam")


def test_routes_and_validators_come_from_the_document():
    table = {(route.method, route.resource): route for route in routes(document())}
    assert set(table) == {("POST", "/transactions"), ("GET", "/transactions/{id}"),
                          ("PUT", "/transactions/{id}/label")}
    post, get = table["POST", "/transactions"], table["GET", "/transactions/{id}"]
    label = table["PUT", "/transactions/{id}/label"]
    assert (post.validate_body, post.validate_parameters) == (True, True)
    assert (get.validate_body, get.validate_parameters) == (False, True)
    assert (label.validate_body, label.validate_parameters) == (True, True)
    assert post.body_schema["required"] == transaction_schema()["required"]
    assert "additionalProperties" not in post.body_schema  # as imported: the function's check
    assert label.body_schema["required"] == ["label", "source"]
    assert label.match("PUT", "/transactions/abc-1/label") == {"id": "abc-1"}
    assert get.match("GET", "/transactions/abc-1/label") is None
    assert get.match("GET", "/transactions/abc-1") == {"id": "abc-1"}
    assert get.match("GET", "/transactions/a/b") is None
    assert get.match("POST", "/transactions/abc") is None


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    ("^[A-Z]{3}$", "EUR", True),
    ("^[A-Z]{3}$", "EUR\n", False),  # Python's $ would match before the newline
    (r"^a\$$", "a$", True),  # an escaped dollar stays literal
    ("^[$]+$", "$$", True),  # so does one inside a class
])
def test_patterns_anchor_as_ecma_262_does(pattern, text, matches):
    import re

    assert bool(re.search(ecma_pattern(pattern), text)) is matches


def test_the_validator_checks_ranges_patterns_required_fields_and_json():
    schema = document()["components"]["schemas"]["Transaction"]
    assert body_matches(schema, json.dumps(VALID))
    assert not body_matches(schema, json.dumps({**VALID, "amount": -1}))
    assert not body_matches(schema, json.dumps({**VALID, "country": "de"}))
    assert not body_matches(schema, "")  # validated as {}: every required field missing
    assert not body_matches(schema, "{")


@pytest.mark.parametrize(("amount", "valid"), [
    ("0.01", True), ("0.010", True), ("1e-2", True), ("1000000.00", True),
    ("0.009", False), ("0", False), ("0.0099999999999999999", False), ("1000000.01", False),
])
def test_the_amount_bounds_are_compared_exactly(amount, valid):
    """The body is parsed exact (0.01 is the Decimal 0.01, a hair below the float 0.01): the
    bound must be too, or the smallest amount is refused."""
    [post] = [route for route in routes(document()) if route.method == "POST"]
    body = json.dumps(VALID).replace('"amount": 10.5', f'"amount": {amount}')
    assert body_matches(post.body_schema, body) is valid


def test_the_local_api_validates_with_what_api_gateway_imports_not_the_source(monkeypatch):
    """The import leaves out additionalProperties (unsupported in models), so an unknown field
    passes the gateway and is the function's to refuse; and whatever the rendering changes,
    the local API follows."""
    calls = []

    def invoke(event):
        calls.append(event)
        return {"statusCode": 400, "headers": {}, "body": "{}"}

    assert transaction_schema()["additionalProperties"] is False
    api = RestApi(document(), invoke, TokenBucket(10, 10), account_id="123456789012")
    unknown = json.dumps({**VALID, "note": "x"}).encode()
    assert api.handle("POST", "/v1/transactions", [], unknown, "::1").status == 400
    assert len(calls) == 1  # reached the function

    rendered = local_mode.api_gateway.render_for_api_gateway

    def stricter(*args):
        imported = json.loads(rendered(*args))
        imported["components"]["schemas"]["Transaction"]["properties"]["merchantId"][
            "maxLength"] = 2
        return json.dumps(imported)

    monkeypatch.setattr(local_mode.api_gateway, "render_for_api_gateway", stricter)
    api = RestApi(document(), invoke, TokenBucket(10, 10), account_id="123456789012")
    longer = json.dumps({**VALID, "merchantId": "m-1"}).encode()
    response = api.handle("POST", "/v1/transactions", [], longer, "::1")
    assert response.status == 400
    assert json.loads(response.body)["message"].startswith("Invalid request body")
    assert len(calls) == 1  # refused by the gateway


@pytest.mark.parametrize("change", [
    {"accountId": "4111 1111 1111 1111"},  # spaces break the id pattern
    {"merchantId": "Shop 4111 1111 1111 1111\u0007"},  # so does a control character
    {"merchantId": "4111111111111111" + "x" * 60},  # and a name over 64 characters
    {"currency": "4111111111111111"},
    {"channel": "4111111111111111"},  # not in the enum
    {"amount": 4111111111111111},  # over the maximum
])
def test_a_refused_body_is_answered_without_any_value_it_held(change):
    """API Gateway's validator quotes what it refused; the answer never does."""
    calls = []
    api = RestApi(document(), calls.append, TokenBucket(10, 10), account_id="123456789012")
    body = json.dumps({**VALID, **change}).encode()
    response = api.handle("POST", "/v1/transactions", [], body, "::1")
    assert response.status == 400
    assert calls == []  # the function never ran
    assert json.loads(response.body)["message"] == (
        "Invalid request body: it does not match the request schema")
    assert "4111" not in response.body.decode()
    assert "1111" not in response.body.decode()


def test_a_request_becomes_a_rest_proxy_event():
    events = []

    def invoke(event):
        events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    api = RestApi(document(), invoke, TokenBucket(10, 10), account_id="123456789012")
    response = api.handle("GET", "/v1/transactions/t%2D1?verbose=1",
                          [("Host", "127.0.0.1:3000"), ("X-Trace", "a"), ("X-Trace", "b")], b"",
                          "127.0.0.1")
    assert response.status == 200
    [event] = events
    assert event["resource"] == "/transactions/{id}"
    assert event["path"] == "/transactions/t-1"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "t-1"}
    assert event["queryStringParameters"] == {"verbose": "1"}
    assert event["multiValueHeaders"]["X-Trace"] == ["a", "b"]
    assert event["headers"]["X-Trace"] == "b"
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/transactions/t-1"
    assert context["resourcePath"] == "/transactions/{id}"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_a_function_that_fails_gets_api_gateways_502():
    def invoke(_event):
        raise RuntimeError("boom")

    api = RestApi(document(), invoke, TokenBucket(10, 10), account_id="123456789012")
    response = api.handle("POST", "/v1/transactions", [], json.dumps(VALID).encode(), "::1")
    assert response.status == 502
    assert json.loads(response.body)["message"] == "Internal server error"
