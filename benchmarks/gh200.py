"""Gehring-Homberger 200-customer VRPTW (60 instances): ours vs VROOM and PyVRP, 20 s each.

    .venv/bin/python benchmarks/gh200.py                      # all 60, 20 s per solver
    .venv/bin/python benchmarks/gh200.py --instances c1_2_1,rc2_2_5 --limit-s 5

The same script as ``benchmarks/solomon.py --set gh200`` (same mapping, checks and peers);
the data is vendored in ``benchmarks/data/gh200/`` (provenance in ``data/SOURCES.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.solomon import main

if __name__ == "__main__":
    raise SystemExit(main(default_set="gh200", default_limit_s=20.0))
