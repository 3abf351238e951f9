"""The backtest's tests keep their validated datasets away from the working tree's cache."""

import pytest

from backtest import dataset_cache


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_cache, "DEFAULT_DIR", tmp_path / "validated")
