"""Custom CloudWatch metrics: the functions emit them (EMF via Powertools), dashboards read them.

Powertools adds a ``service`` dimension to every metric of a function's ``Metrics`` object,
valued with the function's id (``shared.lambdas`` ``LambdaSpec.id``, e.g. ``detect-fraud``).
:data:`RULE_HITS` is emitted on its own, one metric per rule code in :data:`RULE_DIMENSION`
(and :data:`LABELS_RECORDED` per label, FRAUD or GENUINE, in :data:`LABEL_DIMENSION`);
in Lambda it carries the ``service`` dimension too, because the compute stack sets
``POWERTOOLS_SERVICE_NAME`` (the dashboard charts it with both).
"""

NAMESPACE = "FraudDetection"

SERVICE_DIMENSION = "service"
RULE_DIMENSION = "rule"
LABEL_DIMENSION = "label"

# process-transaction
TRANSACTIONS_ACCEPTED = "TransactionsAccepted"  # new transactions stored (201)
TRANSACTIONS_REJECTED = "TransactionsRejected"  # invalid requests (400)
LABELS_RECORDED = "LabelsRecorded"  # labels written (replays not counted), per LABEL_DIMENSION
# detect-fraud
TRANSACTIONS_ANALYSED = "TransactionsAnalysed"  # verdicts written (replays not counted)
TRANSACTIONS_FLAGGED = "TransactionsFlagged"  # of which SUSPICIOUS
RULE_HITS = "RuleHits"  # per rule code, in the RULE_DIMENSION
# notify-team
ALERTS_NOTIFIED = "AlertsNotified"  # alerts sent in a digest
DIGESTS_SENT = "DigestsSent"  # SNS messages published
# generate-report
REPORTS_GENERATED = "ReportsGenerated"
