"""The command line of a script that writes a generated file the repository commits."""

import argparse
import sys
from pathlib import Path


def write_or_check(argv: list[str] | None, description: str, target: Path, text: str,
                   script: str, summary: str) -> int:
    """Write ``text`` to ``target`` (saying ``summary`` of it), or with ``--check`` exit 1 when
    the committed file differs (naming ``script``, the caller's ``__file__``, to run): a test
    runs the check, so the two never drift apart."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args(argv)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run scripts/{Path(script).name}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({summary})")
    return 0
