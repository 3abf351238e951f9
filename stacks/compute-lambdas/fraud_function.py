"""One Lambda function with its own role, inline policy and encrypted log group."""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from code_archive import code_package
from permissions import LAMBDA_TRUST_POLICY, Placement, function_grants, policy_document
from upstream import Network

from shared.lambdas import ARCHITECTURE, LambdaSpec, function_environment, runtime_environment
from shared.naming import lambda_log_group_name, resource_name
from shared.outputs import ComputeOutputs, DataOutputs
from shared.settings import Settings

# The provider's "no reservation": the function draws on the account's unreserved pool. Stated
# rather than left unset, so that a function going from a number to `none` loses its reservation.
UNRESERVED = -1


def reserved_executions(settings: Settings, spec: LambdaSpec) -> int:
    """``fraud:reservedConcurrency`` for ``spec``, in the provider's terms."""
    reserved = settings.reserved_concurrency[spec.id]
    return UNRESERVED if reserved is None else reserved


@dataclass(frozen=True)
class FraudFunctionArgs:
    spec: LambdaSpec
    settings: Settings
    data: Mapping[str, pulumi.Output]  # the data layer's outputs by DataOutputs name
    network: Network
    placement: Placement  # the network as EC2 ARNs, for the network-interface grants
    powertools_layer_arn: str


class FraudFunction(pulumi.ComponentResource):
    """A function of :data:`shared.lambdas.LAMBDAS`, deployed with least privilege.

    The log group exists before the function (so Lambda never creates an unencrypted one with
    infinite retention), and the role policy before the function and its triggers (so their
    creation is not refused for missing permissions).
    """

    def __init__(self, name: str, args: FraudFunctionArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:compute:FraudFunction", name, None, opts)
        spec, settings = args.spec, args.settings
        function_name = resource_name("lambda", spec.id, settings.environment_suffix)
        key_arn = args.data[DataOutputs.KMS_KEY_ARN]
        child = pulumi.ResourceOptions(parent=self)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=lambda_log_group_name(function_name),
            retention_in_days=settings.log_retention_days,
            kms_key_id=key_arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=resource_name("iam", spec.id, settings.environment_suffix),
            description=f"Runs {function_name}",
            assume_role_policy=json.dumps(LAMBDA_TRUST_POLICY),
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=f"{spec.id}-least-privilege",
            role=self.role.id,
            policy=policy_document(function_grants(spec.id, args.data, self.log_group.arn,
                                                    args.placement)),
            opts=child,
        )
        code = code_package(spec, settings)
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description=spec.description,
            role=self.role.arn,
            runtime=settings.lambda_runtime,
            architectures=[ARCHITECTURE],
            handler=spec.handler,
            code=code.archive,
            source_code_hash=code.source_hash,
            layers=[args.powertools_layer_arn],
            memory_size=settings.lambda_memory_mb,
            timeout=spec.timeout_seconds,
            reserved_concurrent_executions=reserved_executions(settings, spec),
            kms_key_arn=key_arn,
            environment={"variables": {
                **function_environment(spec, args.data),
                **runtime_environment(spec, settings),
            }},
            vpc_config={
                "subnet_ids": args.network.private_subnet_ids,
                "security_group_ids": [args.network.lambda_security_group_id],
            },
            # On destroy, move the function's lingering network interfaces off the Lambda
            # security group first, so `make destroy` can delete the network layer's group
            # without waiting for AWS to reap them.
            replace_security_groups_on_destroy=True,
            logging_config={
                "log_format": "JSON",
                "log_group": self.log_group.name,
                # INFO keeps Lambda's START and REPORT lines (duration, memory, init duration).
                # The application level stays INFO too: Powertools prints its EMF metrics at
                # INFO, so a higher level would drop every custom metric.
                "application_log_level": "INFO",
                "system_log_level": "INFO",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.policy]),
        )
        self.exports = {
            ComputeOutputs.NAME: self.function.name,
            ComputeOutputs.ARN: self.function.arn,
            ComputeOutputs.INVOKE_ARN: self.function.invoke_arn,
            ComputeOutputs.LOG_GROUP_NAME: self.log_group.name,
        }
        self.register_outputs(self.exports)
