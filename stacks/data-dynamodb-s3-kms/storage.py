"""The reports bucket: SSE-KMS with the project key, versioned, private, aged out by lifecycle.

The upload rule (:func:`bucket_policy`): an upload may leave encryption to the bucket's default
(SSE-KMS with the project key and a bucket key), or state it, but then only as ``aws:kms`` with
the project key's ARN (``ServerSideEncryption="aws:kms"``, ``SSEKMSKeyId=<key ARN>``, as
generate-report does). Anything else is refused: another algorithm, another key, the key by id
or alias instead of ARN, or ``aws:kms`` without a key id (which S3 would serve with the AWS
managed ``aws/s3`` key). The denies test a header only when the request carries it: a blanket
"deny unless the header equals" would also refuse the parts of a multipart upload, which
never carry encryption headers.
"""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# Reports are read mostly in their first month, rarely after a quarter: (days, storage class).
TRANSITIONS = ((30, "STANDARD_IA"), (90, "GLACIER_IR"))
# A regenerated report's replaced version stays recoverable for a month.
NONCURRENT_VERSION_EXPIRY_DAYS = 30
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 7



def lifecycle_transitions(retention_days: int) -> list[tuple[int, str]]:
    """The transitions that come before the reports expire: S3 refuses a rule whose expiry is
    not after its last transition, and moving an object that is about to go saves nothing. A
    retention of 90 days or less keeps the reports out of the colder classes that late."""
    return [(days, storage_class) for days, storage_class in TRANSITIONS
            if days < retention_days]


SSE_HEADER = "s3:x-amz-server-side-encryption"
SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def bucket_policy(bucket_arn: str, kms_key_arn: str) -> dict[str, Any]:
    """TLS only, and uploads encrypted with the project key only (see the module docstring)."""
    objects = f"{bucket_arn}/*"

    def deny_upload(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                "Resource": objects, "Condition": condition}

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            deny_upload("DenyEncryptionOtherThanSseKms", {
                "Null": {SSE_HEADER: "false"},
                "StringNotEquals": {SSE_HEADER: "aws:kms"},
            }),
            deny_upload("DenyKmsKeyOtherThanProjectKey", {
                "Null": {SSE_KEY_HEADER: "false"},
                "StringNotEquals": {SSE_KEY_HEADER: kms_key_arn},
            }),
            deny_upload("DenySseKmsWithoutProjectKey", {
                "Null": {SSE_HEADER: "false", SSE_KEY_HEADER: "true"},
            }),
        ],
    }


@dataclass(frozen=True)
class ReportsBucketArgs:
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    retention_days: int


class ReportsBucket(pulumi.ComponentResource):
    """The bucket and its configuration resources (one per concern, as provider v7 models them)."""

    def __init__(self, name: str, args: ReportsBucketArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:data:ReportsBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # force_destroy: reports can be regenerated, and destroy must not stop at a full bucket.
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=args.bucket_name, force_destroy=True, opts=child)
        bucket_id = self.bucket.id

        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn),
                # One data key per bucket rather than per object: far fewer KMS requests.
                bucket_key_enabled=True,
            )],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="age-out-reports",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),  # all
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=days, storage_class=storage_class)
                    for days, storage_class in lifecycle_transitions(args.retention_days)
                ] or None,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=args.retention_days),
                noncurrent_version_expiration=aws.s3.
                BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=NONCURRENT_VERSION_EXPIRY_DAYS),
                abort_incomplete_multipart_upload=aws.s3.
                BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS),
            )],
            # S3's default, stated: objects under 128 KiB stay in Standard, where they are
            # cheaper than in the colder classes' 128 KiB minimum billable size.
            transition_default_minimum_object_size="all_storage_classes_128K",
            # The noncurrent-version rule presumes versioning: configure that first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=pulumi.Output.all(self.bucket.arn, args.kms_key_arn).apply(
                lambda arns: json.dumps(bucket_policy(*arns))),
            # S3 refuses a policy change while the public access block is still changing.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        self.register_outputs({"name": self.bucket.bucket, "arn": self.bucket.arn})
