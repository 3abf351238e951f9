"""Run the five layers in deploy order, each StackReference answered with the real exports of
the layer it names, so a renamed or missing output fails the downstream layer's run.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from shared.layers import LAYERS
from shared.refs import SELF_MANAGED_ORG
from shared.settings import Settings, settings_from_config
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

    @property
    def settings(self) -> Settings:
        """The settings the layers read from this configuration (defaults filled in)."""
        return settings_from_config(self.config, stack=self.stack)


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
        # A reservation per function, one without: what the account's quota allows.
        "fraud:reservedConcurrency": ('{"process-transaction": 30, "detect-fraud": 10, '
                                      '"notify-team": 2, "generate-report": "none"}'),
        "fraud:lambdaMemoryMb": "1024",
        "fraud:lambdaRuntime": "python3.12",
        "fraud:alertEmail": "fraud-team@example.com",
        "fraud:apiThrottleRateLimit": "250.5",  # 25 executions busy at the 100 ms budget
        "fraud:apiThrottleBurstLimit": "30",
        "fraud:apiAuth": "api-key",
        "fraud:logRetentionDays": "14",
        "fraud:reportRetentionDays": "400",
        "fraud:vpcCidr": "10.60.0.0/20",
        "fraud:azCount": "3",
        "fraud:streamBatchSize": "50",
        "fraud:streamBatchWindowSeconds": "2",
        "fraud:reportAccountIds": "full",
        "fraud:waf": "false",
        "fraud:protectData": "true",
        "fraud:accountId": "123456789012",  # the mocks' account (AWS's documentation example)
    },
)
CONFIGURATIONS = {"default": DEFAULT, "alternate": ALTERNATE}


class Chain(Mapping[str, ProgramRun]):
    """The layers' runs by layer, each run on first access together with the layers before it.

    A test about the data layer runs network and data only; walking the whole mapping runs all
    five. Runs are cached: tests only read them.
    """

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        self._runs: dict[str, ProgramRun] = {}
        self._exports: dict[str, dict] = {}

    def __getitem__(self, layer: str) -> ProgramRun:
        if layer not in LAYERS:
            raise KeyError(layer)
        for upstream_layer in LAYERS[: LAYERS.index(layer) + 1]:
            if upstream_layer not in self._runs:
                self._run(upstream_layer)
        return self._runs[layer]

    def __iter__(self) -> Iterator[str]:
        return iter(LAYERS)

    def __len__(self) -> int:
        return len(LAYERS)

    def upstream_of(self, layer: str) -> dict[str, dict]:
        """The exports of the layers before ``layer``, keyed as its StackReferences ask."""
        for upstream_layer in LAYERS[: LAYERS.index(layer)]:
            self[upstream_layer]
        return dict(self._exports)

    def _run(self, layer: str) -> None:
        configuration = self.configuration
        run = run_layer(layer, stack=configuration.stack, config=configuration.config,
                        upstream=self._exports, organization=configuration.organization)
        self._runs[layer] = run
        self._exports[f"{configuration.org}/{layer}/{configuration.stack}"] = run.outputs


def run_chain(configuration: Configuration) -> Chain:
    """The five layers under ``configuration``, run in deploy order as tests read them."""
    return Chain(configuration)
