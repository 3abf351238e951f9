"""The first lines of every layer's ``__main__.py``."""

from shared.settings import Settings, load_settings
from shared.tags import tag_every_resource


def start_layer() -> Settings:
    """Validate the config (stopping on a bad value) and tag everything the layer creates."""
    settings = load_settings()
    tag_every_resource(settings.tags)
    return settings
