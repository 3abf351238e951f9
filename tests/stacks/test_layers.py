"""Every layer, as a Pulumi project and as a program, meets the house rules."""

import json

import pulumi
import pytest
import yaml

from shared.account import PROVIDER_NAME
from shared.layers import COMPUTE, DATA, EDGE, LAYERS, OBSERVABILITY, UPSTREAM
from shared.settings import DEFAULT_REGION
from shared.tags import accepts_tags
from tests.harness.chain import DEFAULT, run_chain
from tests.harness.pulumi_mocks import REPO_ROOT, STACKS_DIR, run_layer

STACK_REFERENCE = "pulumi:pulumi:StackReference"


def test_stacks_folder_holds_exactly_the_layers():
    assert sorted(p.name for p in STACKS_DIR.iterdir() if p.is_dir()) == sorted(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_is_a_python_project_on_the_shared_venv(layer):
    project = yaml.safe_load((STACKS_DIR / layer / "Pulumi.yaml").read_text())
    assert project["name"] == layer
    assert project["runtime"]["name"] == "python"
    venv = (STACKS_DIR / layer / project["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == REPO_ROOT / ".venv"
    assert project["config"]["aws:region"] == DEFAULT_REGION
    assert (STACKS_DIR / layer / "__main__.py").is_file()


def test_example_stacks_configure_every_layer_alike():
    """fraud:* values must agree across layers (tags, suffix); the examples show it."""
    configs = {layer: yaml.safe_load((STACKS_DIR / layer / "Pulumi.dev.yaml").read_text())
               for layer in LAYERS}
    assert len({yaml.safe_dump(config) for config in configs.values()}) == 1


def test_every_layer_runs_and_exports_under_the_chain(chain):
    assert list(chain) == list(LAYERS)
    for run in chain.values():
        assert run.outputs is not None


def test_every_taggable_resource_carries_the_configured_tags(chain, configuration):
    expected = {
        "Environment": configuration.config.get("fraud:environment", "production"),
        "CostCenter": configuration.config.get("fraud:costCenter", "fraud-detection"),
    }
    for layer, run in chain.items():
        for resource in run.resources:
            if resource.custom and accepts_tags(resource.type):
                tags = resource.inputs.get("tags") or {}
                assert {k: tags.get(k) for k in expected} == expected, (layer, resource.name)


def test_nothing_is_protected_or_retained(chain):
    for layer, run in chain.items():
        for resource in run.resources:
            assert not resource.protect, (layer, resource.name)
            assert not resource.retain_on_delete, (layer, resource.name)


@pytest.mark.parametrize("layer", LAYERS)
def test_bad_config_stops_the_program_naming_the_key(layer):
    with pytest.raises(pulumi.RunError, match=r"fraud:apiAuth = 'basic' is invalid: expected "
                                              r"one of iam, api-key"):
        run_layer(layer, config={"fraud:apiAuth": "basic"})


def test_each_layer_reads_exactly_the_upstream_layers_the_catalog_names(chain):
    """make preview-all decides what can be previewed from UPSTREAM: it must be the truth."""
    for layer, run in chain.items():
        read = {r.inputs["name"].split("/")[1] for r in run.of_type(STACK_REFERENCE)}
        assert read == set(UPSTREAM[layer]), layer


@pytest.mark.parametrize(("layer", "key", "value"), [
    (COMPUTE, "fraud:environmentSuffix", "dev2"),
    (EDGE, "aws:region", "eu-west-1"),
    (OBSERVABILITY, "fraud:environmentSuffix", "prod"),
])
def test_a_layer_that_disagrees_with_the_data_layer_stops_at_start_naming_it(layer, key, value):
    upstream = run_chain(DEFAULT).upstream_of(layer)
    with pytest.raises(pulumi.RunError) as error:
        run_layer(layer, config={key: value}, upstream=upstream)
    message = str(error.value)
    assert "the layers of stack dev disagree" in message
    data_value = {"fraud:environmentSuffix": "dev", "aws:region": "us-east-2"}[key]
    assert f"{key} is {value!r} in {layer} but {data_value!r} in {DATA}" in message
    assert f"make config-set STACK=dev KEY={key} VALUE={data_value}" in message


def test_a_downstream_layer_before_the_data_layer_is_deployed_says_so():
    with pytest.raises(pulumi.RunError, match=rf"{DATA} \(stack dev\) exports no agreedSettings: "
                                              rf"deploy it first"):
        run_layer(COMPUTE, upstream={})


def test_fraud_account_id_pins_every_aws_resource_and_invoke_to_one_account(chain, settings):
    """With fraud:accountId (the alternate configuration), one explicit provider refuses any
    other account, and every AWS resource and data source of every layer goes through it."""
    pinned = f"pulumi:providers:aws::{PROVIDER_NAME}"
    for layer, run in chain.items():
        providers = [r for r in run.resources if r.type == "pulumi:providers:aws"]
        aws_resources = {r.provider for r in run.resources
                         if r.custom and r.type.startswith("aws:")}
        aws_invokes = {provider for token, provider in run.invoke_providers
                       if token.startswith("aws:")}
        if settings.account_id is None:
            assert (providers, aws_resources) == ([], {""}), layer  # the default provider
            continue
        [provider] = providers
        assert json.loads(provider.inputs["allowedAccountIds"]) == [settings.account_id], layer
        assert provider.inputs["region"] == settings.region
        assert aws_resources == {pinned}, layer
        assert aws_invokes <= {pinned}, layer
