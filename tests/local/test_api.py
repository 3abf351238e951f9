"""POST and GET through the local API: routes, responses, the proxy event, the verdict."""

import http.client
import json
import socket
import uuid
from decimal import Decimal
from urllib.parse import urlsplit

from tests.local.conftest import transaction, wait_for


def _new_id() -> str:
    return f"api-{uuid.uuid4().hex[:12]}"


def test_post_stores_pending_then_get_reads_the_verdict(local):
    body = transaction(_new_id())
    created = local.post(body)
    assert created.status == 201
    assert created.headers["Content-Type"] == "application/json"
    assert created.json == body | {"timestamp": created.json["timestamp"],
                                   "fraudStatus": "PENDING"}

    def verdict():
        response = local.request("GET", f"/transactions/{body['transactionId']}")
        return response if response.json["fraudStatus"] != "PENDING" else None

    analysed = wait_for(verdict, "the verdict")
    assert analysed.status == 200
    assert analysed.json["fraudStatus"] == "CLEAR"
    assert analysed.json["fraudScore"] == 0
    assert analysed.json["fraudReasons"] == []
    assert analysed.json["analyzedAt"].endswith("Z")


def test_a_cent_is_the_smallest_amount_through_gateway_and_function(local):
    """The gateway's minimum (0.01) and the function's compare exactly; below it, nothing."""
    cent = transaction(_new_id(), amount=0.01)
    created = local.post(cent)
    assert created.status == 201, created.text
    assert created.json["amount"] == 0.01
    [stored] = local.stored(cent["transactionId"])
    assert stored["amount"] == Decimal("0.01")
    for amount in ("0.009", "0"):
        below = transaction(_new_id())
        text = json.dumps(below).replace('"amount": 125.5', f'"amount": {amount}')
        refused = local.post(text)
        assert refused.status == 400, (amount, refused.text)
        assert local.id_items(below["transactionId"]) == []


def test_replaying_a_transaction_returns_it_and_other_content_conflicts(local):
    body = transaction(_new_id(), timestamp=1_790_000_000_000)
    assert local.post(body).status == 201
    replay = local.post(body)
    assert replay.status == 200
    assert replay.json["transactionId"] == body["transactionId"]
    conflict = local.post(body | {"amount": 99.99})
    assert conflict.status == 409
    assert [error["field"] for error in conflict.json["errors"]] == ["amount"]
    assert len(local.stored(body["transactionId"])) == 1


def test_get_of_an_unknown_id_is_404_and_a_bad_id_400(local):
    unknown = local.request("GET", "/transactions/no-such-transaction")
    assert unknown.status == 404
    assert unknown.json["message"] == "No transaction has the id no-such-transaction"
    bad = local.request("GET", "/transactions/" + "x" * 65)
    assert bad.status == 400
    assert [error["field"] for error in bad.json["errors"]] == ["id"]


NO_ROUTE = ("Missing credentials, or no route matches this method and path; the routes are "
            "POST /v1/transactions, GET /v1/transactions/{id} and PUT /v1/transactions/{id}/label")


def test_what_no_route_matches_gets_api_gateways_403_saying_where_the_routes_are(local):
    for method, path in (("GET", "/nothing-here"), ("PUT", "/transactions"),
                         ("DELETE", "/transactions/abc"), ("GET", "/transactions/")):
        response = local.request(method, path)
        assert response.status == 403, (method, path)
        assert response.json == {"message": NO_ROUTE, "errors": [],
                                 "requestId": response.headers["x-amzn-RequestId"]}
    for path in ("/transactions", "/transactions/abc", "/../transactions/abc"):
        outside_the_stage = local.request("POST" if path == "/transactions" else "GET", path,
                                          in_stage=path.startswith("/.."))
        assert outside_the_stage.status == 403, path
        assert outside_the_stage.json["message"] == NO_ROUTE


def test_errors_from_the_gateway_and_the_function_have_one_shape(local):
    """A schema violation (the gateway's validator) and a rule beyond the schema (the function):
    the same keys, the request id of the x-amzn-RequestId header."""
    by_gateway = local.post(transaction(_new_id(), currency="eur"))
    by_function = local.post(transaction(_new_id(), timestamp=1_700_000_000))
    for response in (by_gateway, by_function):
        assert response.status == 400
        assert set(response.json) == {"message", "errors", "requestId"}
        assert response.json["requestId"] == response.headers["x-amzn-RequestId"]
    assert [error["field"] for error in by_gateway.json["errors"]] == ["body"]
    assert by_function.json["errors"] == [{
        "field": "timestamp", "message": "must be epoch milliseconds, from 946684800000 "
        "(2000-01-01); 1700000000 looks like epoch seconds: send 1700000000000"}]


def test_the_function_receives_a_rest_proxy_event_with_the_request_id(local):
    """The request id API Gateway answers with is the function's correlation id."""
    response = local.post(transaction(_new_id()))
    request_id = response.headers["x-amzn-RequestId"]
    lines = wait_for(lambda: [line for line in local.log_lines("process-transaction")
                              if line.get("correlation_id") == request_id], "the function's log")
    assert lines[0]["message"] == "Transaction stored"
    assert lines[0]["function_name"] == "lambda-process-transaction-local"
    assert json.dumps(lines).count("acct-") == 0  # account ids are masked in logs


def test_a_body_without_a_length_is_refused_not_misread(local):
    url = urlsplit(local.process.api_url)
    # The whole request in one write: the server answers (and closes) as soon as it has read
    # the headers, so a client still streaming its chunks could see a broken pipe instead.
    request = (f"POST {url.path}/transactions HTTP/1.1\r\nHost: {url.netloc}\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               '8\r\n{"a": 1}\r\n0\r\n\r\n').encode()
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(request)
        response = http.client.HTTPResponse(connection)
        response.begin()
        assert response.status == 400
        assert json.loads(response.read())["message"] == "Bad Request: send a Content-Length"
