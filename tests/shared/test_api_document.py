"""The one OpenAPI document as API Gateway imports it, and the responses API Gateway gives
itself (which the local API server renders from the same document)."""

import json
import re
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator

from local_mode.api_gateway import local_server_url
from shared import api_document
from shared.api_document import (
    GATEWAY_RESPONSES,
    SECURITY_SCHEMES,
    VALIDATION_ERROR_STRING,
    gateway_response,
    inline_local_refs,
    load_openapi,
    operations,
    render_for_api_gateway,
    transaction_schema,
)
from shared.api_gateway_import import SOURCE as UNSUPPORTED_SOURCE
from shared.api_gateway_import import import_problems
from shared.settings import API_AUTH_MODES

INVOKE_ARN = ("arn:aws:apigateway:us-east-2:lambda:path/2015-03-31/functions/"
              "arn:aws:lambda:us-east-2:123456789012:function:lambda-process-transaction-dev/"
              "invocations")


def _error_validator() -> Draft4Validator:
    document = load_openapi()
    return Draft4Validator({"$ref": "#/components/schemas/Error",
                            "components": document["components"]})


# (response type, API Gateway's default status and message, the status the client gets)
@pytest.mark.parametrize(("response_type", "default_status", "message", "status"), [
    ("BAD_REQUEST_BODY", 400, "Invalid request body", 400),
    ("BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters: [id]", 400),
    ("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", 403),
    ("ACCESS_DENIED", 403, 'User: "anonymous" is not authorized', 403),
    ("INVALID_SIGNATURE", 403, "The request signature we calculated does not match", 403),
    ("INVALID_API_KEY", 403, "Forbidden", 403),
    ("THROTTLED", 429, "Too Many Requests", 429),
    ("REQUEST_TOO_LARGE", 413, "Request Too Long", 413),
    ("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", 504),
    ("DEFAULT_5XX", 500, "Internal server error", 500),
])
def test_every_gateway_response_is_a_json_error(response_type, default_status, message, status):
    response = gateway_response(response_type, default_status, message=message,
                                request_id="c0ffee-1")
    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    _error_validator().validate(body)
    assert set(body) == {"message", "errors", "requestId"}  # the function's errors' shape
    assert body["requestId"] == "c0ffee-1"


@pytest.mark.parametrize("response_type", sorted(load_openapi()[GATEWAY_RESPONSES]))
def test_every_gateway_response_of_the_document_renders_to_an_error(response_type):
    status = 500 if response_type == "DEFAULT_5XX" else 400
    response = gateway_response(response_type, status, message='a "quoted" message',
                                request_id="r1")
    _error_validator().validate(json.loads(response.body))


def test_no_gateway_response_quotes_the_validators_message():
    """It quotes the values it refused (a card number in a field breaking its pattern, say)."""
    responses = load_openapi()[GATEWAY_RESPONSES]
    assert not [kind for kind, response in responses.items()
                if VALIDATION_ERROR_STRING in json.dumps(response)]
    body = json.loads(gateway_response("BAD_REQUEST_BODY", 400, message="Invalid request body",
                                       request_id="r1").body)
    [error] = body["errors"]
    assert error["field"] == "body"
    assert error["message"].endswith("the gateway names neither the field nor the value, so "
                                     "that nothing sent is repeated")


def test_a_template_quoting_the_validators_message_is_refused(monkeypatch):
    document = load_openapi()
    document[GATEWAY_RESPONSES]["BAD_REQUEST_BODY"]["responseTemplates"]["application/json"] = (
        '{"message": "$context.error.validationErrorString"}')
    monkeypatch.setattr(api_document, "_load_file", lambda _path: document)
    with pytest.raises(ValueError, match="quotes the values the validator refused"):
        gateway_response("BAD_REQUEST_BODY", 400, message="Invalid request body",
                         request_id="r1")


def test_no_route_says_where_the_routes_are():
    """A path outside the stage (``/transactions`` for ``/v1/transactions``) or a method the
    path does not have: the answer lists every route of the document, under its stage."""
    document = load_openapi()
    stage = urlsplit(local_server_url(document)).path
    message = json.loads(gateway_response("MISSING_AUTHENTICATION_TOKEN", 403,
                                          message="Missing Authentication Token",
                                          request_id="r1").body)["message"]
    routes = re.findall(r"(?:GET|POST|PUT|DELETE|PATCH) (/[^\s,]+)", message)
    assert sorted(routes) == sorted(stage + path for _, path, _ in operations(document))
    assert all(f"{method} {stage}{path}" in message for method, path, _ in operations(document))


def test_a_throttled_client_is_told_when_to_retry():
    response = gateway_response("THROTTLED", 429, message="Too Many Requests", request_id="r1")
    assert response.headers["Retry-After"] == "1"


def test_every_auth_mode_of_the_config_is_rendered():
    assert set(SECURITY_SCHEMES) == set(API_AUTH_MODES)


def test_an_unknown_auth_mode_is_refused():
    with pytest.raises(ValueError, match="unknown API auth mode 'basic'; modes: iam, api-key"):
        render_for_api_gateway("arn:aws:apigateway:us-east-2:lambda:path/f", "basic")


@pytest.mark.parametrize("auth", API_AUTH_MODES)
def test_rendering_adds_the_integration_and_security_and_keeps_the_rest(auth):
    rendered = json.loads(render_for_api_gateway(INVOKE_ARN, auth))
    source = load_openapi()
    for method, path, operation in operations(rendered):
        assert operation["x-amazon-apigateway-integration"]["uri"] == INVOKE_ARN
        assert operation["security"]
        original = source["paths"][path][method.lower()]
        # Responses the same, written out where the source refers to components/responses.
        shared_responses = source["components"]["responses"]
        assert operation["responses"] == {
            status: shared_responses[response["$ref"].rsplit("/", 1)[-1]]
            if "$ref" in response else response
            for status, response in original["responses"].items()}
        kept = {key: value for key, value in operation.items()
                if key not in ("security", "x-amazon-apigateway-integration", "responses",
                               "parameters")}
        assert kept == {key: value for key, value in original.items()
                        if key not in ("responses", "parameters")}
    for extension in ("x-amazon-apigateway-request-validators",
                      "x-amazon-apigateway-gateway-responses"):
        assert rendered[extension] == source[extension]
    # The deployed API's URL is its stage's; the document's example URLs would only mislead.
    assert "servers" not in rendered


@pytest.mark.parametrize("auth", API_AUTH_MODES)
def test_the_rendered_document_uses_only_what_api_gateway_imports(auth):
    """With fail_on_warnings, anything AWS documents as unsupported would fail the deploy."""
    assert import_problems(json.loads(render_for_api_gateway(INVOKE_ARN, auth))) == []


def test_the_import_rules_catch_what_the_source_document_holds_and_rendering_removes():
    """The rules bite: the source (for the local server and the tests) has what API Gateway
    cannot import, which the rendering inlines or leaves out."""
    problems = "\n".join(import_problems(load_openapi()))
    assert "responses/400: $ref #/components/responses/BadRequest" in problems
    assert "components/schemas/Transaction: additionalProperties" in problems
    assert "parameter id: schema/description, schema/pattern" in problems
    assert UNSUPPORTED_SOURCE.startswith("https://docs.aws.amazon.com/apigateway/")


@pytest.mark.parametrize(("schema", "problem"), [
    ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, "exclusiveMinimum"),
    ({"oneOf": [{"type": "string"}]}, "oneOf"),
    ({"type": "object", "properties": {"a": {"type": "string", "example": "x"}}}, "example"),
    ({"type": "number", "format": "int64"}, "number of format int64"),
])
def test_each_unsupported_construct_is_found_in_a_model(schema, problem):
    document = {"paths": {}, "components": {"schemas": {"Model": schema}}}
    assert any(problem in found for found in import_problems(document))


def test_the_local_api_validates_amounts_as_api_gateway_does():
    """minimum 0.01 says what exclusiveMinimum 0 said, under the two-decimal rule."""
    amount = transaction_schema()["properties"]["amount"]
    assert "exclusiveMinimum" not in amount
    validator = Draft4Validator(amount)
    assert not validator.is_valid(0)
    assert validator.is_valid(0.01)


def test_the_rendering_is_stable_so_only_a_real_change_redeploys():
    assert render_for_api_gateway(INVOKE_ARN, "iam") == render_for_api_gateway(INVOKE_ARN, "iam")
    assert render_for_api_gateway(INVOKE_ARN, "iam") != render_for_api_gateway(
        INVOKE_ARN.replace("-dev", "-qa"), "iam")


def test_in_document_references_are_inlined_whole():
    document = load_openapi()
    response = document["paths"]["/transactions"]["post"]["responses"]["400"]
    assert response == {"$ref": "#/components/responses/BadRequest"}
    inlined = inline_local_refs(response, document)
    error_schema = inlined["content"]["application/json"]["schema"]
    assert error_schema["required"] == ["message", "errors", "requestId"]
    assert error_schema["properties"]["errors"]["items"]["required"] == ["field", "message"]
    assert "$ref" not in json.dumps(inlined)
