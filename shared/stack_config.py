"""A stack's configuration as its files hold it, without the Pulumi CLI: the project's defaults
(``Pulumi.yaml``) under the stack's own values (``Pulumi.<stack>.yaml``).

The deploy preflight validates a stack's settings with it before any layer changes (a stack
that does not exist yet has no backend entry, only its file, if that); the test harness applies
the same defaults a ``pulumi up`` would.
"""

from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
STACKS_DIR = REPO_ROOT / "stacks"


def _values(config: dict[str, Any] | None) -> dict[str, Any]:
    # Pulumi.yaml may declare a key as {type, default} or {value}; stack files hold values.
    values = {}
    for key, value in (config or {}).items():
        if isinstance(value, dict) and ({"default", "value"} & set(value)):
            value = value.get("value", value.get("default"))
        values[key] = value
    return values


def project_config(project_dir: Path) -> dict[str, Any]:
    """The defaults a project's ``Pulumi.yaml`` gives every stack."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    return _values(project.get("config"))


def stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """Fully-qualified keys (``fraud:azCount``) to values, as ``pulumi up`` would see them.

    Secrets stay encrypted (``{"secure": ...}``): no setting the preflight checks is secret.
    """
    config = project_config(project_dir)
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        config.update(_values((yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {})
                              .get("config")))
    return config


def environment_of(stack: str, layers: list[str], stacks_dir: Path = STACKS_DIR) -> str:
    """``production`` when any of ``layers`` gives ``stack`` that environment
    (``fraud:environment``, whose default it is), else the first layer's; read without
    validating the rest of the config, so that a broken stack can still be destroyed."""
    from shared.settings import DEFAULT_ENVIRONMENT, NAMESPACE

    environments = [str(stack_config(stacks_dir / layer, stack).get(
        f"{NAMESPACE}:environment") or DEFAULT_ENVIRONMENT) for layer in layers]
    return DEFAULT_ENVIRONMENT if DEFAULT_ENVIRONMENT in environments else environments[0]


if __name__ == "__main__":  # python -m shared.stack_config environment <stack> <layer>...
    import sys

    if sys.argv[1:2] != ["environment"] or len(sys.argv) < 4:
        sys.exit("usage: python -m shared.stack_config environment <stack> <layer>...")
    print(environment_of(sys.argv[2], sys.argv[3:]))
