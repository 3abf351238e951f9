"""Load the one OpenAPI document, with its references to the transaction schema inlined.

API Gateway's import and most tools do not follow references to other files, so every
consumer (edge stack, local API server, tests, fuzzer) reads the document through here.
The edge stack imports :func:`render_for_api_gateway`; the local API server answers what API
Gateway answers itself with :func:`gateway_response`. No Pulumi here: the local mode imports it.
"""

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = REPO_ROOT / "api" / "openapi.yaml"
TRANSACTION_SCHEMA_PATH = REPO_ROOT / "functions" / "common" / "transaction.schema.json"
LABEL_SCHEMA_PATH = REPO_ROOT / "functions" / "common" / "label.schema.json"


@cache
def _load_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def _pointer(document: Any, fragment: str) -> Any:
    for part in filter(None, fragment.lstrip("/").split("/")):
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


def _inline_file_refs(node: Any, base: Path) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            file_part, _, fragment = ref.partition("#")
            target = (base / file_part).resolve()
            resolved = copy.deepcopy(_pointer(_load_file(target), fragment))
            if isinstance(resolved, dict):
                resolved.pop("$schema", None)  # OpenAPI 3.0 schema objects have no $schema
            return _inline_file_refs(resolved, target.parent)
        return {key: _inline_file_refs(value, base) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_file_refs(item, base) for item in node]
    return node


def inline_local_refs(node: Any, document: dict[str, Any]) -> Any:
    """``node`` with every ``#/...`` reference replaced by what it points to in ``document``
    (a schema validator needs the response or body schema whole)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            return inline_local_refs(_pointer(document, ref[1:]), document)
        return {key: inline_local_refs(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_local_refs(item, document) for item in node]
    return node


def load_openapi() -> dict[str, Any]:
    """The OpenAPI document as a dict, self-contained (a fresh copy on every call)."""
    return _inline_file_refs(_load_file(OPENAPI_PATH), OPENAPI_PATH.parent)


def transaction_schema() -> dict[str, Any]:
    """The transaction JSON schema (draft 4) exactly as the file states it."""
    return copy.deepcopy(_load_file(TRANSACTION_SCHEMA_PATH))


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# How each fraud:apiAuth mode appears in the imported document: (scheme name, security scheme).
# SigV4: the `awsSigv4` auth type is how an OpenAPI import sets a method's AWS_IAM authorization.
SECURITY_SCHEMES: dict[str, tuple[str, dict[str, str]]] = {
    "iam": ("sigv4", {"type": "apiKey", "name": "Authorization", "in": "header",
                      "x-amazon-apigateway-authtype": "awsSigv4"}),
    "api-key": ("api_key", {"type": "apiKey", "name": "x-api-key", "in": "header"}),
}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation of ``document`` as ``(METHOD, path, operation)``."""
    return [(method.upper(), path, operation)
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS]


def render_for_api_gateway(integration_uri: str, auth: str) -> str:
    """The document as API Gateway imports it (JSON, stable key order), given what depends on
    the deployment: every operation proxies to the Lambda ``integration_uri`` (an invoke ARN)
    and requires the credentials of ``auth`` (``iam`` or ``api-key``).

    The URL list is dropped: the deployed API's URL is its stage's, known only once it exists.
    """
    if auth not in SECURITY_SCHEMES:
        raise ValueError(f"unknown API auth mode {auth!r}; modes: {', '.join(SECURITY_SCHEMES)}")
    document = load_openapi()
    document.pop("servers", None)
    _inline_responses(document)
    for schema in document["components"]["schemas"].values():
        _drop_unsupported_keywords(schema)
    for _method, _path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            # API Gateway checks only that a parameter is there (its pattern is ignored, and
            # the function checks it), so the imported document states no more than that.
            parameter["schema"] = {"type": parameter["schema"]["type"]}
    scheme_name, scheme = SECURITY_SCHEMES[auth]
    document.setdefault("components", {}).setdefault("securitySchemes", {})[scheme_name] = scheme
    if auth == "api-key":
        document["x-amazon-apigateway-api-key-source"] = "HEADER"
    for _method, _path, operation in operations(document):
        operation["security"] = [{scheme_name: []}]
        # Lambda proxy integrations are always invoked with POST, whatever the client's method.
        operation["x-amazon-apigateway-integration"] = {
            "type": "aws_proxy", "httpMethod": "POST", "uri": integration_uri,
            "passthroughBehavior": "when_no_match",
        }
    return json.dumps(document, indent=2, sort_keys=True)


def _inline_responses(document: dict[str, Any]) -> None:
    """Responses by reference (``#/components/responses/...``) inlined: the import does not
    follow them (shared.api_gateway_import). Their schemas stay references to models."""
    for _method, _path, operation in operations(document):
        operation["responses"] = {
            status: _pointer(document, response["$ref"][1:]) if "$ref" in response else response
            for status, response in operation["responses"].items()}
    document["components"].pop("responses", None)


def _drop_unsupported_keywords(schema: Any) -> None:
    """``additionalProperties`` out of a model: AWS documents it as unsupported in models, and
    with ``fail_on_warnings`` an import warning would fail the deploy. process-transaction
    validates with the full schema, so an unknown field still gets its 400, from the function."""
    if isinstance(schema, dict):
        schema.pop("additionalProperties", None)
        for value in schema.values():
            _drop_unsupported_keywords(value)
    elif isinstance(schema, list):
        for value in schema:
            _drop_unsupported_keywords(value)


GATEWAY_RESPONSES = "x-amazon-apigateway-gateway-responses"
_CONTEXT_VARIABLE = re.compile(r"\$context\.[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9_]")


@dataclass(frozen=True)
class GatewayResponse:
    """A response API Gateway gives itself, without calling the function."""

    status: int
    headers: dict[str, str]
    body: str


# The request validator's message: it quotes the values it refused (a card number in a field
# that breaks its pattern, say), and a gateway response cannot filter it, so none may use it.
VALIDATION_ERROR_STRING = "$context.error.validationErrorString"


def gateway_response(response_type: str, status: int, *, message: str,
                     request_id: str) -> GatewayResponse:
    """What API Gateway answers for ``response_type`` (``BAD_REQUEST_BODY``, ``THROTTLED``, ...)
    as the document's gateway responses define it, substituting the ``$context`` variables.

    ``status`` and ``message`` are API Gateway's defaults for the type (e.g. 429, "Too Many
    Requests"). A type the document does not list falls back to ``DEFAULT_4XX`` or
    ``DEFAULT_5XX``, as API Gateway does. A template using the validator's message
    (:data:`VALIDATION_ERROR_STRING`) is refused with ``ValueError``.
    """
    responses = _load_file(OPENAPI_PATH)[GATEWAY_RESPONSES]
    fallback = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
    definition = responses.get(response_type) or responses[fallback]
    values = {
        "$context.error.messageString": json.dumps(message),  # quoted, as API Gateway gives it
        "$context.requestId": json.dumps(request_id)[1:-1],
    }

    def substitute(match: re.Match[str]) -> str:
        if match.group() == VALIDATION_ERROR_STRING:
            raise ValueError(f"gateway response {response_type}: {VALIDATION_ERROR_STRING} "
                             "quotes the values the validator refused (a card number, say); "
                             "no response may repeat them")
        if match.group() not in values:
            raise ValueError(f"gateway response {response_type}: {match.group()} is not a "
                             f"variable this renderer knows ({', '.join(values)})")
        return values[match.group()]

    headers = {"Content-Type": "application/json"}
    for parameter, value in (definition.get("responseParameters") or {}).items():
        if not (parameter.startswith("gatewayresponse.header.") and value.startswith("'")
                and value.endswith("'")):
            raise ValueError(f"gateway response {response_type}: only static headers are "
                             f"rendered, not {parameter}: {value}")
        headers[parameter.removeprefix("gatewayresponse.header.")] = value[1:-1]
    template = definition["responseTemplates"]["application/json"]
    return GatewayResponse(status=int(definition.get("statusCode") or status), headers=headers,
                           body=_CONTEXT_VARIABLE.sub(substitute, template))
