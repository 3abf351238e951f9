"""Check handler responses against the OpenAPI document (what the fuzzer will check too)."""

from functools import cache
from typing import Any

import fastjsonschema

from shared.api_document import load_openapi


def _inline(node: Any, document: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part]
            return _inline(target, document)
        return {key: _inline(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, document) for item in node]
    return node


@cache
def _validator(path: str, method: str, status: int) -> Any:
    document = load_openapi()
    response = _inline(document["paths"][path][method]["responses"][str(status)], document)
    schema = response["content"]["application/json"]["schema"]
    return fastjsonschema.compile({"$schema": "http://json-schema.org/draft-04/schema#", **schema})


def assert_conforms(path: str, method: str, status: int, body: Any) -> None:
    """Raise unless ``body`` is what the document promises for ``status`` of the operation."""
    _validator(path, method.lower(), status)(body)
