"""``python -m backtest train``: fit a random forest on a replay's features, export it as JSON.

The features of each transaction of the training window are those the replay's scorer would
read (``backtest.entity_scorer``), labels arriving after the delay as they would live, of them
``common.features.MODEL_FEATURES`` (amounts only relative to the account's and the merchant's
own); the target is the transaction's own label. scikit-learn trains (``pip install -e '.[train]'``,
``make train``); the artifact is plain JSON that ``common.model`` serves without it. Seeds are
fixed, so one dataset and window give one artifact.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common.features import FEATURE_NAMES, MODEL_FEATURES
from common.model import FORMAT, LEAF
from common.rules import RuleConfig

from backtest.dataset import Dataset
from backtest.entity_scorer import FeatureRecorder
from backtest.replay import Window, replay

# 50 trees of depth 10, leaves of at least 5 transactions: docs/backtest.md's variants table.
TREES, MAX_DEPTH, MIN_LEAF, SEED = 50, 10, 5, 0
DIGITS = 6  # the node values' and thresholds' precision in the artifact


class TrainingError(ValueError):
    """A training run that cannot go ahead; the message says why."""


def training_set(dataset: Dataset, window: Window, label_delay_days: int,
                 progress: Callable[[int, int], None]) -> tuple[np.ndarray, np.ndarray]:
    """The window's vectors of :data:`MODEL_FEATURES` (in that order) and fraud labels."""
    rules = RuleConfig()
    recorder = FeatureRecorder(rules, label_delay_days)
    replayed = replay(dataset, rules, window, label_delay_days, scorer=recorder,
                      progress=progress)
    columns = [FEATURE_NAMES.index(name) for name in MODEL_FEATURES]
    vectors = np.array(recorder.vectors, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
    return vectors[:, columns], dataset.fraud[replayed.rows]


def _tree(estimator: Any) -> dict[str, list]:
    tree = estimator.tree_
    counts = tree.value[:, 0, :]
    fraud_share = counts[:, 1] / counts.sum(axis=1)
    leaf = tree.children_left == -1
    return {"feature": np.where(leaf, 0, tree.feature).tolist(),
            "threshold": np.where(leaf, 0.0, tree.threshold).round(DIGITS).tolist(),
            "left": np.where(leaf, LEAF, tree.children_left).tolist(),
            "right": np.where(leaf, LEAF, tree.children_right).tolist(),
            "value": fraud_share.round(DIGITS).tolist()}


def train(vectors: np.ndarray, frauds: np.ndarray, label_delay_days: int,
          trees: int = TREES, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The artifact of a forest fitted on ``vectors`` (of :data:`MODEL_FEATURES`) and
    ``frauds``."""
    try:
        from sklearn.ensemble import RandomForestClassifier
    except ImportError:
        raise TrainingError("scikit-learn is not installed: `make train` installs the "
                            "training extra (pip install -e '.[train]')") from None
    if len(vectors) == 0 or frauds.all() or not frauds.any():
        raise TrainingError("the training window needs both fraud and genuine transactions")
    forest = RandomForestClassifier(n_estimators=trees, max_depth=max_depth,
                                    min_samples_leaf=MIN_LEAF, random_state=SEED, n_jobs=1)
    forest.fit(vectors, frauds)
    body = {"format": FORMAT, "labelDelayDays": label_delay_days,
            "features": list(MODEL_FEATURES), "trees": [_tree(e) for e in forest.estimators_]}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return {"format": FORMAT, "modelVersion": f"forest-{digest}", **body}


def write_artifact(artifact: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(artifact, separators=(",", ":")) + "\n", encoding="utf-8")
