"""edge-apigateway under the chain: the REST API as the one OpenAPI document describes it,
wired to compute's function, authorized, throttled and logged as configured."""

import hashlib
import importlib.util
import json
import re

import pytest
from pulumi.runtime import rpc

from shared import api_document
from shared.api_document import (
    GATEWAY_RESPONSES,
    LABEL_SCHEMA_PATH,
    TRANSACTION_SCHEMA_PATH,
    load_openapi,
    operations,
    render_for_api_gateway,
)
from shared.lambdas import PROCESS_TRANSACTION
from shared.layers import COMPUTE, DATA, EDGE
from shared.naming import api_access_log_group_name, resource_name
from shared.outputs import ComputeOutputs, DataOutputs, EdgeOutputs
from tests.harness.pulumi_mocks import STACKS_DIR, ProgramRun, run_layer

REST_API = "aws:apigateway/restApi:RestApi"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
ACCOUNT = "aws:apigateway/account:Account"
API_KEY = "aws:apigateway/apiKey:ApiKey"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
USAGE_PLAN_KEY = "aws:apigateway/usagePlanKey:UsagePlanKey"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PERMISSION = "aws:lambda/permission:Permission"
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"

ROUTES = {("POST", "/transactions"), ("GET", "/transactions/{id}"),
          ("PUT", "/transactions/{id}/label")}


def imported_document(edge: ProgramRun) -> dict:
    """The document the REST API was created from (its ``body``)."""
    return json.loads(edge.one(REST_API).inputs["body"])


def secret_value(value) -> str:
    """The plain value of an input the program marked secret (fails if it is not secret)."""
    assert isinstance(value, dict), f"{value!r} is not a secret"
    assert value.get(rpc._special_sig_key) == rpc._special_secret_sig, f"{value!r} is not a secret"
    return value["value"]


def api_function(chain) -> dict:
    return chain[COMPUTE].outputs[ComputeOutputs.FUNCTIONS][PROCESS_TRANSACTION.id]


def test_the_api_is_regional_tls12_and_imported_from_the_rendered_document(chain, configuration):
    settings = configuration.settings
    api = chain[EDGE].one(REST_API)
    assert api.inputs["name"] == resource_name("apigw", "fraud-api", settings.environment_suffix)
    assert api.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert api.inputs["securityPolicy"] == "TLS_1_2"
    assert api.inputs["failOnWarnings"] is True
    assert api.inputs["body"] == render_for_api_gateway(
        api_function(chain)[ComputeOutputs.INVOKE_ARN], settings.api_auth)


def test_the_three_routes_and_nothing_else_are_served(chain):
    assert {(method, path) for method, path, _ in operations(imported_document(chain[EDGE]))} \
        == ROUTES


@pytest.mark.parametrize(("method", "path", "validates_body"), [
    ("POST", "/transactions", True),
    ("GET", "/transactions/{id}", False),
    ("PUT", "/transactions/{id}/label", True),
])
def test_each_route_proxies_to_process_transaction_behind_its_validator(
        chain, method, path, validates_body):
    document = imported_document(chain[EDGE])
    operation = document["paths"][path][method.lower()]
    assert operation["x-amazon-apigateway-integration"] == {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": api_function(chain)[ComputeOutputs.INVOKE_ARN],
        "passthroughBehavior": "when_no_match",
    }
    validator = document["x-amazon-apigateway-request-validators"][
        operation["x-amazon-apigateway-request-validator"]]
    assert validator == {"validateRequestBody": validates_body,
                         "validateRequestParameters": True}


def test_the_transaction_id_path_parameter_is_required_and_its_pattern_left_to_the_function(
        chain):
    """API Gateway checks only that a path parameter is there (its pattern is ignored): the
    imported document says no more, and its description says who checks the rest."""
    operation = imported_document(chain[EDGE])["paths"]["/transactions/{id}"]["get"]
    [parameter] = operation["parameters"]
    assert {key: parameter[key] for key in ("name", "in", "required", "schema")} == {
        "name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    assert "process-transaction answers 400" in " ".join(parameter["description"].split())


@pytest.mark.parametrize(("path", "method", "model", "schema_path"), [
    ("/transactions", "post", "Transaction", TRANSACTION_SCHEMA_PATH),
    ("/transactions/{id}/label", "put", "Label", LABEL_SCHEMA_PATH),
])
def test_each_body_model_is_its_json_schema(chain, path, method, model, schema_path):
    document = imported_document(chain[EDGE])
    request_body = document["paths"][path][method]["requestBody"]
    assert request_body["required"] is True
    assert request_body["content"] == {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    # An OpenAPI 3.0 schema object has no $schema; API Gateway makes every model draft 4.
    assert schema.pop("$schema") == "http://json-schema.org/draft-04/schema#"
    # AWS documents additionalProperties as unsupported in models: the function refuses
    # unknown fields (with the same schema, whole).
    assert schema.pop("additionalProperties") is False
    assert document["components"]["schemas"][model] == schema


def test_methods_require_sigv4_by_default_and_an_api_key_when_configured(chain, configuration):
    settings = configuration.settings
    edge = chain[EDGE]
    document = imported_document(edge)
    securities = [operation["security"] for _, _, operation in operations(document)]
    if settings.api_auth == "iam":
        assert document["components"]["securitySchemes"] == {"sigv4": {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4"}}
        assert securities == [[{"sigv4": []}]] * len(ROUTES)
        assert "x-amazon-apigateway-api-key-source" not in document
        assert edge.of_type(API_KEY) == edge.of_type(USAGE_PLAN) == []
        return
    assert settings.api_auth == "api-key"
    assert document["components"]["securitySchemes"] == {"api_key": {
        "type": "apiKey", "name": "x-api-key", "in": "header"}}
    assert securities == [[{"api_key": []}]] * len(ROUTES)
    assert document["x-amazon-apigateway-api-key-source"] == "HEADER"


def test_api_key_mode_binds_a_generated_key_to_the_stage_with_the_stage_throttle(
        chain, configuration):
    settings = configuration.settings
    edge = chain[EDGE]
    if settings.api_auth == "iam":
        assert edge.of_type(RANDOM_PASSWORD) == edge.of_type(USAGE_PLAN_KEY) == []
        assert EdgeOutputs.API_KEY not in edge.outputs
        return
    suffix = settings.environment_suffix
    password = edge.one(RANDOM_PASSWORD)
    assert password.inputs["length"] >= 20  # API Gateway's minimum key length
    assert password.inputs["special"] is False
    key = edge.one(API_KEY)
    assert key.inputs["name"] == resource_name("apigw", "fraud-api-key", suffix)
    assert key.inputs["enabled"] is True
    assert secret_value(key.inputs["value"]) == password.state["result"]
    plan = edge.one(USAGE_PLAN)
    assert plan.inputs["name"] == resource_name("apigw", "fraud-api-plan", suffix)
    assert plan.inputs["apiStages"] == [{"apiId": edge.one(REST_API).id, "stage": "v1"}]
    assert plan.inputs["throttleSettings"] == {"rateLimit": settings.api_throttle_rate_limit,
                                               "burstLimit": settings.api_throttle_burst_limit}
    plan_key = edge.one(USAGE_PLAN_KEY)
    assert plan_key.inputs == {**plan_key.inputs, "keyId": key.id, "keyType": "API_KEY",
                               "usagePlanId": plan.id}
    assert edge.outputs[EdgeOutputs.API_KEY] == password.state["result"]
    assert EdgeOutputs.API_KEY in edge.secret_outputs


def test_every_method_is_throttled_from_config_metered_and_logs_errors_only(chain,
                                                                            configuration):
    settings = configuration.settings
    method_settings = chain[EDGE].one(METHOD_SETTINGS)
    assert method_settings.inputs["restApi"] == chain[EDGE].one(REST_API).id
    assert method_settings.inputs["stageName"] == "v1"
    assert method_settings.inputs["methodPath"] == "*/*"
    assert method_settings.inputs["settings"] == {
        "throttlingRateLimit": settings.api_throttle_rate_limit,
        "throttlingBurstLimit": settings.api_throttle_burst_limit,
        "metricsEnabled": True,
        "loggingLevel": "ERROR",
        "dataTraceEnabled": False,
    }


def test_api_gateway_may_invoke_the_function_only_through_this_apis_three_routes(chain):
    edge = chain[EDGE]
    execution_arn = edge.one(REST_API).state["executionArn"]
    permissions = edge.of_type(PERMISSION)
    assert sorted(p.inputs["sourceArn"] for p in permissions) == [
        f"{execution_arn}/v1/GET/transactions/*",
        f"{execution_arn}/v1/POST/transactions",
        f"{execution_arn}/v1/PUT/transactions/*/label",
    ]
    for permission in permissions:
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["function"] == api_function(chain)[ComputeOutputs.NAME]


def test_the_stage_writes_json_access_logs_to_an_encrypted_log_group(chain, configuration):
    settings = configuration.settings
    edge = chain[EDGE]
    group = next(r for r in edge.of_type(LOG_GROUP)
                 if r.inputs["name"] == api_access_log_group_name(settings.environment_suffix))
    assert group.inputs["retentionInDays"] == settings.log_retention_days
    assert group.inputs["kmsKeyId"] == chain[DATA].outputs[DataOutputs.KMS_KEY_ARN]
    stage = edge.one(STAGE)
    assert stage.inputs["stageName"] == "v1"
    access_logs = stage.inputs["accessLogSettings"]
    assert access_logs["destinationArn"] == group.state["arn"]
    assert group.urn in stage.dependencies

    log_format = access_logs["format"]
    # What API Gateway writes: each variable substituted, messageString already quoted.
    line = re.sub(r"\$context\.[A-Za-z.]+", "x", log_format.replace(
        "$context.error.messageString", json.dumps('Invalid "key"')))
    record = json.loads(line)
    assert {"requestId", "ip", "caller", "httpMethod", "resourcePath", "path", "status",
            "responseLatency", "integrationLatency", "errorMessage"} <= set(record)
    assert record["errorMessage"] == 'Invalid "key"'
    # Never the key itself, the validator's message (it can quote a rejected body) or free text.
    assert not re.search(r"\$context\.identity\.apiKey\b(?!Id)", log_format)
    assert "validationErrorString" not in log_format
    assert "userAgent" not in log_format


def test_the_stage_serves_the_deployment_of_the_current_document(chain):
    edge = chain[EDGE]
    api, deployment, stage = edge.one(REST_API), edge.one(DEPLOYMENT), edge.one(STAGE)
    assert deployment.inputs["restApi"] == api.id
    assert deployment.inputs["triggers"] == {
        "document": hashlib.sha256(api.inputs["body"].encode()).hexdigest()}
    assert stage.inputs["deployment"] == deployment.id


def test_a_changed_document_redeploys_and_an_unchanged_one_does_not(chain, configuration,
                                                                    monkeypatch):
    upstream = chain.upstream_of(EDGE)

    def redeployment_trigger() -> str:
        run = run_layer(EDGE, stack=configuration.stack, config=configuration.config,
                        upstream=upstream, organization=configuration.organization)
        return run.one(DEPLOYMENT).inputs["triggers"]["document"]

    deployed = chain[EDGE].one(DEPLOYMENT).inputs["triggers"]["document"]
    assert redeployment_trigger() == deployed

    original_load = api_document.load_openapi

    def changed_document() -> dict:
        document = original_load()
        document["info"]["version"] = "1.0.1"
        return document

    monkeypatch.setattr(api_document, "load_openapi", changed_document)
    assert redeployment_trigger() != deployed


def test_the_imported_document_carries_the_gateway_responses(chain):
    responses = imported_document(chain[EDGE])[GATEWAY_RESPONSES]
    assert responses == load_openapi()[GATEWAY_RESPONSES]
    assert {"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN", "INVALID_API_KEY", "THROTTLED", "DEFAULT_4XX",
            "DEFAULT_5XX"} <= set(responses)


def test_the_execution_log_group_is_ours_encrypted_and_aged_before_logging_starts(
        chain, configuration):
    """API Gateway would otherwise create API-Gateway-Execution-Logs_<apiId>/v1 itself:
    unencrypted, never expiring, outside the state, left behind by destroy."""
    settings = configuration.settings
    edge = chain[EDGE]
    api_id = edge.one(REST_API).id
    [group] = [r for r in edge.of_type(LOG_GROUP)
               if r.inputs["name"] == f"API-Gateway-Execution-Logs_{api_id}/v1"]
    assert group.inputs["retentionInDays"] == settings.log_retention_days
    assert group.inputs["kmsKeyId"] == chain[DATA].outputs[DataOutputs.KMS_KEY_ARN]
    assert group.urn in edge.one(METHOD_SETTINGS).dependencies  # before logging_level=ERROR
    assert edge.outputs[EdgeOutputs.EXECUTION_LOG_GROUP_NAME] == group.inputs["name"]


def test_no_environment_touches_the_regions_api_gateway_account_setting(chain):
    """The setting is one per account and region and pulumi-aws resets it on delete: an
    environment owning it would stop every other environment's logs when destroyed."""
    for layer, run in chain.items():
        assert run.of_type(ACCOUNT) == [], layer
        assert run.of_type(ROLE_POLICY_ATTACHMENT) == [], layer


def test_exports_every_edge_output(chain, configuration):
    settings = configuration.settings
    edge = chain[EDGE]
    api_id = edge.one(REST_API).id
    expected = {
        EdgeOutputs.API_URL: f"https://{api_id}.execute-api.{settings.region}.amazonaws.com/v1",
        EdgeOutputs.REST_API_ID: api_id,
        EdgeOutputs.REST_API_NAME: resource_name("apigw", "fraud-api",
                                                 settings.environment_suffix),
        EdgeOutputs.STAGE_NAME: "v1",
        EdgeOutputs.ACCESS_LOG_GROUP_NAME: api_access_log_group_name(
            settings.environment_suffix),
        EdgeOutputs.EXECUTION_LOG_GROUP_NAME: f"API-Gateway-Execution-Logs_{api_id}/v1",
    }
    if settings.api_auth == "api-key":
        expected[EdgeOutputs.API_KEY] = edge.one(RANDOM_PASSWORD).state["result"]
    if settings.waf:
        expected[EdgeOutputs.WEB_ACL_ARN] = edge.one(WEB_ACL).state["arn"]
    assert edge.outputs == expected
    assert edge.secret_outputs == ({EdgeOutputs.API_KEY} if settings.api_auth == "api-key"
                                   else set())


# ---- AWS WAF on the stage (fraud:waf) ----

def _firewall_module():
    spec = importlib.util.spec_from_file_location(
        "edge_firewall", STACKS_DIR / EDGE / "firewall.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_stage_is_behind_a_web_acl_limiting_each_source_then_aws_managed_groups(
        chain, settings):
    edge = chain[EDGE]
    if not settings.waf:  # the alternate configuration turns it off
        assert edge.of_type(WEB_ACL) == edge.of_type(WEB_ACL_ASSOCIATION) == []
        return
    acl = edge.one(WEB_ACL)
    assert acl.inputs["name"] == resource_name("waf", "fraud-api", settings.environment_suffix)
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    association = edge.one(WEB_ACL_ASSOCIATION)
    assert association.inputs["resourceArn"] == edge.one(STAGE).state["arn"]
    assert association.inputs["webAclArn"] == acl.state["arn"]

    rules = sorted(acl.inputs["rules"], key=lambda rule: rule["priority"])
    assert [rule["name"] for rule in rules] == [
        "rate-per-source-ip", "aws-common", "aws-known-bad-inputs"]
    rate, common, bad_inputs = rules
    # Half of the default stage's 1000 requests/s over the 5-minute window, per address.
    assert settings.api_throttle_rate_limit == 1000
    assert rate["statement"] == {"rateBasedStatement": {
        "aggregateKeyType": "IP", "limit": 150_000, "evaluationWindowSec": 300}}
    assert rate["action"] == {"block": {}}
    assert common["statement"]["managedRuleGroupStatement"] == {
        "vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet",
        # The API answers an oversized body with its own 400; WAF only counts them.
        "ruleActionOverrides": [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]}
    assert bad_inputs["statement"]["managedRuleGroupStatement"] == {
        "vendorName": "AWS", "name": "AWSManagedRulesKnownBadInputsRuleSet"}
    for rule in (common, bad_inputs):
        assert rule["overrideAction"] == {"none": {}}
    for rule in rules:
        assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True


@pytest.mark.parametrize(("stage_rate", "limit"), [(1000, 150_000), (250.5, 37_575), (0.01, 10)])
def test_the_per_source_limit_is_half_the_stage_over_the_window_and_at_least_wafs_floor(
        stage_rate, limit):
    assert _firewall_module().rate_limit_per_source(stage_rate) == limit
