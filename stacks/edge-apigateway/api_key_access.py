"""API-key access (``fraud:apiAuth=api-key``): a generated key and a usage plan that binds it to
the stage with the same throttle as the stage's own method settings."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

# API Gateway accepts keys of 20 to 128 characters; letters and digits keep it header-safe.
API_KEY_LENGTH = 40


@dataclass(frozen=True)
class ApiKeyAccessArgs:
    key_name: str
    usage_plan_name: str
    rest_api_id: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    throttle_rate_limit: float
    throttle_burst_limit: int


class ApiKeyAccess(pulumi.ComponentResource):
    """One API key, enabled, in one usage plan on the API's stage.

    The value comes from pulumi-random rather than API Gateway so that it lives in the stack's
    state as a secret and reaches callers through ``pulumi stack output --show-secrets``.
    """

    def __init__(self, name: str, args: ApiKeyAccessArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:edge:ApiKeyAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        value = random.RandomPassword(f"{name}-value", length=API_KEY_LENGTH, special=False,
                                      opts=child)
        self.api_key = aws.apigateway.ApiKey(
            f"{name}-key",
            name=args.key_name,
            description="The fraud API's client key (x-api-key header)",
            enabled=True,
            value=value.result,
            opts=child,
        )
        self.usage_plan = aws.apigateway.UsagePlan(
            f"{name}-plan",
            name=args.usage_plan_name,
            description="Binds the client key to the stage, with the stage's throttle",
            api_stages=[aws.apigateway.UsagePlanApiStageArgs(api_id=args.rest_api_id,
                                                             stage=args.stage_name)],
            throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                rate_limit=args.throttle_rate_limit,
                burst_limit=args.throttle_burst_limit,
            ),
            opts=child,
        )
        aws.apigateway.UsagePlanKey(
            f"{name}-plan-key",
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=self.usage_plan.id,
            opts=child,
        )
        self.key_value = pulumi.Output.secret(value.result)
        self.register_outputs({"apiKeyId": self.api_key.id, "usagePlanId": self.usage_plan.id})
