"""network-vpc

Private subnets, the Lambda security group and VPC endpoints; no NAT, no internet gateway.
The functions reach DynamoDB and S3 through gateway endpoints and SQS and SNS through
interface endpoints (see service_access.py).
"""

import pulumi
import pulumi_aws as aws
from network import PrivateNetwork, PrivateNetworkArgs, ZoneError, pick_zones
from service_access import ServiceAccess, ServiceAccessArgs

from shared.outputs import NetworkOutputs
from shared.program import start_layer

settings = start_layer()
partition = aws.get_partition()
account_id = aws.get_caller_identity().account_id

# Zones that need no opt-in: Local and Wavelength Zones lack the endpoints this design needs.
available_zones = aws.get_availability_zones(
    state="available",
    filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status",
                                                values=["opt-in-not-required"])],
)
try:
    zones = pick_zones(available_zones.names, settings.az_count, settings.region)
except ZoneError as error:
    raise pulumi.RunError(str(error)) from None

network = PrivateNetwork("network", PrivateNetworkArgs(
    cidr=settings.vpc_cidr,
    zones=zones,
    suffix=settings.environment_suffix,
))

access = ServiceAccess("access", ServiceAccessArgs(
    vpc_id=network.vpc.id,
    vpc_cidr=settings.vpc_cidr,
    subnet_ids=[subnet.id for subnet in network.subnets],
    route_table_ids=[table.id for table in network.route_tables],
    region=settings.region,
    service_prefix=partition.reverse_dns_prefix,
    account_id=account_id,
    suffix=settings.environment_suffix,
))

pulumi.export(NetworkOutputs.VPC_ID, network.vpc.id)
pulumi.export(NetworkOutputs.PRIVATE_SUBNET_IDS, [subnet.id for subnet in network.subnets])
pulumi.export(NetworkOutputs.LAMBDA_SECURITY_GROUP_ID, access.lambda_security_group.id)
