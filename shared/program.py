"""The first lines of every layer's ``__main__.py``."""

import pulumi

from shared.account import pin_account
from shared.layers import UPSTREAM
from shared.refs import require_agreement
from shared.settings import Settings, load_settings
from shared.tags import tag_every_resource


def start_layer() -> Settings:
    """Validate the config (stopping on a bad value), pin the AWS account (fraud:accountId),
    check that a downstream layer agrees with the data layer, and tag everything the layer
    creates."""
    settings = load_settings()
    layer = pulumi.get_project()
    pin_account(settings)
    if UPSTREAM[layer]:
        require_agreement(settings, layer)
    tag_every_resource(settings.tags)
    return settings
