"""network-vpc

Private subnets, the Lambda security group and VPC endpoints; no NAT, no internet gateway.

Not built yet (issue #3); it validates the configuration and exports nothing.
"""

from shared.program import start_layer

settings = start_layer()
