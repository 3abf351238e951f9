"""The policy pack (policy/) over what a program declared under the mocks, as the CLI runs it.

Each resource goes to the resource policies with its inputs after the stack transforms, and the
whole run to the stack policies with every resource's state, parent and dependencies, all behind
the SDK's own unknown-checking proxy, as ``pulumi preview --policy-pack policy/`` hands them over.
"""

from dataclasses import dataclass

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.pack import POLICIES
from tests.harness.pulumi_mocks import ProgramRun, Resource


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str  # the resource's logical name, or "" for the stack
    message: str


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(resource.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0),
                                 [], resource.parent or None)


def resource_violations(resource: Resource, policies=POLICIES) -> list[Violation]:
    found: list[Violation] = []
    for policy in policies:
        if not isinstance(policy, ResourceValidationPolicy):
            continue
        args = ResourceValidationArgs(resource.type, unknown_checking_proxy(resource.inputs),
                                      resource.urn, resource.name, _options(resource), None)
        policy.validate(args, lambda message, _urn=None, name=policy.name:
                        found.append(Violation(name, resource.name, message)))
    return found


def stack_violations(resources: list[Resource], policies=POLICIES) -> list[Violation]:
    by_urn = {resource.urn: PolicyResource(
        resource.type, unknown_checking_proxy(resource.state), resource.urn, resource.name,
        _options(resource), None, None, [], {}) for resource in resources}
    names = {resource.urn: resource.name for resource in resources}
    for resource in resources:
        policy_resource = by_urn[resource.urn]
        policy_resource.parent = by_urn.get(resource.parent)
        policy_resource.dependencies = [by_urn[urn] for urn in resource.dependencies
                                        if urn in by_urn]
        policy_resource.property_dependencies = {
            key: [by_urn[urn] for urn in urns if urn in by_urn]
            for key, urns in resource.property_dependencies.items()}
    found: list[Violation] = []
    args = StackValidationArgs(list(by_urn.values()))
    for policy in policies:
        if isinstance(policy, StackValidationPolicy):
            policy.validate(args, lambda message, urn=None, name=policy.name:
                            found.append(Violation(name, names.get(urn, ""), message)))
    return found


def violations(run: ProgramRun, policies=POLICIES) -> list[Violation]:
    """Every violation of the pack in ``run``: resource policies, then stack policies."""
    custom = [resource for resource in run.resources if resource.custom]
    return [*(found for resource in custom for found in resource_violations(resource, policies)),
            *stack_violations(custom, policies)]
