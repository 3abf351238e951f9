"""A team's own model artifact for the tests: the shipped one under another version."""

import json
from pathlib import Path

from shared.lambdas import FUNCTIONS_DIR

SHIPPED = FUNCTIONS_DIR / "detect_fraud" / "model.json"
OWN_VERSION = "forest-ours"


def own_artifact(folder: Path) -> Path:
    """A valid artifact in ``folder`` whose ``modelVersion`` tells it from the shipped one."""
    artifact = json.loads(SHIPPED.read_text(encoding="utf-8"))
    path = folder / "ours.json"
    path.write_text(json.dumps({**artifact, "modelVersion": OWN_VERSION}), encoding="utf-8")
    return path
