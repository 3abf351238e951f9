"""edge-apigateway

The REST API built from api/openapi.yaml: validation, throttling, access logs, auth.

Not built yet (issue #6); it validates the configuration and exports nothing.
"""

from shared.program import start_layer

settings = start_layer()
