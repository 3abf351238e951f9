"""compute-lambdas

The four Lambda functions, their roles, log groups, event source mappings and schedule.

Not built yet (issue #5); it validates the configuration and exports nothing.
"""

from shared.program import start_layer

settings = start_layer()
