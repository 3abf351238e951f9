"""Realistic state for mocked AWS resources and answers to the invokes the programs make.

The ids, ARNs and URLs have the shapes AWS gives them, so a program that builds an IAM
policy from ``table.arn`` or a URL from ``stage.invoke_url`` is tested on the real shape.
"""

import hashlib
import json
import re
from typing import Any

from pulumi.runtime import mocks

ACCOUNT_ID = "123456789012"
REGION = "us-east-2"
PARTITION = "aws"
# What AWS publishes under /aws/service/powertools: one parameter per version, architecture and
# runtime, whose value is that version's layer ARN in the region (layer numbers differ by region).
POWERTOOLS_PARAMETER = re.compile(
    r"/aws/service/powertools/python/(x86_64|arm64)/python3\.(\d+)/(\d+\.\d+\.\d+)")
POWERTOOLS_LAYER_NUMBER = 31


def _short_id(prefix: str, name: str) -> str:
    return f"{prefix}-{hashlib.sha256(name.encode()).hexdigest()[:17]}"


def _physical_name(inputs: dict[str, Any], name: str, *keys: str) -> str:
    for key in (*keys, "name"):
        if inputs.get(key):
            return str(inputs[key])
    return name


def _render_policy_document(args: dict[str, Any]) -> str:
    """What ``aws.iam.get_policy_document`` renders: the statements as IAM JSON."""
    statements = []
    for given in args.get("statements") or []:
        statement: dict[str, Any] = {}
        if given.get("sid"):
            statement["Sid"] = given["sid"]
        statement["Effect"] = given.get("effect") or "Allow"
        for key, field in (("Action", "actions"), ("NotAction", "notActions"),
                           ("Resource", "resources"), ("NotResource", "notResources")):
            values = given.get(field)
            if values:
                statement[key] = values[0] if len(values) == 1 else sorted(values)
        for key, field in (("Principal", "principals"), ("NotPrincipal", "notPrincipals")):
            principals: dict[str, Any] = {}
            for principal in given.get(field) or []:
                identifiers = principal["identifiers"]
                if principal["type"] == "*" and identifiers == ["*"]:
                    principals = "*"  # type: ignore[assignment]
                    break
                principals[principal["type"]] = (
                    identifiers[0] if len(identifiers) == 1 else sorted(identifiers))
            if principals:
                statement[key] = principals
        conditions: dict[str, dict[str, Any]] = {}
        for condition in given.get("conditions") or []:
            values = condition["values"]
            conditions.setdefault(condition["test"], {})[condition["variable"]] = (
                values[0] if len(values) == 1 else values)
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class AwsState(mocks.Mocks):
    """Answers resource registrations with AWS-shaped state and invokes with fixed facts."""

    def __init__(self, stack_outputs: dict[str, dict[str, Any]]) -> None:
        self.stack_outputs = stack_outputs

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        name = args.name
        typ = args.typ
        arn_prefix = f"arn:{PARTITION}"
        region_account = f"{REGION}:{ACCOUNT_ID}"

        if typ == "pulumi:pulumi:StackReference":
            stack = inputs.get("name") or name
            return stack, {"name": stack, "outputs": self.stack_outputs.get(stack, {}),
                           "secretOutputNames": []}
        if not args.custom:
            return "", inputs
        if typ.startswith("pulumi:providers:"):  # an explicit provider: its config is its state
            return f"{name}-id", inputs

        if typ == "aws:dynamodb/table:Table":
            physical = _physical_name(inputs, name)
            arn = f"{arn_prefix}:dynamodb:{region_account}:table/{physical}"
            state = {"arn": arn, "name": physical}
            if inputs.get("streamEnabled"):
                state["streamArn"] = f"{arn}/stream/2026-01-01T00:00:00.000"
                state["streamLabel"] = "2026-01-01T00:00:00.000"
            return physical, {**inputs, **state}
        if typ == "aws:sqs/queue:Queue":
            physical = _physical_name(inputs, name)
            url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{physical}"
            return url, {**inputs, "name": physical, "url": url,
                         "arn": f"{arn_prefix}:sqs:{region_account}:{physical}"}
        if typ == "aws:sns/topic:Topic":
            physical = _physical_name(inputs, name)
            arn = f"{arn_prefix}:sns:{region_account}:{physical}"
            return arn, {**inputs, "name": physical, "arn": arn}
        if typ == "aws:s3/bucket:Bucket":
            physical = _physical_name(inputs, name, "bucket")
            return physical, {**inputs, "bucket": physical, "arn": f"{arn_prefix}:s3:::{physical}",
                              "bucketDomainName": f"{physical}.s3.amazonaws.com"}
        if typ == "aws:kms/key:Key":
            key_id = "0f1e2d3c-4b5a-6978-8a9b-" + hashlib.sha256(name.encode()).hexdigest()[:12]
            return key_id, {**inputs, "keyId": key_id,
                            "arn": f"{arn_prefix}:kms:{region_account}:key/{key_id}"}
        if typ == "aws:kms/alias:Alias":
            physical = _physical_name(inputs, name)
            return physical, {**inputs, "arn": f"{arn_prefix}:kms:{region_account}:{physical}"}
        if typ == "aws:lambda/function:Function":
            physical = _physical_name(inputs, name)
            arn = f"{arn_prefix}:lambda:{region_account}:function:{physical}"
            invoke_arn = (f"{arn_prefix}:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                          f"{arn}/invocations")
            return physical, {**inputs, "name": physical, "arn": arn, "invokeArn": invoke_arn,
                              "qualifiedArn": f"{arn}:$LATEST", "version": "$LATEST"}
        if typ == "aws:iam/role:Role":
            physical = _physical_name(inputs, name)
            return physical, {**inputs, "name": physical,
                              "arn": f"{arn_prefix}:iam::{ACCOUNT_ID}:role/{physical}"}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            physical = _physical_name(inputs, name)
            return physical, {**inputs, "name": physical,
                              "arn": f"{arn_prefix}:logs:{region_account}:log-group:{physical}"}
        if typ == "aws:apigateway/restApi:RestApi":
            api_id = _short_id("api", name)[4:14]
            return api_id, {**inputs, "rootResourceId": "root0res1d",
                            "arn": f"{arn_prefix}:apigateway:{REGION}::/restapis/{api_id}",
                            "executionArn": f"{arn_prefix}:execute-api:{region_account}:{api_id}"}
        if typ == "aws:apigateway/stage:Stage":
            stage = inputs.get("stageName", name)
            api_id = inputs.get("restApi", "unknown")
            return f"ags-{api_id}-{stage}", {
                **inputs,
                "invokeUrl": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}",
                "executionArn": f"{arn_prefix}:execute-api:{region_account}:{api_id}/{stage}",
                "arn": f"{arn_prefix}:apigateway:{REGION}::/restapis/{api_id}/stages/{stage}"}
        if typ in ("aws:apigateway/deployment:Deployment", "aws:apigateway/apiKey:ApiKey",
                   "aws:apigateway/usagePlan:UsagePlan"):
            resource_id = hashlib.sha256(name.encode()).hexdigest()[:10]  # API Gateway's id shape
            collection = {"apiKey": "apikeys", "usagePlan": "usageplans"}.get(
                typ.split("/")[1].split(":")[0])
            state = dict(inputs)
            if collection:
                state["arn"] = f"{arn_prefix}:apigateway:{REGION}::/{collection}/{resource_id}"
            return resource_id, state
        if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            physical = _physical_name(inputs, name)
            return physical, {**inputs, "arn": f"{arn_prefix}:cloudwatch:{region_account}:alarm:"
                                                f"{physical}"}
        if typ.startswith("aws:ec2/"):
            kind = typ.split("/")[1].split(":")[0]
            prefix = {"vpc": "vpc", "subnet": "subnet", "securityGroup": "sg",
                      "routeTable": "rtb", "vpcEndpoint": "vpce"}.get(kind, "ec2")
            resource_id = _short_id(prefix, name)
            state = {**inputs, "arn": f"{arn_prefix}:ec2:{region_account}:{prefix}/{resource_id}"}
            if kind == "vpcEndpoint" and inputs.get("vpcEndpointType") == "Gateway":
                # AWS's managed prefix list of the service, e.g. com.amazonaws.us-east-2.s3.
                service = str(inputs.get("serviceName", "")).rsplit(".", 1)[-1]
                state["prefixListId"] = f"pl-{service}0001"
            return resource_id, state
        if typ.startswith("random:"):
            value = hashlib.sha256(name.encode()).hexdigest()[:int(inputs.get("length", 32))]
            return name, {**inputs, "result": value}

        # Any other AWS resource: an ARN in the usual service:region:account:type/name shape.
        service, kind = typ.split(":")[1].split("/")
        physical = _physical_name(inputs, name)
        return physical, {**inputs, "arn": f"{arn_prefix}:{service}:{region_account}:{kind}/"
                                           f"{physical}"}

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list]:
        token, given = args.token, args.args
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
                    "userId": "AIDAEXAMPLE", "id": ACCOUNT_ID}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION,
                    "endpoint": f"ec2.{REGION}.amazonaws.com",
                    "description": "US East (Ohio)"}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION,
                    "reverseDnsPrefix": "com.amazonaws"}, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = [f"{REGION}{letter}" for letter in "abc"]
            return {"names": zones, "zoneIds": [f"use2-az{i}" for i in (1, 2, 3)],
                    "id": REGION, "state": "available"}, []
        if token == "aws:iam/getPolicyDocument:getPolicyDocument":
            return {"json": _render_policy_document(given), "id": "policy"}, []
        if token in ("aws:ec2/getPrefixList:getPrefixList",
                     "aws:ec2/getManagedPrefixList:getManagedPrefixList"):
            service = (given.get("name") or "").rsplit(".", 1)[-1] or "s3"
            return {"id": f"pl-{service}0001", "name": given.get("name"),
                    "cidrBlocks": ["52.219.0.0/16"]}, []
        if token == "aws:ssm/getParameter:getParameter":
            return _ssm_parameter(given["name"]), []
        raise NotImplementedError(f"the test mocks do not answer the invoke {token}; "
                                  "add it to tests/harness/aws_state.py")


def _ssm_parameter(name: str) -> dict[str, Any]:
    """A public parameter AWS publishes; any other name is not found, as in AWS."""
    match = POWERTOOLS_PARAMETER.fullmatch(name)
    if match is None:
        raise ValueError(f"ParameterNotFound: {name}")
    architecture, minor, _version = match.groups()
    value = (f"arn:{PARTITION}:lambda:{REGION}:017000801446:layer:"
             f"AWSLambdaPowertoolsPythonV3-python3{minor}-{architecture}:{POWERTOOLS_LAYER_NUMBER}")
    return {"name": name, "value": value, "insecureValue": value, "type": "String",
            "version": 1, "withDecryption": True, "id": name,
            "arn": f"arn:{PARTITION}:ssm:{REGION}::parameter{name}"}
