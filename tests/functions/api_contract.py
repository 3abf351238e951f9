"""Check handler responses against the OpenAPI document (what the fuzzer will check too)."""

from functools import cache
from typing import Any

import fastjsonschema

from shared.api_document import inline_local_refs, load_openapi


@cache
def _validator(path: str, method: str, status: int) -> Any:
    document = load_openapi()
    operation = document["paths"][path][method]
    response = inline_local_refs(operation["responses"][str(status)], document)
    schema = response["content"]["application/json"]["schema"]
    return fastjsonschema.compile({"$schema": "http://json-schema.org/draft-04/schema#", **schema})


def assert_conforms(path: str, method: str, status: int, body: Any) -> None:
    """Raise unless ``body`` is what the document promises for ``status`` of the operation."""
    _validator(path, method.lower(), status)(body)
