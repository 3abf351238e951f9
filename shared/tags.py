"""``Environment`` and ``CostCenter`` on every taggable resource, by one stack transform.

A transform (rather than ``tags=`` at each call site) means a resource added tomorrow is
tagged too; it merges, so a resource's own tags (``Name``, say) are kept.
"""

import functools
import importlib
import inspect

import pulumi


def tag_every_resource(tags: dict[str, str]) -> None:
    """Register a stack transform that merges ``tags`` into every taggable AWS resource."""

    def add_tags(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.custom or not accepts_tags(args.type_):
            return None
        props = dict(args.props)
        props["tags"] = {**tags, **(props.get("tags") or {})}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    pulumi.runtime.register_resource_transform(add_tags)


@functools.cache
def accepts_tags(type_token: str) -> bool:
    """Whether the resource type (``aws:s3/bucket:Bucket``) has a ``tags`` input.

    Read from the pulumi-aws SDK itself, so the answer follows the pinned provider version.
    """
    package, module_path, class_name = type_token.split(":")
    if package != "aws":
        return False
    module = module_path.split("/")[0]
    for candidate in (module, f"{module}_"):  # `lambda` is `lambda_` in Python
        try:
            sdk_module = importlib.import_module(f"pulumi_aws.{candidate}")
        except ImportError:
            continue
        resource_class = getattr(sdk_module, class_name, None)
        if resource_class is not None:
            return "tags" in inspect.signature(resource_class._internal_init).parameters
    return False
