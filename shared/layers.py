"""The five layers (Pulumi projects under ``stacks/``), in deploy order, and what each reads.

``make destroy`` walks this list backwards; the Makefile reads it by running this module
(``python -m shared.layers`` prints the order, ``python -m shared.layers upstream <layer>`` the
layers whose outputs that layer reads, ``independent`` those that read none).
"""

import sys

NETWORK = "network-vpc"
DATA = "data-dynamodb-s3-kms"
COMPUTE = "compute-lambdas"
EDGE = "edge-apigateway"
OBSERVABILITY = "observability-alarms"

LAYERS: tuple[str, ...] = (NETWORK, DATA, COMPUTE, EDGE, OBSERVABILITY)

# The layers whose outputs each layer reads through StackReference (every downstream layer reads
# the data layer, at least for the settings all layers must agree on: shared.refs).
UPSTREAM: dict[str, tuple[str, ...]] = {
    NETWORK: (),
    DATA: (),
    COMPUTE: (NETWORK, DATA),
    EDGE: (DATA, COMPUTE),
    OBSERVABILITY: (NETWORK, DATA, COMPUTE, EDGE),  # the VPC: its flow logs
}

if __name__ == "__main__":
    if sys.argv[1:2] == ["upstream"]:
        print(" ".join(UPSTREAM[sys.argv[2]]))
    elif sys.argv[1:2] == ["independent"]:  # what a new environment can preview
        print(" ".join(layer for layer in LAYERS if not UPSTREAM[layer]))
    else:
        print(" ".join(LAYERS))
