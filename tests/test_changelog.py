"""CHANGELOG.md keeps the Keep a Changelog shape, and the docs and metadata point at it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
_RELEASE = re.compile(r"\[(?P<version>\d+\.\d+\.\d+\S*)\] - (?P<date>\d{4}-\d{2}-\d{2})")


def headings(level: int) -> list[str]:
    marks = "#" * level + " "
    return [line[len(marks) :] for line in CHANGELOG.splitlines() if line.startswith(marks)]


def test_one_title_then_unreleased_then_releases_newest_first() -> None:
    assert CHANGELOG.startswith("# Changelog\n")
    assert headings(1) == ["Changelog"]
    versions = headings(2)
    assert versions[0] == "[Unreleased]"
    releases = [_RELEASE.fullmatch(heading) for heading in versions[1:]]
    assert all(releases), versions
    dates = [found["date"] for found in releases if found]
    assert dates == sorted(dates, reverse=True)


def test_changes_are_grouped_by_the_kinds_keep_a_changelog_names() -> None:
    for kind in headings(3):
        assert kind in KINDS, kind
    section = ""
    for line in CHANGELOG.splitlines():
        if line.startswith("## "):
            section = line
            kinds: list[str] = []
        elif line.startswith("### "):
            assert line[4:] not in kinds, f"{line} twice under {section}"
            kinds.append(line[4:])


def test_every_version_heading_links_somewhere() -> None:
    for heading in headings(2):
        label = heading.split("]")[0] + "]"
        assert re.search(rf"^{re.escape(label)}: https://\S+$", CHANGELOG, re.MULTILINE), label


def test_the_docs_include_it_and_the_metadata_links_it() -> None:
    page = (ROOT / "docs" / "changelog.rst").read_text(encoding="utf-8")
    assert ".. include:: ../CHANGELOG.md" in page
    assert "changelog" in (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["urls"]
    assert urls["Changelog"].endswith("/CHANGELOG.md")
