"""The five layers (Pulumi projects under ``stacks/``), in deploy order.

``make destroy`` walks this list backwards; the Makefile reads it by running this module.
"""

NETWORK = "network-vpc"
DATA = "data-dynamodb-s3-kms"
COMPUTE = "compute-lambdas"
EDGE = "edge-apigateway"
OBSERVABILITY = "observability-alarms"

LAYERS: tuple[str, ...] = (NETWORK, DATA, COMPUTE, EDGE, OBSERVABILITY)

if __name__ == "__main__":
    print(" ".join(LAYERS))
