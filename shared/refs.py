"""Reading an upstream layer's outputs: ``{org}/{project}/{stack}`` through ``StackReference``."""

import pulumi

from shared.layers import LAYERS
from shared.settings import Settings

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
