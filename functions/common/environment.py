"""Names of the environment variables the handlers read their settings from.

The compute stack and the local mode set them (see ``shared.lambdas.function_environment``);
the handlers read them. Nothing else names these variables.
"""

TRANSACTIONS_TABLE = "TRANSACTIONS_TABLE"
BY_ACCOUNT_INDEX = "BY_ACCOUNT_INDEX"
BY_FLAGGED_DAY_INDEX = "BY_FLAGGED_DAY_INDEX"
BY_LABELLED_FRAUD_DAY_INDEX = "BY_LABELLED_FRAUD_DAY_INDEX"
STATS_TABLE = "STATS_TABLE"
FEATURES_TABLE = "FEATURES_TABLE"  # the entity-day aggregates (common.entity_days)
ALERTS_QUEUE_URL = "ALERTS_QUEUE_URL"
NOTIFICATIONS_TOPIC_ARN = "NOTIFICATIONS_TOPIC_ARN"
REPORTS_BUCKET = "REPORTS_BUCKET"
KMS_KEY_ARN = "KMS_KEY_ARN"
RULE_OVERRIDES = "RULE_OVERRIDES"  # JSON object of rule thresholds and weights
REFERENCE_CURRENCY = "REFERENCE_CURRENCY"  # the currency amount thresholds are in
EXCHANGE_RATES = "EXCHANGE_RATES"  # JSON object: units of each currency per reference unit
MODEL = "MODEL"  # detect-fraud's model: "default", "none" or an own artifact (shared.lambdas)
MODEL_IN_FORCE = "MODEL_IN_FORCE"  # generate-report: "true" when detect-fraud serves a model
ALERT_CLAIM_SECONDS = "ALERT_CLAIM_SECONDS"  # how long notify-team's claim on an alert holds
REPORT_ACCOUNT_IDS = "REPORT_ACCOUNT_IDS"  # masked (unset) or full: the daily report's ids
