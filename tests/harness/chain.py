"""Run the five layers in deploy order, each StackReference answered with the real exports of
the layer it names, so a renamed or missing output fails the downstream layer's run.
"""

from dataclasses import dataclass, field

from shared.layers import LAYERS
from shared.refs import SELF_MANAGED_ORG
from tests.harness.pulumi_mocks import ProgramRun, run_layer


@dataclass(frozen=True)
class Configuration:
    """A stack name plus its ``fraud:*`` (and ``aws:*``) config, as ``pulumi config`` holds it."""

    stack: str
    config: dict[str, str] = field(default_factory=dict)
    organization: str | None = None  # what pulumi.get_organization() answers

    @property
    def org(self) -> str:
        return self.config.get("fraud:org") or self.organization or SELF_MANAGED_ORG


# Two configurations every layer is tested under: the defaults, and every knob turned.
DEFAULT = Configuration(stack="dev")
ALTERNATE = Configuration(
    stack="qa",
    organization="acme-cloud",
    config={
        "fraud:environmentSuffix": "qa7",
        "fraud:environment": "staging",
        "fraud:costCenter": "risk-ops",
        "fraud:org": "acme-fintech",
        "fraud:reservedConcurrency": "20",
        "fraud:lambdaMemoryMb": "1024",
        "fraud:lambdaRuntime": "python3.12",
        "fraud:alertEmail": "fraud-team@example.com",
        "fraud:apiThrottleRateLimit": "250",
        "fraud:apiThrottleBurstLimit": "500",
        "fraud:apiAuth": "api-key",
        "fraud:logRetentionDays": "14",
        "fraud:reportRetentionDays": "400",
        "fraud:vpcCidr": "10.60.0.0/20",
        "fraud:azCount": "3",
        "fraud:manageApiGatewayAccount": "false",
        "fraud:streamBatchSize": "50",
        "fraud:streamBatchWindowSeconds": "2",
    },
)
CONFIGURATIONS = {"default": DEFAULT, "alternate": ALTERNATE}


def run_chain(configuration: Configuration, upto: str = LAYERS[-1]) -> dict[str, ProgramRun]:
    """Run the layers from the first through ``upto``; returns each layer's run."""
    runs: dict[str, ProgramRun] = {}
    exports: dict[str, dict] = {}
    for layer in LAYERS[: LAYERS.index(upto) + 1]:
        run = run_layer(layer, stack=configuration.stack, config=configuration.config,
                        upstream=exports, organization=configuration.organization)
        runs[layer] = run
        exports[f"{configuration.org}/{layer}/{configuration.stack}"] = run.outputs
    return runs
