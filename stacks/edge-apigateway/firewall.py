"""AWS WAF on the API's stage (``fraud:waf``, on by default): a REGIONAL web ACL associated with
the stage, in this order:

1. ``rate-per-source-ip``: a source address sending more than half of what the stage admits in
   five minutes is blocked for as long as it does, so one runaway or hostile client cannot spend
   the stage's whole throttle and turn every other caller's requests into 429s;
2. ``aws-common``: AWS's core rule set (``AWSManagedRulesCommonRuleSet``, OWASP-style exploits,
   bad bots, oversized parts). Its ``SizeRestrictions_BODY`` (a body over 8 KB) only counts:
   the API's contract answers a body over 16 KiB with its own 400 naming the field, and no valid
   transaction comes near 8 KB;
3. ``aws-known-bad-inputs``: ``AWSManagedRulesKnownBadInputsRuleSet`` (Log4j-style JNDI lookups,
   exploit paths).

Blocked requests get API Gateway's 403 (gateway response ``WAF_FILTERED``, the document's 4XX
shape). A request with no ``User-Agent`` is blocked by the core rule set's
``NoUserAgent_HEADER``: every SDK and curl send one. Rule groups: AWS WAF Developer Guide,
Baseline rule groups, https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
"""

import math
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# The rate-based rule's window, and the share of the stage's throttle one address may use.
RATE_WINDOW_SECONDS = 300
PER_SOURCE_SHARE = 0.5
WAF_MINIMUM_RATE_LIMIT = 10  # requests per window: AWS WAF's lowest accepted limit

# (rule name, managed rule group, rules of the group that only count)
MANAGED_RULE_GROUPS = (
    ("aws-common", "AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("aws-known-bad-inputs", "AWSManagedRulesKnownBadInputsRuleSet", ()),
)


def rate_limit_per_source(stage_rate_limit: float) -> int:
    """Requests one source address may send per window before it is blocked."""
    return max(WAF_MINIMUM_RATE_LIMIT,
               math.floor(stage_rate_limit * RATE_WINDOW_SECONDS * PER_SOURCE_SHARE))


def rule_count() -> int:
    """Rules of the web ACL, as AWS WAF bills them (a managed rule group is one)."""
    return 1 + len(MANAGED_RULE_GROUPS)


@dataclass(frozen=True)
class StageFirewallArgs:
    name: str  # of the web ACL
    stage_arn: pulumi.Input[str]
    stage_rate_limit: float


def _visibility(metric_name: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name,
            "sampled_requests_enabled": True}


class StageFirewall(pulumi.ComponentResource):
    """The web ACL and its association with the stage."""

    def __init__(self, name: str, args: StageFirewallArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:edge:StageFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rules = [{
            "name": "rate-per-source-ip",
            "priority": 0,
            "action": {"block": {}},
            "statement": {"rate_based_statement": {
                "aggregate_key_type": "IP",
                "limit": rate_limit_per_source(args.stage_rate_limit),
                "evaluation_window_sec": RATE_WINDOW_SECONDS,
            }},
            "visibility_config": _visibility(f"{args.name}-rate-per-source-ip"),
        }]
        for priority, (rule_name, group, counted) in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append({
                "name": rule_name,
                "priority": priority,
                "override_action": {"none": {}},  # the group's own actions apply
                "statement": {"managed_rule_group_statement": {
                    "vendor_name": "AWS",
                    "name": group,
                    "rule_action_overrides": [{"name": rule, "action_to_use": {"count": {}}}
                                              for rule in counted] or None,
                }},
                "visibility_config": _visibility(f"{args.name}-{rule_name}"),
            })
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=args.name,
            description="The fraud API's stage: per-source rate limit, AWS managed rule groups",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=_visibility(args.name),
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-association",
            resource_arn=args.stage_arn,
            web_acl_arn=self.web_acl.arn,
            opts=child,
        )
        self.register_outputs({"webAclArn": self.web_acl.arn})
