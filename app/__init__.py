"""FieldOps application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app import extensions as ext
from app.config import Config
from app.errors import ErrorSchema, error_response, register_error_handlers
from app.request_guard import init_request_guard, install_argument_parser

install_argument_parser()  # before any route module binds its `arguments` decorators

# Blueprints in registration order; each package exposes `blp` in its routes module.
BLUEPRINT_MODULES = (
    "app.auth.routes",
    "app.workorders.routes",
    "app.assets.routes",
    "app.inventory.routes",
    "app.dispatch.routes",
    "app.mobile_api.routes",
    "app.mobile_api.photo_routes",
    "app.reports.routes",
    "app.integrations.routes",
    "app.notifications.routes",
    "app.workorders.tracking_routes",
    "app.auth.api_key_routes",
    "app.maintenance.routes",
    "app.mobile_api.checklist_routes",
    "app.maintenance.knowledge_routes",
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    from app.routing import IdConverter, id_schema

    app.url_map.converters["id"] = IdConverter
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    from app.request_log import configure_logging, init_request_ids

    configure_logging(app)  # LOG_FORMAT text|json; every record carries the request id
    init_request_ids(app)
    from app.metrics import init_metrics

    init_metrics(app)

    _init_database(app)
    from app.db_lifecycle import install_session_teardown

    install_session_teardown(app)
    ext.migrate.init_app(app, ext.db, directory=str(_migrations_dir()), compare_type=True)
    ext.jwt.init_app(app)
    _init_jwt_callbacks()
    ext.api.ERROR_SCHEMA = ErrorSchema
    # Every list endpoint pages the same way (flask-smorest reads this class attribute).
    from flask_smorest import Blueprint

    Blueprint.DEFAULT_PAGINATION_PARAMETERS = {
        "page": 1, "page_size": app.config["PAGE_SIZE_DEFAULT"],
        "max_page_size": app.config["PAGE_SIZE_MAX"]}
    from app.openapi import configure_openapi, install_document_finisher

    configure_openapi()
    ext.api.init_app(app)
    install_document_finisher(ext.api)
    ext.api.register_converter(IdConverter, id_schema)

    import importlib

    for module_name in BLUEPRINT_MODULES:
        ext.api.register_blueprint(importlib.import_module(module_name).blp)
    from app.integrations.service import install as capture_webhook_events

    capture_webhook_events()
    from app import ops

    app.register_blueprint(ops.bp)
    register_error_handlers(app)  # after api.init_app: ours replace smorest's handler
    from app.exports import init_exports

    init_exports(app)
    from app.cli import register_cli

    register_cli(app)
    from app.i18n import init_i18n

    init_i18n(app)
    from app.console import init_console

    init_console(app)
    from app.notifications.events import make_bus

    app.extensions["fieldops_events"] = make_bus(app.config)
    from app.scheduler import maybe_start_scheduler

    maybe_start_scheduler(app)
    init_request_guard(app)
    from app.security_headers import init_security_headers

    init_security_headers(app)
    from app.db import install_transaction_modes

    install_transaction_modes(app)
    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _init_database(app: Flask) -> None:
    from app.db import configure_postgres_engine, configure_sqlite_engine, sqlite_engine_options

    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options = {**sqlite_engine_options(), **options}
        if uri.startswith("sqlite:///") and ":memory:" not in uri:
            from pathlib import Path

            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    else:
        from app.db import postgres_engine_options

        options = {**postgres_engine_options(app.config), **options}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    ext.db.init_app(app)
    with app.app_context():
        if uri.startswith("sqlite"):
            configure_sqlite_engine(ext.db.engine, app.config["SPATIALITE_LIBRARY_PATH"])
        elif uri.startswith("postgresql"):
            configure_postgres_engine(ext.db.engine, int(app.config["DATABASE_PREPARED_MAX"]))


def _init_jwt_callbacks() -> None:
    from app.auth import service as auth_service

    @ext.jwt.user_lookup_loader
    def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> Any:
        try:
            user_id = int(payload["sub"])
        except (KeyError, TypeError, ValueError):
            return None
        return auth_service.active_user(ext.db.session, user_id)

    @ext.jwt.user_lookup_error_loader
    def _user_gone(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return error_response(401, "This account is disabled or no longer exists.",
                              error="account_disabled")

    @ext.jwt.unauthorized_loader
    def _missing(reason: str) -> Any:
        return error_response(401, "Authentication required: send a bearer token.",
                              error="unauthorized")

    @ext.jwt.invalid_token_loader
    def _invalid(reason: str) -> Any:
        return error_response(401, "The token is invalid.", error="token_invalid")

    @ext.jwt.expired_token_loader
    def _expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return error_response(401, "The token has expired; refresh it or log in again.",
                              error="token_expired")

    @ext.jwt.revoked_token_loader
    def _revoked(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return error_response(401, "The token has been revoked.", error="token_revoked")

    @ext.jwt.needs_fresh_token_loader
    def _stale(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return error_response(401, "A fresh login is required.", error="fresh_token_required")

    from app.auth.sessions import register_token_versions

    register_token_versions(ext.jwt)
    from app.auth.audit import register_audit_log

    register_audit_log()
