"""The REST API served from the OpenAPI document, as API Gateway serves it.

Everything comes from ``api/openapi.yaml``: the stage (the path of the document's local
server), and, from the document exactly as the edge stack imports it into API Gateway
(:func:`imported_document`: ``shared.api_document.render_for_api_gateway``, which leaves out
what the import does not support), the routes and their path parameters, each operation's
request validator and body model; and the JSON API Gateway answers by itself
(``shared.api_document.gateway_response``). So the local API is exactly as strict as the
deployed one. In API Gateway's order, a request is

1. throttled by the stage's token bucket (``fraud:apiThrottleRateLimit`` / ``BurstLimit``):
   429 ``THROTTLED`` with ``Retry-After``;
2. routed: no route for the method and path gives 403 ``MISSING_AUTHENTICATION_TOKEN``;
3. validated as the operation's validator says: required parameters (400
   ``BAD_REQUEST_PARAMETERS``), then the JSON body against the model, JSON Schema draft 4
   with ECMA 262 patterns (400 ``BAD_REQUEST_BODY``, naming no field and no value);
4. proxied to the function as a REST proxy event (payload 1.0, with a request id), waiting at
   most the integration timeout (29 s): later, 504 ``INTEGRATION_TIMEOUT``, while the function
   runs on (and may store the transaction). A function that fails gives 502 and a throttled
   one (every instance busy) 500, both ``Internal server error``, as API Gateway gives them.

With ``serve --sigv4`` (``fraud:apiAuth=iam``), a routed request is authorized first, as
API Gateway's AWS_IAM authorization does it: its SigV4 signature must be the local
credentials' (:mod:`local_mode.sigv4`), else 403. Without it, the local API authorizes nothing.
The HTTP server in front of it is :mod:`local_mode.http_server`.
"""

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as IntegrationTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jsonschema import Draft4Validator, ValidationError, validators

from local_mode.functions import Throttled
from local_mode.sigv4 import Refusal, SigV4Verifier
from shared.api_document import (
    GatewayResponse,
    gateway_response,
    inline_local_refs,
    load_openapi,
    operations,
    render_for_api_gateway,
)

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
INTEGRATION_TIMEOUT_SECONDS = 29  # API Gateway's default (and, but for Regional APIs, maximum)
MAX_INTEGRATIONS = 256  # function calls waited for at once (the HTTP server admits no more)
VALIDATORS = "x-amazon-apigateway-request-validators"
VALIDATOR = "x-amazon-apigateway-request-validator"
JSON = "application/json"


def local_server_url(document: Mapping[str, Any]) -> str:
    """The document's local-mode server URL (``http://127.0.0.1:3000/v1``)."""
    for server in document.get("servers", []):
        if urlsplit(server["url"]).hostname in ("127.0.0.1", "localhost"):
            return server["url"]
    raise ValueError("the OpenAPI document lists no local server (http://127.0.0.1:<port>/<stage>)")


# The stage, from the document's local server (the imported document lists no server).
LOCAL_STAGE = urlsplit(local_server_url(load_openapi())).path.strip("/")


def lambda_invoke_arn(function_arn: str) -> str:
    """What API Gateway invokes a Lambda function by (its integration URI)."""
    region = function_arn.split(":")[3]
    return (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}"
            "/invocations")


def imported_document(function_arn: str, auth: str) -> dict[str, Any]:
    """The document as the edge stack imports it for the function ``function_arn`` and
    ``fraud:apiAuth`` ``auth``, its numbers read as decimals: a body's amounts are parsed
    exact, and Decimal("0.01") < 0.01 (the binary float is a hair above a cent), so a float
    bound would refuse the smallest amount, where JSON Schema's minimum admits the boundary."""
    return json.loads(render_for_api_gateway(lambda_invoke_arn(function_arn), auth),
                      parse_float=Decimal)


class TokenBucket:
    """The stage's throttle: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: int, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


# ---- request validation: JSON Schema draft 4, patterns as ECMA 262 reads them ----

def ecma_pattern(pattern: str) -> str:
    """``pattern`` for Python's ``re`` with ECMA 262's ``$``: the end of the input only.

    Python's ``$`` also matches before a final newline, so ``"USD\\n"`` would pass ``^[A-Z]{3}$``.
    """
    converted, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        converted.append(char)
    return "".join(converted)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not re.search(ecma_pattern(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


BodyValidator = validators.extend(Draft4Validator, {"pattern": _pattern})


def body_matches(schema: Mapping[str, Any], body: str) -> bool:
    """Whether ``body`` is JSON that matches ``schema`` (an empty body counts as ``{}``).

    Only a yes or no: API Gateway's answer names no problem (its validator's message quotes
    the refused values, a card number included; api/openapi.yaml's gateway responses)."""
    try:
        document = json.loads(body or "{}", parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return False
    return BodyValidator(schema).is_valid(document)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")



# ---- routes ----

@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # the document's path, e.g. /transactions/{id}
    pattern: re.Pattern[str]
    validate_body: bool
    validate_parameters: bool
    body_schema: Mapping[str, Any] | None
    required_parameters: tuple[tuple[str, str], ...]  # (in, name)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path) if method == self.method else None
        return found.groupdict() if found else None


def routes(document: Mapping[str, Any]) -> list[Route]:
    """Every operation of ``document`` as a route, with what its validator checks."""
    validator_settings = document.get(VALIDATORS, {})
    table = []
    for method, path, operation in operations(dict(document)):
        regex = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        checks = validator_settings.get(operation.get(VALIDATOR), {})
        content = (operation.get("requestBody") or {}).get("content", {})
        table.append(Route(
            method=method, resource=path, pattern=re.compile(regex),
            validate_body=bool(checks.get("validateRequestBody")),
            validate_parameters=bool(checks.get("validateRequestParameters")),
            body_schema=inline_local_refs((content.get(JSON) or {}).get("schema"), document),
            required_parameters=tuple((p["in"], p["name"]) for p in operation.get("parameters", [])
                                      if p.get("required"))))
    return table


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class ApiCounters:
    """What the status line shows of the API."""

    accepted: int = 0  # 201: a new transaction stored
    labelled: int = 0  # 200 to a PUT: a label stored (or the same label again)
    rejected: int = 0  # 4xx
    failed: int = 0  # 5xx
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int, method: str = "") -> None:
        with self._lock:
            if status == HTTPStatus.CREATED:
                self.accepted += 1
            elif status == HTTPStatus.OK and method == "PUT":
                self.labelled += 1
            elif 400 <= status < 500:
                self.rejected += 1
            elif status >= 500:
                self.failed += 1


class RestApi:
    """Routes, throttles and validates a request, then proxies it to ``invoke``.

    ``document`` is what API Gateway imported (:func:`imported_document`); ``invoke`` runs
    the function on a proxy event and returns its result; it raises
    :class:`~local_mode.functions.Throttled` when the function has no instance free.
    """

    def __init__(self, document: Mapping[str, Any], invoke: Callable[[dict[str, Any]], Any],
                 bucket: TokenBucket, *, account_id: str, api_id: str = "local",
                 integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
                 verifier: SigV4Verifier | None = None) -> None:
        self.stage = LOCAL_STAGE
        self.routes = routes(document)
        self.invoke, self.bucket = invoke, bucket
        self.account_id, self.api_id = account_id, api_id
        self.integration_timeout = integration_timeout
        self.verifier = verifier  # None: no authorization
        self.counters = ApiCounters()
        # The calls run here so that the gateway can stop waiting for one and answer 504.
        self._integrations = ThreadPoolExecutor(MAX_INTEGRATIONS, thread_name_prefix="integration")

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
               source_ip: str) -> ApiResponse:
        request_id = str(uuid.uuid4())
        return self._counted(self._respond(method, target, headers, body, source_ip, request_id),
                             request_id, method)

    def refuse(self, response_type: str, status: int, message: str) -> ApiResponse:
        """API Gateway's answer to a request it refuses before routing it (framing, size,
        overload), counted like any other."""
        request_id = str(uuid.uuid4())
        return self._counted(_gateway(response_type, status, message, request_id), request_id)

    def close(self) -> None:
        """Stop the integrations' threads once the calls in flight have returned."""
        self._integrations.shutdown(wait=True)

    def _counted(self, response: ApiResponse, request_id: str, method: str = "") -> ApiResponse:
        response.headers.setdefault("x-amzn-RequestId", request_id)
        self.counters.count(response.status, method)
        return response

    def _respond(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                 source_ip: str, request_id: str) -> ApiResponse:
        if not self.bucket.take():
            return _gateway("THROTTLED", 429, "Too Many Requests", request_id)
        url = urlsplit(target)
        path = unquote(url.path, errors="replace")
        prefix = f"/{self.stage}"
        resource_path = path[len(prefix):] if path.startswith(prefix + "/") else None
        for route in self.routes:
            parameters = route.match(method, resource_path) if resource_path else None
            if parameters is not None:
                break
        else:
            return _gateway("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token",
                            request_id)
        identity: dict[str, str] = {}
        if self.verifier is not None:
            caller = self.verifier.check(method, target, headers, body)
            if isinstance(caller, Refusal):
                return _gateway(caller.response_type, 403, caller.message, request_id)
            identity = {"accessKey": caller.access_key,
                        "userArn": f"arn:aws:iam::{self.account_id}:user/local-mode"}
        query = parse_qs(url.query, keep_blank_values=True)
        text = body.decode("utf-8", errors="replace")
        if route.validate_parameters:
            missing = _missing_parameters(route, parameters, query, headers)
            if missing:
                return _gateway("BAD_REQUEST_PARAMETERS", 400,
                                f"Missing required request parameters: [{', '.join(missing)}]",
                                request_id)
        if (route.validate_body and route.body_schema is not None and _is_json(headers)
                and not body_matches(route.body_schema, text)):
            return _gateway("BAD_REQUEST_BODY", 400, "Invalid request body", request_id)
        event = self._proxy_event(route, method, path, resource_path, parameters, query, headers,
                                  text, source_ip, request_id)
        event["requestContext"]["identity"].update(identity)
        call = self._integrations.submit(self.invoke, event)
        try:
            return _proxy_response(call.result(timeout=self.integration_timeout))
        except IntegrationTimeout:  # the function runs on; its answer goes nowhere
            return _gateway("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", request_id)
        except Throttled:  # Lambda refused the invocation
            return _gateway("DEFAULT_5XX", 500, "Internal server error", request_id)
        except Exception:  # the function failed or answered something API Gateway cannot use
            return _gateway("DEFAULT_5XX", 502, "Internal server error", request_id)

    def _proxy_event(self, route: Route, method: str, path: str, resource_path: str,
                     parameters: dict[str, str], query: dict[str, list[str]],
                     headers: list[tuple[str, str]], body: str, source_ip: str,
                     request_id: str) -> dict[str, Any]:
        """The Lambda proxy integration's event (payload format 1.0)."""
        multi_headers: dict[str, list[str]] = {}
        for name, value in headers:
            multi_headers.setdefault(name, []).append(value)
        now = datetime.now(UTC)
        return {
            "resource": route.resource,
            "path": resource_path,
            "httpMethod": method,
            "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": route.resource, "resourcePath": route.resource,
                "httpMethod": method, "path": path, "stage": self.stage,
                "requestId": request_id, "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "accountId": self.account_id, "apiId": self.api_id, "protocol": "HTTP/1.1",
                "domainName": multi_headers.get("Host", [""])[-1],
                "identity": {"sourceIp": source_ip,
                             "userAgent": multi_headers.get("User-Agent", [None])[-1]},
            },
            "body": body or None,
            "isBase64Encoded": False,
        }


def _missing_parameters(route: Route, path: dict[str, str], query: dict[str, list[str]],
                        headers: list[tuple[str, str]]) -> list[str]:
    given = {"path": set(path), "query": set(query),
             "header": {name.lower() for name, _ in headers}}
    return [name for where, name in route.required_parameters
            if (name.lower() if where == "header" else name) not in given.get(where, set())]


def _is_json(headers: list[tuple[str, str]]) -> bool:
    """Whether the body model applies: JSON, or no content type (API Gateway assumes JSON)."""
    types = [value for name, value in headers if name.lower() == "content-type"]
    return not types or types[-1].split(";")[0].strip().lower() == JSON


def _gateway(kind: str, status: int, message: str, request_id: str) -> ApiResponse:
    rendered: GatewayResponse = gateway_response(kind, status, message=message,
                                                 request_id=request_id)
    return ApiResponse(rendered.status, dict(rendered.headers), rendered.body.encode())


def _proxy_response(result: Any) -> ApiResponse:
    """The HTTP response of a proxy integration's result; ``ValueError`` if it is malformed."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("the function's result is not a proxy response")
    headers = {name: str(value) for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(value) for value in values)
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        return ApiResponse(result["statusCode"], headers, base64.b64decode(body))
    return ApiResponse(result["statusCode"], headers, str(body).encode("utf-8"))
