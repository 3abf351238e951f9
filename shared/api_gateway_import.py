"""What API Gateway's OpenAPI import does not support, as AWS documents it, checked on a document.

The edge stack imports with ``fail_on_warnings``, so a construct the importer skips with a
warning fails the deploy. :data:`UNSUPPORTED` is the REST API list of AWS's "important notes"
page (:data:`SOURCE`), one rule per note; :func:`import_problems` says where a document breaks
one. The tests run it on what :func:`shared.api_document.render_for_api_gateway` renders.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

SOURCE = ("https://docs.aws.amazon.com/apigateway/latest/developerguide/"
          "api-gateway-known-issues.html#api-gateway-known-issues-rest-apis")

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Schema keywords whose values are schemas, or maps or lists of schemas.
_SUBSCHEMA = ("items", "not", "additionalProperties")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
# What API Gateway follows: a reference to a model of the document.
_MODEL_REF = re.compile(r"#/components/schemas/[A-Za-z0-9]+")


@dataclass(frozen=True)
class Rule:
    note: str  # AWS's note, in short
    problems: Callable[[dict[str, Any]], Iterator[str]]  # where a document breaks it


def _walk(schema: Any, where: str) -> Iterator[tuple[dict[str, Any], str]]:
    """``schema`` and every schema inside it, with a JSON-pointer-like location."""
    if not isinstance(schema, dict):
        return
    yield schema, where
    for key in _SUBSCHEMA:
        if isinstance(schema.get(key), dict):
            yield from _walk(schema[key], f"{where}/{key}")
    for key in _SUBSCHEMA_MAPS:
        for name, child in (schema.get(key) or {}).items():
            yield from _walk(child, f"{where}/{key}/{name}")
    for key in _SUBSCHEMA_LISTS:
        for index, child in enumerate(schema.get(key) or []):
            yield from _walk(child, f"{where}/{key}/{index}")


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def _media_schemas(content: Any, where: str) -> Iterator[tuple[Any, str]]:
    for media_type, media in (content or {}).items():
        yield media.get("schema"), f"{where}/content/{media_type}/schema"


def _models(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Every schema the import turns into a model: components, request bodies, responses."""
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        yield from _walk(schema, f"components/schemas/{name}")
    for where, operation in _operations(document):
        for schema, at in _media_schemas((operation.get("requestBody") or {}).get("content"),
                                         f"{where} requestBody"):
            yield from _walk(schema, at)
        for status, response in (operation.get("responses") or {}).items():
            for schema, at in _media_schemas(response.get("content"),
                                             f"{where} responses/{status}"):
                yield from _walk(schema, at)


def _keyword(keyword: str) -> Callable[[dict[str, Any]], Iterator[str]]:
    def problems(document: dict[str, Any]) -> Iterator[str]:
        for schema, where in _models(document):
            if keyword in schema:
                yield f"{where}: {keyword}"
    return problems


def _path_segments(document: dict[str, Any]) -> Iterator[str]:
    segment = re.compile(r"[A-Za-z0-9.,-]+|\{[A-Za-z0-9_]+\}")
    for path in document.get("paths") or {}:
        if not all(segment.fullmatch(part) for part in path.strip("/").split("/")):
            yield f"path {path}"


def _model_names(document: dict[str, Any]) -> Iterator[str]:
    for name in ((document.get("components") or {}).get("schemas") or {}):
        if not re.fullmatch(r"[A-Za-z0-9]+", name):
            yield f"components/schemas/{name}"


def _parameter_attributes(document: dict[str, Any]) -> Iterator[str]:
    kept = {"name", "in", "required", "description", "schema"}
    for where, operation in _operations(document):
        for parameter in operation.get("parameters") or []:
            extra = sorted(set(parameter) - kept) + sorted(
                f"schema/{key}" for key in set(parameter.get("schema") or {}) - {"type"})
            if extra:
                yield f"{where} parameter {parameter.get('name')}: {', '.join(extra)}"


def _security_schemes(document: dict[str, Any]) -> Iterator[str]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        if scheme.get("type") != "apiKey":
            yield f"components/securitySchemes/{name}: type {scheme.get('type')}"


def _deprecated(document: dict[str, Any]) -> Iterator[str]:
    for where, operation in _operations(document):
        if "deprecated" in operation:
            yield f"{where}: deprecated"
    yield from _keyword("deprecated")(document)


def _additional_or_any(document: dict[str, Any]) -> Iterator[str]:
    yield from _keyword("additionalProperties")(document)
    yield from _keyword("anyOf")(document)


def _response_refs(document: dict[str, Any]) -> Iterator[str]:
    for where, operation in _operations(document):
        for status, response in (operation.get("responses") or {}).items():
            if "$ref" in response:
                yield f"{where} responses/{status}: $ref {response['$ref']}"


def _unfollowed_refs(document: Any, where: str = "") -> Iterator[str]:
    if isinstance(document, dict):
        ref = document.get("$ref")
        if isinstance(ref, str) and not _MODEL_REF.fullmatch(ref):
            yield f"{where or '/'}: $ref {ref}"
        for key, value in document.items():
            yield from _unfollowed_refs(value, f"{where}/{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _unfollowed_refs(value, f"{where}/{index}")


def _integer_formats(document: dict[str, Any]) -> Iterator[str]:
    for schema, where in _models(document):
        if schema.get("type") == "number" and schema.get("format") in ("int32", "int64"):
            yield f"{where}: number of format {schema['format']}"


def _decimal_format(document: dict[str, Any]) -> Iterator[str]:
    for schema, where in _models(document):
        if schema.get("format") == "decimal":
            yield f"{where}: format decimal"


def _object_responses(document: dict[str, Any]) -> Iterator[str]:
    schemas = (document.get("components") or {}).get("schemas") or {}
    for where, operation in _operations(document):
        for status, response in (operation.get("responses") or {}).items():
            for schema, at in _media_schemas(response.get("content"),
                                             f"{where} responses/{status}"):
                ref = (schema or {}).get("$ref", "")
                model = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema or {}
                if model.get("type") != "object":
                    yield f"{at}: type {model.get('type')}"


def _operation_security(document: dict[str, Any]) -> Iterator[str]:
    for where, operation in _operations(document):
        if not operation.get("security"):
            yield f"{where}: no security"


def _request_item_counts(document: dict[str, Any]) -> Iterator[str]:
    for where, operation in _operations(document):
        for schema, at in _media_schemas((operation.get("requestBody") or {}).get("content"),
                                         f"{where} requestBody"):
            ref = (schema or {}).get("$ref", "")
            schemas = (document.get("components") or {}).get("schemas") or {}
            model = schemas.get(ref.rsplit("/", 1)[-1]) if ref else schema
            for child, child_at in _walk(model, at):
                for keyword in ("maxItems", "minItems"):
                    if keyword in child:
                        yield f"{child_at}: {keyword}"


# AWS's notes, in the page's order.
UNSUPPORTED: tuple[Rule, ...] = (
    Rule("Path segments hold only alphanumerics, hyphens, periods, commas and curly braces; "
         "a path parameter is a whole segment", _path_segments),
    Rule("Model names can only contain alphanumeric characters", _model_names),
    Rule("Input parameters support only name, in, required, type and description; other "
         "attributes are ignored", _parameter_attributes),
    Rule("The securitySchemes type must be apiKey", _security_schemes),
    Rule("The deprecated field is not supported", _deprecated),
    Rule("The additionalProperties and anyOf fields are not supported in Models",
         _additional_or_any),
    Rule("The discriminator parameter is not supported in any schema object",
         _keyword("discriminator")),
    Rule("The example tag is not supported", _keyword("example")),
    Rule("exclusiveMinimum is not supported", _keyword("exclusiveMinimum")),
    Rule("maxItems and minItems are not included in simple request validation",
         _request_item_counts),
    Rule("oneOf is not supported", _keyword("oneOf")),
    Rule("The readOnly field is not supported", _keyword("readOnly")),
    Rule('Response definitions of the "500": {"$ref": ...} form are not supported: inline them',
         _response_refs),
    Rule("Numbers of the Int32 or Int64 format are not supported", _integer_formats),
    Rule('The decimal number format ("format": "decimal") is not supported', _decimal_format),
    Rule("A method response's schema must be of an object type", _object_responses),
    Rule("Security at the document root is not used: each operation needs its own",
         _operation_security),
)


def import_problems(document: dict[str, Any]) -> list[str]:
    """Every place ``document`` uses what the import does not support, with AWS's note; and
    every reference the importer cannot follow (it resolves only a model of the document)."""
    return ([f"{where} ({rule.note})" for rule in UNSUPPORTED
             for where in rule.problems(document)]
            + [f"{where} (not a reference to a model of this document)"
               for where in _unfollowed_refs(document)])
