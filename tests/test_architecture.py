"""The codebase keeps its shape: import arrows (import-linter contracts in pyproject.toml),
ruff-clean, and models that match the migrations (no drift)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_match_migrations(app: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.extensions import db
    from app.models import include_in_migrations, metadata

    with app.app_context(), db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; the PostGIS-only geography indexes are
        # compared in the PostGIS pass.
        warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified "
                                "expression-based index")
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of "
                                "expression-based index")
        context = MigrationContext.configure(
            connection, opts={"include_object": include_in_migrations, "compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
