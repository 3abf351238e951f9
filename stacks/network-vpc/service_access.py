"""How the functions reach AWS from subnets with no route to the internet.

- DynamoDB and S3: gateway endpoints (no charge) on every private route table.
- SQS and SNS: interface endpoints with private DNS in every private subnet, so the SDK's usual
  hostnames resolve to them; their security group admits HTTPS from the Lambda group only.
- The Lambda group admits nothing and sends only HTTPS: to the VPC (the interface endpoints)
  and to the S3 and DynamoDB prefix lists (the gateway endpoints).

KMS, CloudWatch Logs and STS need no endpoint: the services call KMS themselves, Lambda ships
the logs and hands the function its credentials outside the VPC.

Each endpoint's policy admits only this account's principals acting on this account's
resources, so code in the VPC cannot copy data to another account's bucket, table, queue or
topic even with stolen credentials from elsewhere.
"""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.naming import resource_name

GATEWAY_SERVICES = ("dynamodb", "s3")
INTERFACE_SERVICES = ("sqs", "sns")
HTTPS = 443


def endpoint_service_name(service_prefix: str, region: str, service: str) -> str:
    """``com.amazonaws.us-east-2.sqs``; the prefix comes from the partition."""
    return f"{service_prefix}.{region}.{service}"


def endpoint_policy(service: str, account_id: str) -> str:
    """Only this account's principals, only on this account's resources (a data perimeter).

    The policy narrows, it grants nothing: principals still need their own IAM permissions.
    """
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OnlyThisAccount",
            "Effect": "Allow",
            "Principal": "*",
            "Action": f"{service}:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id,
                                           "aws:ResourceAccount": account_id}},
        }],
    })


def security_group_name(purpose: str, suffix: str) -> str:
    """EC2 refuses group names that start with ``sg-`` (its id prefix), so the group name is
    the conventional name without its type; the ``Name`` tag carries the full name."""
    return resource_name("sg", purpose, suffix).removeprefix("sg-")


@dataclass(frozen=True)
class ServiceAccessArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: list[pulumi.Input[str]]
    route_table_ids: list[pulumi.Input[str]]
    region: str
    service_prefix: str  # reverse DNS of the partition, "com.amazonaws"
    account_id: str
    suffix: str


class ServiceAccess(pulumi.ComponentResource):
    """The four VPC endpoints and the Lambda and endpoint security groups."""

    def __init__(self, name: str, args: ServiceAccessArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:network:ServiceAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.lambda_security_group = self._security_group(
            f"{name}-lambda", "lambda", args,
            "Lambda functions: no inbound; HTTPS out to the VPC endpoints only")
        self.endpoint_security_group = self._security_group(
            f"{name}-endpoints", "endpoints", args,
            "SQS and SNS interface endpoints: HTTPS in from the Lambda group only")

        self.gateway_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=args.vpc_id,
                service_name=endpoint_service_name(args.service_prefix, args.region, service),
                vpc_endpoint_type="Gateway",
                route_table_ids=args.route_table_ids,
                policy=endpoint_policy(service, args.account_id),
                tags={"Name": resource_name("vpce", service, args.suffix)},
                opts=child,
            )
            for service in GATEWAY_SERVICES
        }
        self.interface_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=args.vpc_id,
                service_name=endpoint_service_name(args.service_prefix, args.region, service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=args.subnet_ids,
                security_group_ids=[self.endpoint_security_group.id],
                policy=endpoint_policy(service, args.account_id),
                tags={"Name": resource_name("vpce", service, args.suffix)},
                opts=child,
            )
            for service in INTERFACE_SERVICES
        }

        # Rules as separate resources: the groups themselves hold none (AWS's default
        # allow-all egress is removed when a group is created this way).
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-from-lambda",
            security_group_id=self.endpoint_security_group.id,
            referenced_security_group_id=self.lambda_security_group.id,
            ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS,
            description="HTTPS from the Lambda functions",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-lambda-to-vpc",
            security_group_id=self.lambda_security_group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS,
            description="HTTPS to the SQS and SNS interface endpoints",
            opts=child,
        )
        for service, endpoint in self.gateway_endpoints.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lambda-to-{service}",
                security_group_id=self.lambda_security_group.id,
                prefix_list_id=endpoint.prefix_list_id,
                ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS,
                description=f"HTTPS to {service} through its gateway endpoint",
                opts=child,
            )

        self.register_outputs({
            "lambdaSecurityGroupId": self.lambda_security_group.id,
            "endpointSecurityGroupId": self.endpoint_security_group.id,
        })

    def _security_group(self, logical_name: str, purpose: str, args: ServiceAccessArgs,
                        description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            logical_name,
            name=security_group_name(purpose, args.suffix),
            description=description,
            vpc_id=args.vpc_id,
            tags={"Name": resource_name("sg", purpose, args.suffix)},
            opts=pulumi.ResourceOptions(parent=self),
        )
