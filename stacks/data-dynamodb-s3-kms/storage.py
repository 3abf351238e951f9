"""The reports bucket: SSE-KMS with the project key, versioned, private, aged out by lifecycle,
its requests logged to an access-log bucket kept alike (S3 server access logging).

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
from collections.abc import Callable
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
            deny_insecure_transport(bucket_arn),
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


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """Every request without TLS refused, for the bucket and its objects."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def access_log_bucket_policy(bucket_arn: str, source_bucket_arn: str,
                             account_id: str) -> dict[str, Any]:
    """TLS only, and S3's logging service writing the source bucket's access logs (its service
    principal, as AWS documents for buckets without ACLs, for this account's source only)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(bucket_arn),
            {
                "Sid": "S3ServerAccessLogsOfTheReportsBucket",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}*",
                "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn},
                              "StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


# Where the reports bucket's access logs land in the log bucket, partitioned by day.
ACCESS_LOG_PREFIX = "reports-bucket/"


@dataclass(frozen=True)
class PrivateBucketArgs:
    bucket_name: str
    retention_days: int
    # The bucket's default encryption: the project key (SSE-KMS), or None for SSE-S3, which is
    # all S3 server access logging can deliver into (see AccessLogBucket).
    kms_key_arn: pulumi.Input[str] | None
    policy: Callable[[str], pulumi.Input[str]]  # the bucket policy (JSON), given its ARN
    force_destroy: bool  # off with fraud:protectData: destroy then stops at a non-empty bucket


class PrivateBucket(pulumi.ComponentResource):
    """A bucket and its configuration resources (one per concern, as provider v7 models them):
    public access blocked, ACLs disabled, default encryption, versioning, the lifecycle, the
    bucket policy. The reports bucket and its access-log bucket are both one."""

    def __init__(self, name: str, args: PrivateBucketArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:data:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=args.bucket_name, force_destroy=args.force_destroy,
            opts=child)
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
        by_default = aws.s3.\
            BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=by_default(
                    sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn)
                if args.kms_key_arn is not None else by_default(sse_algorithm="AES256"),
                # One data key per bucket rather than per object: far fewer KMS requests.
                bucket_key_enabled=True if args.kms_key_arn is not None else None,
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
                id="age-out",
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
            policy=self.bucket.arn.apply(args.policy),
            # S3 refuses a policy change while the public access block is still changing.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.register_outputs({"name": self.bucket.bucket, "arn": self.bucket.arn})


@dataclass(frozen=True)
class ReportsBucketArgs:
    bucket_name: str
    access_log_bucket_name: str
    account_id: str
    kms_key_arn: pulumi.Input[str]
    retention_days: int
    force_destroy: bool


class ReportsBucket(pulumi.ComponentResource):
    """The reports bucket (SSE-KMS with the project key), and S3 server access logging of every
    request to it into a log bucket of its own.

    The log bucket has the same public-access, TLS, versioning and lifecycle rules, but SSE-S3:
    S3 server access logging does not support a destination whose default encryption is SSE-KMS
    ("Default server-side encryption with AWS KMS keys (SSE-KMS) is not supported", Amazon S3
    User Guide, Enabling Amazon S3 server access logging). The policy pack allows SSE-S3 on a
    server access log destination only (policy/buckets.py).
    """

    def __init__(self, name: str, args: ReportsBucketArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:data:ReportsBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        reports = PrivateBucket(name, PrivateBucketArgs(
            bucket_name=args.bucket_name,
            retention_days=args.retention_days,
            kms_key_arn=args.kms_key_arn,
            policy=lambda arn: pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda key: json.dumps(bucket_policy(arn, key))),
            force_destroy=args.force_destroy,
        ), opts=child)
        access_logs = PrivateBucket(f"{name}-access-logs", PrivateBucketArgs(
            bucket_name=args.access_log_bucket_name,
            retention_days=args.retention_days,
            kms_key_arn=None,
            policy=lambda arn: reports.bucket.arn.apply(lambda source: json.dumps(
                access_log_bucket_policy(arn, source, args.account_id))),
            force_destroy=args.force_destroy,
        ), opts=child)
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=reports.bucket.id,
            target_bucket=access_logs.bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime")),
            opts=child,
        )
        self.bucket = reports.bucket
        self.access_log_bucket = access_logs.bucket
        self.register_outputs({"name": self.bucket.bucket,
                               "accessLogBucket": self.access_log_bucket.bucket})
