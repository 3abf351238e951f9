"""data-dynamodb-s3-kms

The KMS key, the DynamoDB tables, the reports bucket, the SQS queues and the SNS topic.

Not built yet (issue #3); it validates the configuration and exports nothing.
"""

from shared.program import start_layer

settings = start_layer()
