"""Datasets already validated, kept so that the next run of the same file skips the checks.

Reading 1.75 million rows through the API's validation takes a minute or two; a risk team
replays the same file many times with other rule settings. A validated dataset is saved under
``.backtest/cache/``, named by the SHA-256 of the file's bytes and of the code that decides
what is valid (the API's validation, its schema, the reader), so a changed file or a changed
rule never reuses a stale result. Only files that passed are kept; a cache entry also records
when it was validated, since "not more than 5 minutes in the future" stays true as time
passes but not the other way round. The newest few entries are kept, the rest removed.
"""

import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import json_codec, privacy, validation
from common.clock import now_ms

from backtest import dataset as reader

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / ".backtest" / "cache"
KEEP = 3
_RULES = (Path(validation.__file__), Path(validation.__file__).with_name("transaction.schema.json"),
          Path(privacy.__file__), Path(json_codec.__file__), Path(reader.__file__), Path(__file__))


def key_of(path: Path) -> str:
    """The file's bytes and the validating code, hashed together."""
    digest = hashlib.sha256()
    for code in _RULES:
        digest.update(code.read_bytes())
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load(directory: Path, key: str, now: int, source: str) -> reader.Dataset | None:
    """The dataset saved under ``key`` if it was validated no later than ``now``."""
    entry = directory / f"{key}.npz"
    try:
        with np.load(entry, allow_pickle=False) as saved:
            if int(saved["validated_at"]) > now:
                return None
            texts = json.loads(str(saved["texts"]))
            ids = bytes(saved["ids"]).decode("utf-8").split("\n")
            dataset = reader.Dataset(
                source=source, ids=ids, timestamps=saved["timestamps"], cents=saved["cents"],
                fraud=saved["fraud"], lines=saved["lines"],
                codes={name: saved[f"code_{name}"] for name in texts}, texts=texts)
    except (OSError, KeyError, ValueError):
        return None  # absent, or not what this code writes: validate again
    os.utime(entry)  # recently used: kept longest
    return dataset


def save(directory: Path, key: str, dataset: reader.Dataset, now: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{key}.{os.getpid()}.npz"
    try:
        np.savez(temporary, validated_at=np.int64(now), texts=np.array(json.dumps(dataset.texts)),
                 ids=np.frombuffer("\n".join(dataset.ids).encode("utf-8"), dtype=np.uint8),
                 timestamps=dataset.timestamps, cents=dataset.cents, fraud=dataset.fraud,
                 lines=dataset.lines,
                 **{f"code_{name}": codes for name, codes in dataset.codes.items()})
        temporary.replace(directory / f"{key}.npz")
    finally:
        temporary.unlink(missing_ok=True)
    entries = sorted(directory.glob("*.npz"), key=lambda entry: entry.stat().st_mtime)
    for old in entries[:-KEEP]:
        old.unlink(missing_ok=True)


def read(path: Path, directory: Path | None = None,
         progress: Callable[[int, int], None] = lambda _done, _total: None,
         ) -> tuple[reader.Dataset, bool]:
    """The dataset in ``path``, from the cache if this file passed before; whether it had."""
    if not path.is_file():
        raise reader.DataError(f"{path}: no such file")
    directory = directory or DEFAULT_DIR
    now = now_ms()
    key = key_of(path)
    cached = load(directory, key, now, str(path))
    if cached is not None:
        return cached, True
    dataset = reader.read_dataset(path, now=now, progress=progress)
    try:
        save(directory, key, dataset, now)
    except OSError as error:  # a cache is a saving, not a must: say so and go on
        print(f"note: not kept for the next run ({error})", file=sys.stderr)
    return dataset, False
