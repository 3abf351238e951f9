"""The repository stands alone: its documentation is in it, and every link in it resolves."""

import re
import subprocess
from pathlib import Path

import pytest

from shared.api_document import REPO_ROOT

DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    files = [REPO_ROOT / name for name in listed if name]
    return [path for path in files if path.is_file() and b"\0" not in path.read_bytes()[:4096]]


def _anchors(markdown: Path) -> set[str]:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", markdown.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_nothing_points_outside_the_repository():
    outside = re.compile(r"\.\./shared/|SPEC\.md|SPEC §|/work/")
    offenders = [str(path.relative_to(REPO_ROOT)) for path in _tracked_text_files()
                 if path.name != Path(__file__).name
                 and outside.search(path.read_text(encoding="utf-8", errors="replace"))]
    assert offenders == []


def test_the_readme_leads_to_the_contract():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/README.md)" in readme
    index = (REPO_ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for page in DOCUMENTS[1:]:
        assert page.name == "README.md" or f"]({page.name})" in index, page.name


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_resolves(document):
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        path = (document.parent / file_part).resolve() if file_part else document
        assert path.exists(), f"{document.name}: {target}"
        assert REPO_ROOT in path.parents or path == REPO_ROOT, f"{document.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path), f"{document.name}: {target}"
