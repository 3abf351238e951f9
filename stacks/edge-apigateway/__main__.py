"""edge-apigateway

The public face: the REST API imported from api/openapi.yaml, both routes proxying to
process-transaction, with request validation, JSON gateway responses, stage throttling, JSON
access logs, SigV4 (default) or API-key authorization (fraud:apiAuth), and AWS WAF on the
stage (fraud:waf).
"""

import pulumi
from api_key_access import ApiKeyAccess, ApiKeyAccessArgs
from firewall import StageFirewall, StageFirewallArgs
from rest_api import FraudRestApi, FraudRestApiArgs

from shared.api_document import load_openapi, operations, render_for_api_gateway
from shared.lambdas import PROCESS_TRANSACTION
from shared.layers import COMPUTE, DATA
from shared.naming import api_access_log_group_name, resource_name
from shared.outputs import ComputeOutputs, DataOutputs, EdgeOutputs
from shared.program import start_layer
from shared.refs import Upstream

settings = start_layer()
suffix = settings.environment_suffix

api_function = Upstream(COMPUTE, settings).require(ComputeOutputs.FUNCTIONS)[PROCESS_TRANSACTION.id]
kms_key_arn = Upstream(DATA, settings).require(DataOutputs.KMS_KEY_ARN)

# The region's API Gateway CloudWatch role is not this stack's: account-settings/ sets it once
# per account and region for every environment, and the deploy preflight checks that it is set.
api = FraudRestApi("fraud-api", FraudRestApiArgs(
    name=resource_name("apigw", "fraud-api", suffix),
    document=api_function[ComputeOutputs.INVOKE_ARN].apply(
        lambda invoke_arn: render_for_api_gateway(invoke_arn, settings.api_auth)),
    routes=[(method, path) for method, path, _ in operations(load_openapi())],
    function_name=api_function[ComputeOutputs.NAME],
    access_log_group_name=api_access_log_group_name(suffix),
    log_retention_days=settings.log_retention_days,
    kms_key_arn=kms_key_arn,
    throttle_rate_limit=settings.api_throttle_rate_limit,
    throttle_burst_limit=settings.api_throttle_burst_limit,
))

if settings.api_auth == "api-key":
    access = ApiKeyAccess("fraud-api-access", ApiKeyAccessArgs(
        key_name=resource_name("apigw", "fraud-api-key", suffix),
        usage_plan_name=resource_name("apigw", "fraud-api-plan", suffix),
        rest_api_id=api.rest_api.id,
        stage_name=api.stage.stage_name,
        throttle_rate_limit=settings.api_throttle_rate_limit,
        throttle_burst_limit=settings.api_throttle_burst_limit,
    ))
    pulumi.export(EdgeOutputs.API_KEY, access.key_value)

if settings.waf:
    firewall = StageFirewall("fraud-api-waf", StageFirewallArgs(
        name=resource_name("waf", "fraud-api", suffix),
        stage_arn=api.stage.arn,
        stage_rate_limit=settings.api_throttle_rate_limit,
    ))
    pulumi.export(EdgeOutputs.WEB_ACL_ARN, firewall.web_acl.arn)

pulumi.export(EdgeOutputs.API_URL, api.url)
pulumi.export(EdgeOutputs.REST_API_ID, api.rest_api.id)
pulumi.export(EdgeOutputs.REST_API_NAME, api.rest_api.name)
pulumi.export(EdgeOutputs.STAGE_NAME, api.stage.stage_name)
pulumi.export(EdgeOutputs.ACCESS_LOG_GROUP_NAME, api.access_log_group.name)
pulumi.export(EdgeOutputs.EXECUTION_LOG_GROUP_NAME, api.execution_log_group.name)
