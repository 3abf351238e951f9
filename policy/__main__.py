"""What the Pulumi CLI runs for ``--policy-pack policy/``: serves the pack until the CLI is done."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
