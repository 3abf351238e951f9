"""Load the one OpenAPI document, with its references to the transaction schema inlined.

API Gateway's import and most tools do not follow references to other files, so every
consumer (edge stack, local API server, tests, fuzzer) reads the document through here.
"""

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = REPO_ROOT / "api" / "openapi.yaml"
TRANSACTION_SCHEMA_PATH = REPO_ROOT / "functions" / "common" / "transaction.schema.json"


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


def load_openapi() -> dict[str, Any]:
    """The OpenAPI document as a dict, self-contained (a fresh copy on every call)."""
    return _inline_file_refs(_load_file(OPENAPI_PATH), OPENAPI_PATH.parent)


def transaction_schema() -> dict[str, Any]:
    """The transaction JSON schema (draft 4) exactly as the file states it."""
    return copy.deepcopy(_load_file(TRANSACTION_SCHEMA_PATH))
