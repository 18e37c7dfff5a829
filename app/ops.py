"""Operational endpoints: liveness, readiness, metrics, and locally served API docs assets.

These are for operators and their tools, not API clients: they stay out of the OpenAPI
document (like /healthz), which describes the JSON API under /api/v1 and /mobile/v1.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from app import geo
from app.db_lifecycle import close_request_session
from app.errors import database_unavailable, error_response
from app.extensions import db

bp = Blueprint("ops", __name__)

# Human texts of this module, in one place (to be wrapped by the translation catalogue).
OPS_MESSAGES = {
    "metrics_forbidden": "Metrics are served to this host only, or with the metrics token "
                         "(Authorization: Bearer ...).",
    "not_ready": "Not ready to serve: see checks.",
}


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


@bp.get("/readyz")
def readyz() -> Any:
    """200 when this process may take traffic: database reachable, schema at the migrations'
    head, broker reachable when configured; 503 `not_ready` with the failed checks otherwise."""
    from app import _migrations_dir
    from app.readiness import OK, check_broker, check_database

    try:
        checks = check_database(db.session, _migrations_dir())
    except Exception as exc:  # readiness reports, it does not raise
        close_request_session()
        checks = {"database": f"unreachable: {type(exc).__name__}", "migrations": "unknown"}
    else:
        db.session.rollback()
    checks["broker"] = check_broker(current_app.config.get("CELERY_BROKER_URL"))
    failed = {name: state for name, state in checks.items()
              if state not in (OK, "not_configured")}
    if failed:
        response = error_response(503, OPS_MESSAGES["not_ready"], error="not_ready",
                                  checks=checks)
        response.headers["Retry-After"] = "5"
        return response
    return jsonify({"status": "ready", "checks": checks})


@bp.get("/metrics")
def metrics() -> Any:
    """Prometheus metrics (text format), for this host or with the METRICS_TOKEN bearer."""
    from app.metrics import metrics_allowed, render_metrics

    if not metrics_allowed():
        return error_response(403, OPS_MESSAGES["metrics_forbidden"], error="forbidden")
    return render_metrics(db.session)


@bp.get("/docs/assets/<path:filename>")
def docs_assets(filename: str) -> Any:
    """Swagger UI files from the swagger-ui-bundle package, so /docs works offline."""
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(swagger_ui_path, filename)
