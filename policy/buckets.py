"""Every bucket private, TLS-only and encrypted, judged with the configuration resources that
provider v7 models separately (public access block, bucket policy, encryption, logging).

A configuration resource belongs to the bucket its ``bucket`` input comes from: the engine's
property dependencies say so even during a preview, when the bucket's name is not known yet.

Encryption: SSE-KMS with a customer-managed key, with one exception. S3 server access logging
delivers to a destination bucket whose default encryption is SSE-S3 only: "Default server-side
encryption with AWS KMS keys (SSE-KMS) is not supported" (Amazon S3 User Guide, Enabling Amazon
S3 server access logging, https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
So a bucket that is the target of a server access logging configuration in the stack, and only
such a bucket, may use SSE-S3 (AES256).
"""

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policy.encryption import AWS_MANAGED_KEY_PREFIX
from policy.props import as_list, get, is_set, policy_document

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION = ("aws:s3/bucketServerSideEncryptionConfiguration:"
              "BucketServerSideEncryptionConfiguration")
LOGGING = "aws:s3/bucketLogging:BucketLogging"
PUBLIC_ACCESS_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                          "restrictPublicBuckets")
SSE_S3 = "AES256"
SSE_KMS = "aws:kms"


def attached(bucket: PolicyResource, resources: list[PolicyResource], resource_type: str,
             key: str = "bucket") -> Iterator[PolicyResource]:
    """The ``resource_type`` resources whose ``key`` input is ``bucket``'s."""
    for resource in resources:
        if resource.resource_type == resource_type and any(
                dependency.urn == bucket.urn
                for dependency in resource.property_dependencies.get(key, [])):
            yield resource


def denies_insecure_transport(document: Any) -> bool:
    """A statement denying every S3 action to everyone when ``aws:SecureTransport`` is false."""
    for statement in as_list(get(document, "Statement")):
        principal = get(statement, "Principal")
        if (get(statement, "Effect") == "Deny"
                and principal in ("*", {"AWS": "*"})
                and "s3:*" in as_list(get(statement, "Action"))
                and str(get(statement, "Condition", "Bool", "aws:SecureTransport")).lower()
                == "false"):
            return True
    return False


def encryption_problem(rules: list[Any], log_target: bool) -> str | None:
    """Why a bucket's default encryption falls short; ``None`` when it does not."""
    defaults = [get(rule, "applyServerSideEncryptionByDefault") for rule in rules]
    algorithms = {get(default, "sseAlgorithm") for default in defaults if default}
    if algorithms == {SSE_KMS}:
        for default in defaults:
            key = get(default, "kmsMasterKeyId") if is_set(default, "kmsMasterKeyId") else None
            if not is_set(default, "kmsMasterKeyId") or (
                    isinstance(key, str) and key.startswith(AWS_MANAGED_KEY_PREFIX)):
                return "SSE-KMS without a customer-managed key (kmsMasterKeyId)"
        return None
    if algorithms == {SSE_S3} and log_target:
        return None  # S3 server access logging supports no other default (module docstring)
    if algorithms == {SSE_S3}:
        return ("SSE-S3: only a server access logging destination may use it; encrypt with the "
                "project key (SSE-KMS)")
    return "no default encryption configuration"


def validate_buckets(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = args.resources
    for bucket in (r for r in resources if r.resource_type == BUCKET):
        name = bucket.name
        blocks = list(attached(bucket, resources, PUBLIC_ACCESS_BLOCK))
        if not any(all(get(block.props, setting) is True for setting in PUBLIC_ACCESS_SETTINGS)
                   for block in blocks):
            report_violation(f"bucket {name} does not block public access with all four "
                             f"settings ({', '.join(PUBLIC_ACCESS_SETTINGS)})", bucket.urn)
        policies = [policy_document(get(policy.props, "policy"))
                    for policy in attached(bucket, resources, BUCKET_POLICY)]
        if not any(document and denies_insecure_transport(document) for document in policies):
            report_violation(f"bucket {name} has no policy denying requests without TLS "
                             "(s3:* when aws:SecureTransport is false)", bucket.urn)
        rules = [rule for configuration in attached(bucket, resources, ENCRYPTION)
                 for rule in as_list(get(configuration.props, "rules"))]
        log_target = any(attached(bucket, resources, LOGGING, key="targetBucket"))
        problem = encryption_problem(rules, log_target)
        if problem:
            report_violation(f"bucket {name}: {problem}", bucket.urn)
