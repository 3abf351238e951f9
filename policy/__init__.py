"""The platform's guardrails as a Pulumi policy pack (pulumi-policy, Python).

``pulumi preview --policy-pack policy/`` runs ``policy/__main__.py``, which serves
:data:`policy.pack.POLICIES` to the CLI; ``make preview-all`` and ``make deploy-all`` pass the
flag, every policy is mandatory. The test suite runs the same policies over every layer's
resources under Pulumi's mocks (tests/harness/policy_check.py).
"""
