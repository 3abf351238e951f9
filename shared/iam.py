"""IAM facts the layers and the policy pack share.

:data:`STAR_ONLY_ACTIONS` is the one list of actions an identity policy of the platform may grant
on ``"*"``: those AWS authorizes on no resource at all (the Service Authorization Reference lists
no resource type for them), so a narrower ``Resource`` would grant nothing. The policy pack
(policy/iam_grants.py) refuses ``"*"`` for any other action, and a test holds each entry to
parliament's copy of AWS's reference.
"""

STAR_ONLY_ACTIONS: dict[str, str] = {
    "ec2:DescribeNetworkInterfaces": "Lambda places a VPC function's network interfaces with the "
                                     "function's role (compute-lambdas)",
    "ec2:DescribeSubnets": "the same placement of a VPC function (compute-lambdas)",
    "dynamodb:ListStreams": "detect-fraud's stream mapping lists the table's streams "
                            "(compute-lambdas)",
    "logs:DescribeLogGroups": "VPC Flow Logs finds its log group with the delivery role "
                              "(observability-alarms)",
}
