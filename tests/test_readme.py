"""The README as the package index shows it: install line first, every link absolute."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
URLS = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["urls"]
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
_BARE = re.compile(r"(?<![(<\w])(?P<target>https?://[^\s)<>;,]+)")


def top() -> str:
    """What a reader sees before the first example."""
    return README.split("## Use it", 1)[0]


def links() -> list[str]:
    return [found["target"] for found in _LINK.finditer(README)] + [
        found["target"].rstrip(".") for found in _BARE.finditer(README)
    ]


def test_the_install_line_and_the_two_setup_commands_come_first() -> None:
    assert re.search(r'^pip install "pepperpy-caching\[[\w,]+\]"', top(), re.MULTILINE)
    assert (
        "scripts/demo.sh        # sets up .venv, then runs the live demo "
        "(python -m pepperpy.caching demo)\n"
        "scripts/test.sh        # sets up .venv and redis-server, then runs the whole "
        "test suite\n"
    ) in top()


def test_every_link_is_absolute() -> None:
    found = links()
    assert found
    relative = [target for target in found if not target.startswith(("https://", "#"))]
    assert relative == []


def test_documentation_links_lead_to_pages_that_exist() -> None:
    docs = URLS["Documentation"]
    pages = [target[len(docs) :] for target in links() if target.startswith(docs)]
    assert len(pages) >= 10
    for page in pages:
        if page:
            assert page.endswith(".html"), page
            assert (ROOT / "docs" / page.removesuffix(".html")).with_suffix(".rst").is_file(), page


def test_repository_links_lead_to_files_that_exist() -> None:
    source = URLS["Source"].rstrip("/")
    targets = [t for t in links() if t.startswith(source + "/")]
    assert targets
    for target in targets:
        path = re.sub(r"^/(blob|tree)/main/", "", target[len(source) :])
        assert (ROOT / path).exists(), target


def test_the_metadata_names_documentation_source_and_changelog() -> None:
    assert {"Documentation", "Source", "Changelog"} <= set(URLS)
    assert all(url.startswith("https://") for url in URLS.values())
