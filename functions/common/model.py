"""The trained model, served: a forest of decision trees read from a plain JSON artifact.

``python -m backtest train`` writes the artifact (scikit-learn trains it; nothing of it is
needed here: no numpy, no scikit-learn in a Lambda package). Scoring walks each tree; the
probability is the mean of the leaves' fraud shares. Each step down a tree moves the
probability by the child's share less the parent's; summed per feature over the trees (Saabas'
path contributions) they say which features moved this verdict most, and they add up to the
probability less the forest's base rate.

Artifact (``FORMAT``): ``{"format", "modelVersion", "labelDelayDays", "features": [names],
"trees": [{"feature": [...], "threshold": [...], "left": [...], "right": [...],
"value": [...]}]}``, one entry per node in each list; a leaf has ``left`` -1; a sample goes
left when its feature is ≤ the threshold. ``features`` names the features the artifact reads,
in its order, each one of ``common.features.FEATURE_NAMES`` (the shipped one reads
``MODEL_FEATURES``); a node's ``feature`` is a position in that list. The forest reads them
from the full feature vector by name, so a new feature leaves an older artifact servable.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from common.features import FEATURE_NAMES

FORMAT = "fraud-forest/1"
LEAF = -1


class ModelError(ValueError):
    """An artifact that cannot be served; the message says why."""


@dataclass(frozen=True)
class Tree:
    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]


@dataclass(frozen=True)
class Prediction:
    probability: float
    contributions: dict[str, float]  # per feature name: how much it moved the probability


@dataclass(frozen=True)
class Forest:
    version: str
    label_delay_days: int
    features: tuple[str, ...]  # the artifact's, in its order
    trees: tuple[Tree, ...]

    @cached_property
    def _positions(self) -> tuple[int, ...]:
        """Each artifact feature's position in the full :data:`FEATURE_NAMES` vector."""
        return tuple(FEATURE_NAMES.index(name) for name in self.features)

    def predict(self, vector: Sequence[Decimal | int]) -> Prediction:
        """``vector`` is the full :data:`FEATURE_NAMES` one; its features (``Decimal`` or
        ``int``) compare exactly with the float thresholds."""
        read = [vector[position] for position in self._positions]
        contributions = [0.0] * len(self.features)
        total = 0.0
        for tree in self.trees:
            node = 0
            while tree.left[node] != LEAF:
                child = (tree.left[node] if read[tree.feature[node]] <= tree.threshold[node]
                         else tree.right[node])
                contributions[tree.feature[node]] += tree.value[child] - tree.value[node]
                node = child
            total += tree.value[node]
        count = len(self.trees)
        return Prediction(total / count, {name: contribution / count for name, contribution
                                          in zip(self.features, contributions, strict=True)})


def _numbers(values: Any) -> tuple[float, ...]:
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError("a node's threshold or value is not a number")
    return tuple(values)


def forest_from_dict(artifact: dict[str, Any]) -> Forest:
    """Check and read an artifact; :class:`ModelError` when it is not one this code serves."""
    if not isinstance(artifact, dict) or artifact.get("format") != FORMAT:
        raise ModelError(f"not a {FORMAT} model artifact")
    features = artifact.get("features")
    if (not isinstance(features, list) or not features
            or not all(isinstance(name, str) for name in features)
            or len(set(features)) != len(features)):
        raise ModelError("malformed model artifact: its features are not a list of distinct "
                         "names")
    unknown = [name for name in features if name not in FEATURE_NAMES]
    if unknown:
        raise ModelError(f"the artifact reads features this code does not compute "
                         f"({', '.join(unknown)}; common.features.FEATURE_NAMES): retrain it")
    try:
        trees = tuple(Tree(tuple(t["feature"]), _numbers(t["threshold"]),
                           tuple(t["left"]), tuple(t["right"]), _numbers(t["value"]))
                      for t in artifact["trees"])
        version, delay = str(artifact["modelVersion"]), int(artifact["labelDelayDays"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"malformed model artifact: {error!r}") from None
    if not trees or any(len({len(tree.feature), len(tree.threshold), len(tree.left),
                             len(tree.right), len(tree.value)}) != 1 for tree in trees):
        raise ModelError("malformed model artifact: a tree's node lists differ in length")
    if any(not (isinstance(feature, int) and 0 <= feature < len(features))
           for tree in trees for feature in tree.feature):
        raise ModelError("malformed model artifact: a node's feature is not one of its features")
    return Forest(version, delay, tuple(features), trees)


def load_forest(path: Path) -> Forest:
    try:
        return forest_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        if isinstance(error, ModelError):
            raise
        raise ModelError(f"{path}: cannot read a model artifact ({error})") from None
