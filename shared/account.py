"""``fraud:accountId``: the only AWS account a layer deploys to, enforced by the AWS provider.

With the setting, every layer uses one explicit AWS provider whose ``allowed_account_ids`` is that
account: the provider asks STS who the credentials belong to when it starts and refuses any
other account, before any resource or data source is read or changed. Two stack transforms
hand that provider to every AWS resource and every AWS invoke (``get_caller_identity``,
``get_partition``, ...) the layer declares without one of its own, so a resource added later is
covered too. Without the setting, the engine's default provider serves, as before.

(The deploy preflight compares the same setting with STS's answer first, so ``make deploy-all``
stops before any layer with a message; the provider is the guard for a plain ``pulumi up``.)
"""

import pulumi
import pulumi_aws as aws

from shared.settings import Settings

PROVIDER_NAME = "aws-allowed-account"


def _is_aws(token: str) -> bool:
    return token.startswith("aws:")


def pin_account(settings: Settings) -> aws.Provider | None:
    """The account-pinned provider, made the layer's provider for AWS; ``None`` without
    ``fraud:accountId``."""
    if settings.account_id is None:
        return None
    provider = aws.Provider(PROVIDER_NAME, region=settings.region,
                            allowed_account_ids=[settings.account_id])

    def resources(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.custom or not _is_aws(args.type_) or args.opts.provider is not None:
            return None
        return pulumi.ResourceTransformResult(
            props=args.props,
            opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(provider=provider)))

    def invokes(args: pulumi.InvokeTransformArgs) -> pulumi.InvokeTransformResult | None:
        if not _is_aws(args.token) or args.opts.provider is not None:
            return None
        return pulumi.InvokeTransformResult(
            args=args.args,
            opts=pulumi.InvokeOptions.merge(args.opts, pulumi.InvokeOptions(provider=provider)))

    pulumi.runtime.register_resource_transform(resources)
    pulumi.runtime.register_invoke_transform(invokes)
    return provider
