"""The README shows the console's screenshots: each image it names under docs/screenshots/
exists and is a PNG of a browser-sized page (written by a `UPDATE_SCREENSHOTS=1` console run)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from tests.console.conftest import DOCS_SCREENSHOTS, README_SCREENSHOTS

ROOT = Path(__file__).resolve().parents[2]


def test_the_readmes_screenshots_exist_and_are_pngs() -> None:
    shown = re.findall(r"!\[[^\]]+\]\((docs/screenshots/[^)]+)\)",
                       (ROOT / "README.md").read_text(encoding="utf-8"))
    assert sorted(Path(p).name for p in shown) == sorted(README_SCREENSHOTS.values())
    for path in shown:
        data = (ROOT / path).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", path
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert width >= 800 and height >= 600, (path, width, height)
        assert (ROOT / path).parent == DOCS_SCREENSHOTS
