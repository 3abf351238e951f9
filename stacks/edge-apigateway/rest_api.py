"""The REST API imported from the OpenAPI document, its stage ``v1`` with JSON access logs and
throttling, and the permission for API Gateway to invoke the function behind its routes."""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.naming import API_STAGE_NAME, api_execution_log_group_name

# One JSON object per request. Left out on purpose: the API key itself ($context.identity.apiKey;
# its id tells callers apart), the validator's message, which can quote the rejected body (a
# card-number-like accountId, say), and the User-Agent, free text of the client's choosing that
# could break or forge the JSON record.
_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "userArn": "$context.identity.userArn",
    "apiKeyId": "$context.identity.apiKeyId",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "errorType": "$context.error.responseType",
}
# messageString is the error message already quoted and escaped, so it goes in unquoted: the
# line stays valid JSON whatever the message holds.
ACCESS_LOG_FORMAT = "{" + ", ".join(
    [f'"{key}": "{value}"' for key, value in _ACCESS_LOG_FIELDS.items()]
    + ['"errorMessage": $context.error.messageString']) + "}"


def deployment_trigger(document: str) -> str:
    """What the deployment is redeployed on: a digest of the imported document."""
    return hashlib.sha256(document.encode()).hexdigest()


def route_source_arn(execution_arn: str, stage: str, method: str, path: str) -> str:
    """The ARN API Gateway invokes with for one route; path parameters match any one segment."""
    return f"{execution_arn}/{stage}/{method}{re.sub(r'{[^}/]+}', '*', path)}"


@dataclass(frozen=True)
class FraudRestApiArgs:
    name: str  # physical name of the REST API
    document: pulumi.Input[str]  # shared.api_document.render_for_api_gateway(...)
    routes: Sequence[tuple[str, str]]  # (METHOD, path) of every operation in the document
    function_name: pulumi.Input[str]  # the Lambda function every route proxies to
    access_log_group_name: str
    log_retention_days: int
    kms_key_arn: pulumi.Input[str]
    throttle_rate_limit: float
    throttle_burst_limit: int


class FraudRestApi(pulumi.ComponentResource):
    """A REGIONAL REST API, deployed to stage ``v1`` whenever its document changes."""

    def __init__(self, name: str, args: FraudRestApiArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:edge:RestApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.rest_api = aws.apigateway.RestApi(
            name,
            name=args.name,
            body=args.document,
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
                types="REGIONAL"),
            security_policy="TLS_1_2",
            # A part of the document that API Gateway would ignore (a misspelt validator, say)
            # fails the update instead of deploying an API that is not the one described.
            fail_on_warnings=True,
            opts=child,
        )
        self.deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            description="The imported OpenAPI document; replaced whenever the document changes",
            triggers={"document": pulumi.Output.from_input(args.document).apply(
                deployment_trigger)},
            opts=child,
        )
        # API Gateway writes the stage's execution logs (logging_level below) to a group it
        # would otherwise create itself: unencrypted, never expiring, unknown to the state and
        # left behind by destroy. Created here first, it is ours: encrypted, aged, destroyed.
        self.execution_log_group = aws.cloudwatch.LogGroup(
            f"{name}-execution-logs",
            name=self.rest_api.id.apply(api_execution_log_group_name),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.access_log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=args.access_log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=self.deployment.id,
            stage_name=API_STAGE_NAME,
            description="The live stage: proxies to process-transaction",
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=self.access_log_group.arn,
                format=ACCESS_LOG_FORMAT,
            ),
            opts=child,
        )
        self.method_settings = aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                throttling_rate_limit=args.throttle_rate_limit,
                throttling_burst_limit=args.throttle_burst_limit,
                metrics_enabled=True,
                logging_level="ERROR",
                # Data traces would log request and response bodies: account ids, amounts.
                data_trace_enabled=False,
            ),
            opts=child.merge(pulumi.ResourceOptions(depends_on=[self.execution_log_group])),
        )
        self.invoke_permissions = [self._allow_invoke(name, method, path, args.function_name)
                                   for method, path in args.routes]
        self.url = self.stage.invoke_url
        self.register_outputs({
            "restApiId": self.rest_api.id,
            "url": self.url,
            "accessLogGroupName": self.access_log_group.name,
            "executionLogGroupName": self.execution_log_group.name,
        })

    def _allow_invoke(self, name: str, method: str, path: str,
                      function_name: pulumi.Input[str]) -> aws.lambda_.Permission:
        """Let API Gateway invoke the function for one route of this API's stage, and no other."""
        source_arn = pulumi.Output.all(self.rest_api.execution_arn, self.stage.stage_name).apply(
            lambda arn_and_stage: route_source_arn(*arn_and_stage, method, path))
        return aws.lambda_.Permission(
            f"{name}-invoke-{method.lower()}-{'-'.join(re.findall(r'[a-z0-9]+', path))}",
            action="lambda:InvokeFunction",
            function=function_name,
            principal="apigateway.amazonaws.com",
            source_arn=source_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
