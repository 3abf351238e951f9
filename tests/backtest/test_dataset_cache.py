"""A validated dataset is kept for the next run of the same file, and only then."""

import numpy as np
import pytest

from backtest import dataset_cache
from backtest.dataset import DataError
from tests.backtest.data import T0, row, write_rows


def _data(tmp_path, name="data.csv", count=5):
    return write_rows(tmp_path / name, [row(n, f"acct-{n % 2}", timestamp=T0 + n,
                                            channel="" if n == 3 else "pos")
                                        for n in range(count)])


def test_the_next_run_of_a_file_reads_what_the_first_validated(tmp_path):
    cache = tmp_path / "cache"
    data = _data(tmp_path)
    first, cached = dataset_cache.read(data, cache)
    assert not cached
    assert len(list(cache.glob("*.npz"))) == 1
    again, cached = dataset_cache.read(data, cache)
    assert cached
    assert again.ids == first.ids
    assert again.texts == first.texts  # the missing channel included
    for name in ("timestamps", "cents", "fraud", "lines"):
        assert np.array_equal(getattr(again, name), getattr(first, name))
    assert list(again.transactions()) == list(first.transactions())


def test_a_changed_file_or_changed_rules_are_validated_again(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    data = _data(tmp_path)
    dataset_cache.read(data, cache)
    _data(tmp_path, count=6)
    assert not dataset_cache.read(data, cache)[1]
    rules = tmp_path / "rules.py"
    rules.write_text("# the API's validation", encoding="utf-8")
    monkeypatch.setattr(dataset_cache, "_RULES", (rules,))
    dataset_cache.read(data, cache)
    assert dataset_cache.read(data, cache)[1]
    rules.write_text("# stricter now", encoding="utf-8")
    assert not dataset_cache.read(data, cache)[1]


def test_a_validation_from_the_future_is_not_trusted(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    data = _data(tmp_path)
    dataset_cache.read(data, cache)
    monkeypatch.setattr(dataset_cache, "now_ms", lambda: T0 + 60_000)  # a clock set back
    assert not dataset_cache.read(data, cache)[1]


def test_an_invalid_file_is_not_kept(tmp_path):
    cache = tmp_path / "cache"
    data = write_rows(tmp_path / "bad.csv", [{**row(1, timestamp=T0), "amount": "0"}])
    for _ in range(2):
        with pytest.raises(DataError, match="line 2: amount"):
            dataset_cache.read(data, cache)
    assert not cache.exists()


def test_only_the_latest_few_are_kept(tmp_path):
    cache = tmp_path / "cache"
    for count in range(2, 2 + dataset_cache.KEEP + 2):
        dataset_cache.read(_data(tmp_path, f"data-{count}.csv", count), cache)
    assert len(list(cache.glob("*.npz"))) == dataset_cache.KEEP


def test_without_a_writable_cache_the_run_goes_on_and_says_so(tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    dataset, cached = dataset_cache.read(_data(tmp_path), blocked / "cache")
    assert (len(dataset), cached) == (5, False)
    assert "note: not kept for the next run" in capsys.readouterr().err
