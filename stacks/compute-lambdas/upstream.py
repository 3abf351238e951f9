"""What the compute layer reads from the network and data layers."""

from dataclasses import dataclass

import pulumi

from shared.layers import DATA, NETWORK
from shared.outputs import DataOutputs, NetworkOutputs
from shared.refs import Upstream
from shared.settings import Settings


@dataclass(frozen=True)
class Network:
    vpc_id: pulumi.Output
    private_subnet_ids: pulumi.Output
    lambda_security_group_id: pulumi.Output


def read_network(settings: Settings) -> Network:
    network = Upstream(NETWORK, settings)
    return Network(
        vpc_id=network.require(NetworkOutputs.VPC_ID),
        private_subnet_ids=network.require(NetworkOutputs.PRIVATE_SUBNET_IDS),
        lambda_security_group_id=network.require(NetworkOutputs.LAMBDA_SECURITY_GROUP_ID),
    )


def read_data_layer(settings: Settings) -> dict[str, pulumi.Output]:
    """Every data layer output, keyed by its :class:`DataOutputs` name."""
    data = Upstream(DATA, settings)
    names = [value for key, value in vars(DataOutputs).items() if key.isupper()]
    return {name: data.require(name) for name in names}
