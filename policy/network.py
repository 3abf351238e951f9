"""No way from the VPC to the internet, and every function inside the VPC."""

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policy.encryption import FUNCTION
from policy.props import as_list, get, is_set

# Resources that open a path to or from the internet.
INTERNET_PATHS = {
    "aws:ec2/internetGateway:InternetGateway": "an internet gateway",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": "an internet gateway's link",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": "an egress-only gateway",
    "aws:ec2/natGateway:NatGateway": "a NAT gateway",
    "aws:ec2/eip:Eip": "an Elastic IP",
}
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SUBNET = "aws:ec2/subnet:Subnet"
# Route targets that lead out of the VPC (gatewayId is also a virtual private gateway's: vgw-).
INTERNET_TARGETS = ("natGatewayId", "egressOnlyGatewayId")


def _routes_out(route: object) -> str | None:
    for target in INTERNET_TARGETS:
        if is_set(route, target):
            return target
    gateway = get(route, "gatewayId")
    if isinstance(gateway, str) and gateway.startswith("igw-"):
        return "gatewayId"
    return None


def validate_no_internet_path(args: ResourceValidationArgs,
                              report_violation: ReportViolation) -> None:
    kind = INTERNET_PATHS.get(args.resource_type)
    if kind:
        report_violation(f"{args.name} is {kind}: the platform's VPC has no path to the "
                         "internet (AWS services are reached through VPC endpoints)")
    routes = [args.props] if args.resource_type == ROUTE else (
        as_list(get(args.props, "routes")) if args.resource_type == ROUTE_TABLE else [])
    for route in routes:
        target = _routes_out(route)
        if target:
            report_violation(f"{args.name} routes out of the VPC ({target})")
    if args.resource_type == SUBNET and get(args.props, "mapPublicIpOnLaunch") is True:
        report_violation(f"{args.name} gives public IP addresses (mapPublicIpOnLaunch)")


def validate_function_in_vpc(args: ResourceValidationArgs,
                             report_violation: ReportViolation) -> None:
    if args.resource_type != FUNCTION:
        return
    missing = [key for key in ("subnetIds", "securityGroupIds")
               if not is_set(args.props, "vpcConfig", key)]
    if missing:
        report_violation(f"{args.name} does not run in the VPC (vpcConfig.{' and '.join(missing)} "
                         "unset): the private subnets and the Lambda security group")
