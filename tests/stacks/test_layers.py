"""Every layer, as a Pulumi project and as a program, meets the house rules."""

import pulumi
import pytest
import yaml

from shared.layers import LAYERS
from shared.settings import DEFAULT_REGION
from shared.tags import accepts_tags
from tests.harness.pulumi_mocks import REPO_ROOT, STACKS_DIR, run_layer


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
