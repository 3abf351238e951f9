"""The VPC and its private subnets: one subnet and one route table per availability zone.

Nothing here routes to the internet (no internet gateway, no NAT): each route table holds only
the VPC's local route, plus the gateway endpoints that :mod:`service_access` adds.
"""

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.naming import resource_name

# Subnets are a quarter of the VPC each: room for the three zones fraud:azCount allows, plus
# one spare quarter. A /16 gives /18 subnets, the smallest VPC (/24) gives /26 (59 usable
# addresses; Lambda's shared ENIs and the endpoints use a handful of them).
SUBNET_PREFIX_EXTENSION = 2


class ZoneError(ValueError):
    """The region has fewer usable availability zones than the configuration asks for."""


def private_subnet_cidrs(vpc_cidr: str, count: int) -> list[str]:
    """The first ``count`` quarters of ``vpc_cidr``, one per subnet, in order."""
    quarters = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=SUBNET_PREFIX_EXTENSION))
    if not 1 <= count <= len(quarters):
        raise ValueError(f"can carve 1 to {len(quarters)} subnets from {vpc_cidr}, not {count}")
    return [str(block) for block in quarters[:count]]


def pick_zones(available: list[str], count: int, region: str) -> list[str]:
    """The first ``count`` zones in name order; an explicit error when the region has fewer."""
    zones = sorted(available)
    if len(zones) < count:
        raise ZoneError(
            f"fraud:azCount is {count} but {region} has {len(zones)} available zone(s) that need "
            f"no opt-in ({', '.join(zones) or 'none'}); lower fraud:azCount"
        )
    return zones[:count]


@dataclass(frozen=True)
class PrivateNetworkArgs:
    cidr: str
    zones: list[str]
    suffix: str


class PrivateNetwork(pulumi.ComponentResource):
    """A VPC with DNS (private DNS of interface endpoints needs both settings) and one private
    subnet per zone, each with its own route table so a zone's routes can change alone."""

    def __init__(self, name: str, args: PrivateNetworkArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:network:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": resource_name("vpc", "fraud", args.suffix)},
            opts=child,
        )
        # Adopt the VPC's default security group and strip its rules, so nothing that lands in
        # it by accident (a resource created without a group) can talk to anything.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags={"Name": resource_name("sg", "default-closed", args.suffix)},
            opts=child,
        )

        self.subnets: list[aws.ec2.Subnet] = []
        self.route_tables: list[aws.ec2.RouteTable] = []
        for zone, cidr in zip(args.zones, private_subnet_cidrs(args.cidr, len(args.zones)),
                              strict=True):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": resource_name("subnet", f"private-{zone}", args.suffix)},
                opts=child,
            )
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                tags={"Name": resource_name("rt", f"private-{zone}", args.suffix)},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=child,
            )
            self.subnets.append(subnet)
            self.route_tables.append(route_table)

        self.register_outputs({
            "vpcId": self.vpc.id,
            "subnetIds": [subnet.id for subnet in self.subnets],
            "routeTableIds": [table.id for table in self.route_tables],
        })
