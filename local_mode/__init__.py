"""The local mode: the whole pipeline on one machine, with no AWS account (docs/local-mode.md).

An AWS emulator (moto, :mod:`local_mode.emulator`), the data layer made by the shared
provisioning helper, the REST API served from ``api/openapi.yaml``
(:mod:`local_mode.api_gateway`), and workers that feed the real handlers as Lambda's event
source mappings do (:mod:`local_mode.stream_poller`, :mod:`local_mode.queue_poller`).
``python -m local_mode serve | demo | report`` (``make local``, ``make demo``, ``make report``).
"""
