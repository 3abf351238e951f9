"""Deployment archives: a function's package plus ``functions/common``, nothing else.

The archive lists files explicitly (``shared.lambdas.archive_files``: no ``__pycache__``, no
editor droppings), and its content hash is computed from the same list, so unchanged code
means an unchanged hash: no update.
"""

import base64
import hashlib
from dataclasses import dataclass

import pulumi

from shared.lambdas import FUNCTIONS_DIR, LambdaSpec, archive_files
from shared.settings import Settings


@dataclass(frozen=True)
class CodePackage:
    archive: pulumi.AssetArchive
    source_hash: str  # base64 SHA-256 of every packaged path and content


def code_package(spec: LambdaSpec, settings: Settings | None = None) -> CodePackage:
    """The archive Lambda runs ``spec.handler`` from (with the own model artifact
    ``settings`` name, if any), and its content hash."""
    files = archive_files(spec, FUNCTIONS_DIR, settings)
    digest = hashlib.sha256()
    for archive_path, path in files:
        digest.update(archive_path.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return CodePackage(
        archive=pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in files}),
        source_hash=base64.b64encode(digest.digest()).decode(),
    )
