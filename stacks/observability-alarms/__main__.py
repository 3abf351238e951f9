"""observability-alarms

Alarms, the ops topic and the dashboard.

Not built yet (issue #7); it validates the configuration and exports nothing.
"""

from shared.program import start_layer

settings = start_layer()
