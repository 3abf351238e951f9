"""network-vpc under the chain harness, in both configurations: private subnets, no way out to
the internet, AWS reached through endpoints, and a Lambda security group that only speaks HTTPS
to them."""

import importlib.util
import ipaddress
import json

import pytest

from shared.layers import LAYERS, NETWORK
from shared.outputs import NetworkOutputs
from tests.harness.aws_state import ACCOUNT_ID, REGION
from tests.harness.pulumi_mocks import STACKS_DIR, ProgramRun, Resource

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
# Anything that could give a subnet a way to or from the internet.
INTERNET_PATHS = (
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
    "aws:ec2/vpnGateway:VpnGateway",
    "aws:ec2/transitGatewayVpcAttachment:TransitGatewayVpcAttachment",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
)
OWNED_TYPES = (VPC, SUBNET, ROUTE_TABLE, ROUTE_TABLE_ASSOCIATION, ENDPOINT, SECURITY_GROUP,
               DEFAULT_SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE)
HTTPS = 443


@pytest.fixture
def network(chain) -> ProgramRun:
    return chain[NETWORK]


def _name_tag(resource: Resource) -> str:
    return resource.inputs["tags"]["Name"]


def _vpc(network: ProgramRun) -> Resource:
    return network.one(VPC)


def _security_group(network: ProgramRun, purpose: str, suffix: str) -> Resource:
    found = [group for group in network.of_type(SECURITY_GROUP)
             if _name_tag(group) == f"sg-{purpose}-{suffix}"]
    assert len(found) == 1, [_name_tag(group) for group in network.of_type(SECURITY_GROUP)]
    return found[0]


def _endpoint(network: ProgramRun, service: str) -> Resource:
    found = [endpoint for endpoint in network.of_type(ENDPOINT)
             if endpoint.inputs["serviceName"] == f"com.amazonaws.{REGION}.{service}"]
    assert len(found) == 1, service
    return found[0]


def _rules(network: ProgramRun, rule_type: str, group: Resource) -> list[Resource]:
    return [rule for rule in network.of_type(rule_type)
            if rule.inputs["securityGroupId"] == group.id]


def _load_stack_module(name: str):
    spec = importlib.util.spec_from_file_location(
        f"network_vpc_{name}", STACKS_DIR / NETWORK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the VPC, its subnets and route tables ----

def test_vpc_has_the_configured_cidr_and_dns(network, settings):
    vpc = _vpc(network)
    assert vpc.inputs["cidrBlock"] == settings.vpc_cidr
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    assert _name_tag(vpc) == f"vpc-fraud-{settings.environment_suffix}"


def test_one_private_subnet_in_each_of_az_count_zones(network, settings):
    subnets = network.of_type(SUBNET)
    zones = [subnet.inputs["availabilityZone"] for subnet in subnets]
    # The mocks' region has zones a, b and c; the first azCount of them, one subnet each.
    assert sorted(zones) == [f"{REGION}{letter}" for letter in "abc"][: settings.az_count]
    for subnet in subnets:
        assert subnet.inputs["vpcId"] == _vpc(network).id
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert _name_tag(subnet) == (
            f"subnet-private-{subnet.inputs['availabilityZone']}-{settings.environment_suffix}")


def test_subnet_cidrs_are_disjoint_and_inside_the_vpc(network, settings):
    vpc_block = ipaddress.IPv4Network(settings.vpc_cidr)
    blocks = [ipaddress.IPv4Network(subnet.inputs["cidrBlock"])
              for subnet in network.of_type(SUBNET)]
    assert len(blocks) == settings.az_count
    assert all(block.subnet_of(vpc_block) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1:])


def test_each_subnet_has_its_own_route_table_with_no_routes(network, settings):
    tables = {table.id: table for table in network.of_type(ROUTE_TABLE)}
    subnet_ids = {subnet.id for subnet in network.of_type(SUBNET)}
    associations = network.of_type(ROUTE_TABLE_ASSOCIATION)
    assert len(tables) == settings.az_count
    assert {a.inputs["subnetId"] for a in associations} == subnet_ids
    assert sorted(a.inputs["routeTableId"] for a in associations) == sorted(tables)
    for table in tables.values():
        assert table.inputs["vpcId"] == _vpc(network).id
        assert not table.inputs.get("routes"), "only the VPC's local route"
        assert _name_tag(table).startswith("rt-private-")


def test_no_layer_opens_a_path_to_the_internet(chain):
    for layer in LAYERS:
        run = chain[layer]
        for resource_type in INTERNET_PATHS:
            assert not run.of_type(resource_type), (layer, resource_type)
        assert not run.of_type("aws:ec2/route:Route"), (layer, "a route beyond the VPC")
        for table in run.of_type(ROUTE_TABLE):
            assert not table.inputs.get("routes"), (layer, table.name)
        for subnet in run.of_type(SUBNET):
            assert not subnet.inputs.get("mapPublicIpOnLaunch"), (layer, subnet.name)


# ---- endpoints ----

@pytest.mark.parametrize("service", ["dynamodb", "s3"])
def test_gateway_endpoint_on_every_route_table(network, settings, service):
    endpoint = _endpoint(network, service)
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["vpcId"] == _vpc(network).id
    assert sorted(endpoint.inputs["routeTableIds"]) == sorted(
        table.id for table in network.of_type(ROUTE_TABLE))
    assert _name_tag(endpoint) == f"vpce-{service}-{settings.environment_suffix}"


@pytest.mark.parametrize("service", ["sqs", "sns"])
def test_interface_endpoint_with_private_dns_in_every_subnet(network, settings, service):
    endpoint = _endpoint(network, service)
    assert endpoint.inputs["vpcEndpointType"] == "Interface"
    assert endpoint.inputs["privateDnsEnabled"] is True
    assert sorted(endpoint.inputs["subnetIds"]) == sorted(
        subnet.id for subnet in network.of_type(SUBNET))
    endpoint_group = _security_group(network, "endpoints", settings.environment_suffix)
    assert endpoint.inputs["securityGroupIds"] == [endpoint_group.id]
    assert _name_tag(endpoint) == f"vpce-{service}-{settings.environment_suffix}"


def test_exactly_the_four_endpoints(network):
    assert sorted(e.inputs["serviceName"].rsplit(".", 1)[-1] for e in network.of_type(ENDPOINT)) \
        == ["dynamodb", "s3", "sns", "sqs"]


@pytest.mark.parametrize("service", ["dynamodb", "s3", "sqs", "sns"])
def test_endpoint_policy_admits_only_this_account(network, service):
    policy = json.loads(_endpoint(network, service).inputs["policy"])
    assert policy["Statement"] == [{
        "Sid": "OnlyThisAccount",
        "Effect": "Allow",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID,
                                       "aws:ResourceAccount": ACCOUNT_ID}},
    }]


# ---- security groups ----

def _rule_shape(rule: Resource) -> tuple:
    inputs = rule.inputs
    target = (inputs.get("cidrIpv4") or inputs.get("prefixListId")
              or inputs.get("referencedSecurityGroupId"))
    return inputs["ipProtocol"], inputs["fromPort"], inputs["toPort"], target


def test_lambda_group_admits_nothing(network, settings):
    group = _security_group(network, "lambda", settings.environment_suffix)
    assert not group.inputs.get("ingress")
    assert _rules(network, INGRESS_RULE, group) == []


def test_lambda_group_sends_only_https_to_the_vpc_and_the_gateway_prefix_lists(network,
                                                                               settings):
    group = _security_group(network, "lambda", settings.environment_suffix)
    assert not group.inputs.get("egress"), "rules live in their own resources"
    prefix_lists = [_endpoint(network, service).state["prefixListId"]
                    for service in ("dynamodb", "s3")]
    assert sorted(_rule_shape(rule) for rule in _rules(network, EGRESS_RULE, group)) == sorted([
        ("tcp", HTTPS, HTTPS, settings.vpc_cidr),
        *(("tcp", HTTPS, HTTPS, prefix_list) for prefix_list in prefix_lists),
    ])


def test_endpoint_group_admits_https_from_the_lambda_group_only(network, settings):
    endpoints = _security_group(network, "endpoints", settings.environment_suffix)
    lambdas = _security_group(network, "lambda", settings.environment_suffix)
    assert [_rule_shape(rule) for rule in _rules(network, INGRESS_RULE, endpoints)] == [
        ("tcp", HTTPS, HTTPS, lambdas.id)]
    assert _rules(network, EGRESS_RULE, endpoints) == []
    assert not endpoints.inputs.get("ingress")
    assert not endpoints.inputs.get("egress")


def test_groups_are_in_the_vpc_and_named_by_the_convention(network, settings):
    suffix = settings.environment_suffix
    for purpose in ("lambda", "endpoints"):
        group = _security_group(network, purpose, suffix)
        assert group.inputs["vpcId"] == _vpc(network).id
        # EC2 refuses group names starting with "sg-"; the Name tag carries the full name.
        assert group.inputs["name"] == f"{purpose}-{suffix}"
    assert len(network.of_type(SECURITY_GROUP)) == 2


def test_the_default_security_group_is_stripped_of_its_rules(network):
    default_group = network.one(DEFAULT_SECURITY_GROUP)
    assert default_group.inputs["vpcId"] == _vpc(network).id
    assert not default_group.inputs.get("ingress")
    assert not default_group.inputs.get("egress")


# ---- exports ----

def test_exports_every_network_output(network):
    names = {value for key, value in vars(NetworkOutputs).items() if key.isupper()}
    assert set(network.outputs) == names


def test_exports_match_the_resources(network, settings):
    outputs = network.outputs
    assert outputs[NetworkOutputs.VPC_ID] == _vpc(network).id
    assert sorted(outputs[NetworkOutputs.PRIVATE_SUBNET_IDS]) == sorted(
        subnet.id for subnet in network.of_type(SUBNET))
    assert len(outputs[NetworkOutputs.PRIVATE_SUBNET_IDS]) == settings.az_count
    assert outputs[NetworkOutputs.LAMBDA_SECURITY_GROUP_ID] == _security_group(
        network, "lambda", settings.environment_suffix).id


# ---- ownership ----

def test_only_this_layer_creates_network_resources(chain):
    for resource_type in OWNED_TYPES:
        creators = [layer for layer in LAYERS if chain[layer].of_type(resource_type)]
        assert creators == [NETWORK], resource_type


# ---- the pure helpers, for inputs the chain's configurations do not reach ----

@pytest.mark.parametrize(("vpc_cidr", "count", "expected"), [
    ("10.40.0.0/16", 2, ["10.40.0.0/18", "10.40.64.0/18"]),
    ("10.60.0.0/20", 3, ["10.60.0.0/22", "10.60.4.0/22", "10.60.8.0/22"]),
    ("192.168.7.0/24", 1, ["192.168.7.0/26"]),
])
def test_subnet_cidrs_are_the_first_quarters_of_the_vpc(vpc_cidr, count, expected):
    assert _load_stack_module("network").private_subnet_cidrs(vpc_cidr, count) == expected


def test_too_few_zones_stop_the_program_naming_the_setting():
    network = _load_stack_module("network")
    assert network.pick_zones(["us-east-2c", "us-east-2a"], 2, "us-east-2") == [
        "us-east-2a", "us-east-2c"]
    with pytest.raises(network.ZoneError, match=r"fraud:azCount is 3 but us-east-2 has 2"):
        network.pick_zones(["us-east-2a", "us-east-2b"], 3, "us-east-2")
