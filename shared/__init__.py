"""What the five Pulumi projects share: layer order, names, settings, tags and stack references.

Modules that the Makefile, the local mode or the Lambda side may import (``layers``, ``naming``,
``data_model``) stay free of Pulumi imports so they load fast and without the SDK.
"""
