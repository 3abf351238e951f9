"""Each function as Lambda runs it: its package and common/ alone, its own environment only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.lambdas import (
    DETECT_FRAUD,
    LAMBDAS,
    OWN_MODEL,
    LambdaSpec,
    alert_claim_environment,
    function_environment,
    write_archive_layout,
)
from shared.outputs import DataOutputs
from shared.settings import parse_settings
from tests.harness.model_artifact import OWN_VERSION, own_artifact

FAKE_OUTPUTS = {value: f"example-{value}" for name, value in vars(DataOutputs).items()
                if name.isupper()}


def run_in_archive(spec: LambdaSpec, root: Path, code: str, **extra_env: str):
    environment = {
        "PATH": os.environ["PATH"], "PYTHONPATH": str(root), "AWS_DEFAULT_REGION": "us-east-2",
        # No credentials anywhere: not in the environment, files or instance metadata.
        "AWS_CONFIG_FILE": str(root / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(root / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **function_environment(spec, FAKE_OUTPUTS), **alert_claim_environment(spec), **extra_env,
    }
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_each_handler_imports_from_its_archive_without_credentials(spec, tmp_path):
    root = write_archive_layout(spec, tmp_path)
    module, _, function = spec.handler.rpartition(".")
    result = run_in_archive(spec, root, f"import {module} as m; assert callable(m.{function}); "
                                        f"print(m.__file__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(root))


def test_bad_rule_overrides_stop_detect_fraud_at_start_with_a_clear_error(tmp_path):
    [spec] = [spec for spec in LAMBDAS if spec.package == "detect_fraud"]
    result = run_in_archive(spec, write_archive_layout(spec, tmp_path), "import detect_fraud.app",
                            RULE_OVERRIDES='{"velocityWindow": 30}')
    assert result.returncode != 0
    assert "RuleConfigError: invalid rule overrides" in result.stderr
    assert "unknown key 'velocityWindow'" in result.stderr


def test_detect_fraud_serves_the_packaged_model_without_numpy_or_scikit_learn(tmp_path):
    [spec] = [spec for spec in LAMBDAS if spec.package == "detect_fraud"]
    root = write_archive_layout(spec, tmp_path)
    assert (root / "detect_fraud" / "model.json").is_file()
    result = run_in_archive(spec, root, "import sys, detect_fraud.app as m; "
                                        "print(m.FOREST.version, len(m.FOREST.trees)); "
                                        "print(sorted({'numpy', 'sklearn'} & set(sys.modules)))",
                            MODEL="default")
    assert result.returncode == 0, result.stderr
    served, loaded = result.stdout.splitlines()
    assert served.startswith("forest-")
    assert served.endswith(" 50")
    assert loaded == "[]"


def test_detect_fraud_serves_an_own_artifact_from_its_archive(tmp_path):
    settings = parse_settings({"model": str(own_artifact(tmp_path))}, stack="dev")
    root = write_archive_layout(DETECT_FRAUD, tmp_path / "task", settings)
    assert (root / "detect_fraud" / OWN_MODEL).is_file()
    result = run_in_archive(DETECT_FRAUD, root, "import detect_fraud.app as m; "
                                                "print(m.FOREST.version)", MODEL=OWN_MODEL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == OWN_VERSION
