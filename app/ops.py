"""Operational endpoints: health check and locally served API docs assets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, send_from_directory
from sqlalchemy import text

from app import geo
from app.db_lifecycle import close_request_session
from app.errors import database_unavailable
from app.extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """200 when the database answers and its spatial extension is loaded, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
        spatial = geo.spatial_version(db.session)
        dialect = db.session.get_bind().dialect.name
    except Exception as exc:  # health checks report, they do not raise
        close_request_session()
        return database_unavailable(f"Database not ready: {type(exc).__name__}")
    return jsonify({"status": "ok", "database": {"dialect": dialect, "spatial": spatial}})


@bp.get("/docs/assets/<path:filename>")
def docs_assets(filename: str) -> Any:
    """Swagger UI files from the swagger-ui-bundle package, so /docs works offline."""
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(swagger_ui_path, filename)
