"""A fresh clone is self-contained: the README's links lead to files in the repository (the
design notes in docs/), nothing points at the shared folder beside it, and the benchmarks
read their vendored data (with its provenance) from benchmarks/data/."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tracked_text_files() -> list[Path]:
    suffixes = {".md", ".py", ".toml", ".cfg", ".ini", ".txt", ".yml", ".yaml"}
    skip = {".venv", ".git", "data", "__pycache__", "instance"}
    return [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in suffixes
            and not skip & set(p.relative_to(ROOT).parts)] + [ROOT / "Makefile"]


def test_nothing_points_outside_the_repository():
    outside = "../" + "shared"  # spelled apart so this file does not match itself
    offenders = [str(p.relative_to(ROOT)) for p in _tracked_text_files()
                 if outside in p.read_text(errors="replace")]
    assert offenders == []


def test_the_readmes_relative_links_exist():
    for readme in (ROOT / "README.md", ROOT / "benchmarks" / "README.md"):
        links = re.findall(r"\]\(([^)#]+)\)", readme.read_text())
        local = [link for link in links if "://" not in link]
        missing = [link for link in local if not (readme.parent / link).exists()]
        assert missing == [], (readme, missing)
    assert (ROOT / "docs" / "ARCHITECTURE.md").is_file()
    assert (ROOT / "docs" / "STYLE.md").is_file()


def test_benchmarks_read_the_vendored_data_with_its_provenance(monkeypatch):
    monkeypatch.delenv("FIELDOPS_SOLOMON_DIR", raising=False)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _solomon_io import data_dir
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    folder = data_dir(None)
    assert ROOT in folder.resolve().parents
    assert len(list(folder.glob("*.txt"))) == 56 and (folder / "bks.csv").is_file()
    sources = (ROOT / "benchmarks" / "data" / "SOURCES.md").read_text()
    for name in ("solomon/", "gh200/", "trsp_pillac/"):
        assert name in sources and (ROOT / "benchmarks" / "data" / name).is_dir()
