"""Reading an upstream layer's outputs: ``{org}/{project}/{stack}`` through ``StackReference``."""

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from shared.layers import DATA, LAYERS
from shared.outputs import AGREED_SETTINGS
from shared.settings import NAMESPACE, REGION_KEY, Settings

# What self-managed (file, S3) backends call the organization in fully-qualified stack names.
SELF_MANAGED_ORG = "organization"


def qualified_stack_name(layer: str, settings: Settings) -> str:
    """``{org}/{layer}/{stack}``: org from ``fraud:org``, else the current org, else the default."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; layers: {', '.join(LAYERS)}")
    org = settings.org or pulumi.get_organization() or SELF_MANAGED_ORG
    return f"{org}/{layer}/{settings.stack}"


class Upstream:
    """The outputs of one upstream layer; a missing output fails the program, naming it."""

    def __init__(self, layer: str, settings: Settings) -> None:
        self.layer = layer
        self.reference = pulumi.StackReference(qualified_stack_name(layer, settings))

    def require(self, output_name: str) -> pulumi.Output:
        """The output ``output_name`` of the upstream stack (an error if it does not exist)."""
        return self.reference.require_output(output_name)


# What the layers of one stack must agree on: the names and ARNs each layer builds of the
# others' resources (the key policy's log groups, the alarms' pattern) follow from these.
AGREED_KEYS = {f"{NAMESPACE}:environmentSuffix": "environment_suffix", REGION_KEY: "region"}


def agreed_settings(settings: Settings) -> dict[str, str]:
    """What the data layer exports for the layers after it to compare with their own."""
    return {key: getattr(settings, field) for key, field in AGREED_KEYS.items()}


def disagreements(settings: Settings, layer: str, upstream: dict[str, Any] | None) -> list[str]:
    """How ``layer``'s settings differ from what the data layer exported (``upstream``)."""
    fix = f"set the same value in every layer: make config-set STACK={settings.stack} KEY="
    if upstream is None:
        return [f"{DATA} (stack {settings.stack}) exports no {AGREED_SETTINGS}: "
                f"deploy it first (make deploy-{DATA} STACK={settings.stack})"]
    return [f"{key} is {ours!r} in {layer} but {upstream.get(key)!r} in {DATA}; "
            f"{fix}{key} VALUE={upstream.get(key)}"
            for key, ours in agreed_settings(settings).items() if upstream.get(key) != ours]


def require_agreement(settings: Settings, layer: str) -> None:
    """Stop ``layer`` at start, before any resource, when its settings and the data layer's
    disagree (a suffix or region set in one folder only).

    The data layer's export is read synchronously (as Pulumi's own synchronous invokes are):
    as an Output it could only fail the program once resources were already on their way.
    """
    reference = pulumi.StackReference(f"{DATA}-agreed-settings",
                                      stack_name=qualified_stack_name(DATA, settings))
    try:
        details = _sync_await(reference.get_output_details(AGREED_SETTINGS))
    except Exception as error:  # the engine's own words: no such stack, no access
        raise pulumi.RunError(f"{layer} reads {DATA} (stack {settings.stack}) and cannot: "
                              f"{error}. Deploy {DATA} first") from None
    problems = disagreements(settings, layer, details.value)
    if problems:
        raise pulumi.RunError(f"the layers of stack {settings.stack} disagree:\n  "
                              + "\n  ".join(problems))
