"""Deployment archives: a function's package plus ``functions/common``, nothing else.

The archive lists files explicitly (no ``__pycache__``, no editor droppings), and its content
hash is computed from the same list, so unchanged code means an unchanged hash: no update.
"""

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi

from shared.lambdas import LambdaSpec

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
COMMON_PACKAGE = "common"
_PACKAGED_SUFFIXES = (".py", ".json")


@dataclass(frozen=True)
class CodePackage:
    archive: pulumi.AssetArchive
    source_hash: str  # base64 SHA-256 of every packaged path and content


def _packaged_files(package: str) -> list[tuple[str, Path]]:
    root = FUNCTIONS_DIR / package
    if not (root / "__init__.py").is_file():
        raise FileNotFoundError(f"no Python package at {root}")
    return sorted(
        (f"{package}/{path.relative_to(root).as_posix()}", path)
        for path in root.rglob("*")
        if path.is_file() and path.suffix in _PACKAGED_SUFFIXES
        and "__pycache__" not in path.parts
    )


def code_package(spec: LambdaSpec) -> CodePackage:
    """The archive Lambda runs ``spec.handler`` from, and its content hash."""
    files = _packaged_files(spec.package) + _packaged_files(COMMON_PACKAGE)
    digest = hashlib.sha256()
    for archive_path, path in files:
        digest.update(archive_path.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return CodePackage(
        archive=pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in files}),
        source_hash=base64.b64encode(digest.digest()).decode(),
    )
