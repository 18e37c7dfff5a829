"""Every setting comes from the environment, here and only here, with a documented default."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("FIELDOPS_INSTANCE_DIR", Path.cwd() / "instance"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _env_json(name: str, default: dict) -> dict:
    import json

    raw = os.environ.get(name)
    if not raw:
        return default
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    return value


def _secret_key() -> str:
    """A stable secret for the embedded default: read from the environment or kept in instance/.

    A fresh random key per start would log everybody out on every restart, and a hard-coded
    key would be shared by every installation that forgets to set one.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    # Database: SQLite + SpatiaLite file by default; PostgreSQL + PostGIS in production,
    # e.g. DATABASE_URL=postgresql+psycopg://user@host/fieldops
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'fieldops.sqlite3'}"
    )
    # Name or path of the SpatiaLite loadable module (Debian: libsqlite3-mod-spatialite).
    SPATIALITE_LIBRARY_PATH = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    SQLALCHEMY_ECHO = _env_bool("SQLALCHEMY_ECHO", False)

    SECRET_KEY = _secret_key()
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY") or SECRET_KEY
    # Short-lived access tokens; the phone app refreshes with the long-lived refresh token.
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_env_int("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_env_int("JWT_REFRESH_DAYS", 30))
    JWT_TOKEN_LOCATION = ["headers"]
    # werkzeug hash method for new passwords; tests use a cheaper one.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")

    # Largest request body accepted (photos are the biggest legitimate bodies).
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

    # OpenAPI page (flask-smorest)
    API_TITLE = "FieldOps"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    # Swagger UI assets are served locally from the swagger-ui-bundle package (no CDN).
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    API_SPEC_OPTIONS = {
        "info": {"description": "Field-service dispatch: work orders, dispatch, parts, mobile."},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                           "description": "An integration's key (scoped; see /api/v1/api-keys)."},
            }
        },
        "security": [{"bearerAuth": []}, {"apiKey": []}],
    }
    # Default and largest page size for every paginated list.
    PAGE_SIZE_DEFAULT = 50
    PAGE_SIZE_MAX = 500

    # Celery on Redis for scale-out background work (app/worker.py); unset = no broker needed.
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND")

    # Public base URL, used in QR labels (the fault-report page a scanned sticker opens);
    # unset: the URL the server is reached at (app/public_url.py).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None

    # Work orders: a completed or closed order may be reopened within this many days; such a
    # reopen counts against first-time fix.
    WORK_ORDER_REOPEN_DAYS = _env_int("WORK_ORDER_REOPEN_DAYS", 14)
    # Completion code lists (comma-separated) the technician picks from.
    WORK_ORDER_FAILURE_CODES = _env_list("WORK_ORDER_FAILURE_CODES", (
        "no_fault_found", "mechanical", "electrical", "electronic", "refrigerant_leak",
        "software", "wear", "blockage", "user_error"))
    WORK_ORDER_CAUSE_CODES = _env_list("WORK_ORDER_CAUSE_CODES", (
        "unknown", "wear_and_tear", "misuse", "power_event", "environment", "installation",
        "design", "maintenance_overdue"))
    WORK_ORDER_REMEDY_CODES = _env_list("WORK_ORDER_REMEDY_CODES", (
        "replaced_part", "repaired", "adjusted", "cleaned", "reset", "software_update",
        "refilled", "advised_customer", "none"))
    # Anonymous fault reports (QR label form): at most this many per client address per window.
    # The counter lives in the database (table rate_limit_windows), shared by all web processes.
    PUBLIC_FAULT_REPORT_LIMIT = _env_int("PUBLIC_FAULT_REPORT_LIMIT", 10)
    PUBLIC_FAULT_REPORT_WINDOW_SECONDS = _env_int("PUBLIC_FAULT_REPORT_WINDOW_SECONDS", 3600)
    # Views of the QR label page (/r/<tag>) per client address in the same window.
    PUBLIC_LABEL_PAGE_LIMIT = _env_int("PUBLIC_LABEL_PAGE_LIMIT", 60)

    # Dispatch: plan runs with a time limit up to this many seconds are solved inside the
    # request; longer ones run in a background thread and the client polls the run.
    DISPATCH_INLINE_LIMIT_S = float(os.environ.get("DISPATCH_INLINE_LIMIT_S", 5))
    # Largest time limit a client may ask the optimizer for (seconds).
    DISPATCH_MAX_TIME_LIMIT_S = float(os.environ.get("DISPATCH_MAX_TIME_LIMIT_S", 300))
    # A queued or running plan run with no result this many seconds after its time limit ran
    # out (counted from its start, or its creation if it never started) is marked failed: the
    # process that was solving it stopped (restart, crash, OOM), and it will never finish.
    DISPATCH_RUN_GRACE_S = float(os.environ.get("DISPATCH_RUN_GRACE_S", 120))
    # The dispatch day: plan dates are local dates here, and the optimizer's time origin is
    # local midnight of the plan date in this zone.
    DISPATCH_TIMEZONE = os.environ.get("DISPATCH_TIMEZONE", "Europe/Berlin")
    # A technician's last GPS fix counts as "where they are" for this many minutes.
    DISPATCH_POSITION_FRESH_MINUTES = _env_int("DISPATCH_POSITION_FRESH_MINUTES", 30)
    # Plan runs solved at once in one web process when no Celery broker is set (the others
    # wait, queued); with CELERY_BROKER_URL runs go to the Celery workers instead.
    DISPATCH_MAX_PARALLEL_RUNS = _env_int("DISPATCH_MAX_PARALLEL_RUNS", 2)

    # Mobile API (issue 8).
    # Check-in/out geofence: accepted within this many metres of the site's point, plus the
    # phone's reported accuracy, of which at most GEOFENCE_ACCURACY_CAP_M counts.
    GEOFENCE_RADIUS_M = _env_int("GEOFENCE_RADIUS_M", 150)
    GEOFENCE_ACCURACY_CAP_M = _env_int("GEOFENCE_ACCURACY_CAP_M", 100)
    # Photos: where files are kept (LocalStorage), the largest upload, the most pixels decoded
    # (decompression-bomb guard) and the thumbnail's longest side.
    PHOTO_STORAGE_DIR = os.environ.get("PHOTO_STORAGE_DIR", str(INSTANCE_DIR / "uploads"))
    PHOTO_MAX_BYTES = _env_int("PHOTO_MAX_BYTES", 12 * 1024 * 1024)
    PHOTO_MAX_PIXELS = _env_int("PHOTO_MAX_PIXELS", 50_000_000)
    PHOTO_THUMBNAIL_PX = _env_int("PHOTO_THUMBNAIL_PX", 320)
    # Photos: the most memory one decoded copy may take (width x height x bytes per pixel),
    # checked from the header before decoding; 64 MB holds a 21 MP RGB photo. Processing keeps
    # a few copies, so an upload costs about four times this at most.
    PHOTO_MAX_DECODED_BYTES = _env_int("PHOTO_MAX_DECODED_BYTES", 64_000_000)
    # Push (firebase-admin, FCM HTTP v1). Delivery is on when FCM_PROJECT_ID is set together with
    # a service-account file, or with a non-Google FCM_ENDPOINT (a local FCM-compatible server,
    # reached without credentials). Without them the outbox is kept and logged.
    FCM_PROJECT_ID = os.environ.get("FCM_PROJECT_ID")
    FCM_CREDENTIALS_FILE = os.environ.get("FCM_CREDENTIALS_FILE")
    FCM_ENDPOINT = os.environ.get("FCM_ENDPOINT", "https://fcm.googleapis.com")
    # A failed delivery round is retried after base * 2^(attempts-1) seconds (capped), at most
    # PUSH_MAX_ATTEMPTS rounds; then the notification is marked failed.
    PUSH_MAX_ATTEMPTS = _env_int("PUSH_MAX_ATTEMPTS", 6)
    PUSH_BACKOFF_BASE_SECONDS = _env_int("PUSH_BACKOFF_BASE_SECONDS", 30)
    PUSH_BACKOFF_MAX_SECONDS = _env_int("PUSH_BACKOFF_MAX_SECONDS", 3600)
    # Service-report PDFs: a TrueType font with Chinese glyphs (Debian: fonts-wqy-zenhei).
    PDF_CJK_FONT = os.environ.get("PDF_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    # Webhooks: request timeout, attempts per delivery with exponential backoff, how many
    # failed attempts in a row disable a subscription, how long a claimed delivery may stay
    # in flight before it counts as 'unknown', and whether loopback/private targets are
    # allowed (off: a subscription must not reach into the operator's own network).
    WEBHOOK_TIMEOUT_S = float(os.environ.get("WEBHOOK_TIMEOUT_S", "5"))
    WEBHOOK_MAX_ATTEMPTS = _env_int("WEBHOOK_MAX_ATTEMPTS", 8)
    WEBHOOK_BACKOFF_BASE_SECONDS = _env_int("WEBHOOK_BACKOFF_BASE_SECONDS", 30)
    WEBHOOK_BACKOFF_MAX_SECONDS = _env_int("WEBHOOK_BACKOFF_MAX_SECONDS", 3600)
    WEBHOOK_DISABLE_AFTER = _env_int("WEBHOOK_DISABLE_AFTER", 20)
    WEBHOOK_LEASE_SECONDS = _env_int("WEBHOOK_LEASE_SECONDS", 300)
    WEBHOOK_ALLOW_PRIVATE_TARGETS = os.environ.get("WEBHOOK_ALLOW_PRIVATE_TARGETS", "0") == "1"

    # Operations (README, Operations). Log lines: "text" (default) or "json" (one object per
    # line, for log collectors; recommended in production). Every line of a request carries its
    # id (X-Request-ID).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # GET /metrics answers requests from this host (127.0.0.1/::1, not through a proxy), and any
    # request with "Authorization: Bearer <METRICS_TOKEN>" when the token is set.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")
    # Inbound e-mail (`flask email serve`): the addresses mail is accepted for (comma
    # separated) and the largest message in bytes.
    INBOUND_EMAIL_ADDRESSES = os.environ.get("INBOUND_EMAIL_ADDRESSES", "service@fieldops.example")
    INBOUND_EMAIL_MAX_BYTES = _env_int("INBOUND_EMAIL_MAX_BYTES", 25 * 1024 * 1024)
    # A push claimed for a device but not confirmed sent within this many seconds was being
    # sent by a deliverer that stopped: it is marked in doubt and never sent again.
    PUSH_CLAIM_LEASE_SECONDS = _env_int("PUSH_CLAIM_LEASE_SECONDS", 60)

    # Who gets what (app/notifications/routing.py): JSON {kind: {role: [inbox|push|email]}},
    # merged over the defaults per kind.
    NOTIFICATION_ROUTES = _env_json("NOTIFICATION_ROUTES", {})
    # Email (SMTP). Unset SMTP_HOST: emails stay queued in the outbox (and are logged).
    SMTP_HOST = os.environ.get("SMTP_HOST")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", True)
    SMTP_TIMEOUT_SECONDS = _env_int("SMTP_TIMEOUT_SECONDS", 10)
    MAIL_FROM = os.environ.get("MAIL_FROM", "FieldOps <fieldops@localhost>")
    # Customer tracking link (/t/<token>): views per client address per window.
    PUBLIC_TRACKING_LIMIT = _env_int("PUBLIC_TRACKING_LIMIT", 120)
    PUBLIC_TRACKING_WINDOW_SECONDS = _env_int("PUBLIC_TRACKING_WINDOW_SECONDS", 3600)
    # An email claimed but not confirmed sent within this many seconds is marked in doubt and
    # never sent again (the deliverer stopped mid-send).
    EMAIL_CLAIM_LEASE_SECONDS = _env_int("EMAIL_CLAIM_LEASE_SECONDS", 120)
    # Live event stream (SSE): fanned out through Redis pub/sub when a Redis URL is known
    # (EVENTS_REDIS_URL, else REDIS_URL, else a redis:// CELERY_BROKER_URL), so every web
    # worker's streams see every event; in-process otherwise. Keep-alive comment interval.
    # The channel defaults to fieldops:events:<Redis database number> (pub/sub ignores the
    # database: two deployments on one Redis server must not read each other's events).
    EVENTS_REDIS_URL = os.environ.get("EVENTS_REDIS_URL")
    REDIS_URL = os.environ.get("REDIS_URL")
    EVENTS_CHANNEL = os.environ.get("EVENTS_CHANNEL")
    EVENTS_KEEPALIVE_SECONDS = _env_int("EVENTS_KEEPALIVE_SECONDS", 15)
    # In-process scheduler (app/scheduler.py) for the embedded default: `make run` sets
    # FIELDOPS_SCHEDULER=1; never with a broker (Celery beat runs the jobs) or in tests.
    FIELDOPS_SCHEDULER = _env_bool("FIELDOPS_SCHEDULER", False)
    SCHEDULER_SLA_TICK_SECONDS = _env_int("SCHEDULER_SLA_TICK_SECONDS", 60)
    SCHEDULER_DELIVERY_SECONDS = _env_int("SCHEDULER_DELIVERY_SECONDS", 15)

    # Login abuse limits (app/auth/throttle.py, `limits` library, moving windows): failed logins
    # per account and per client address, and token refreshes per address, within
    # LOGIN_WINDOW_SECONDS; beyond them 429 with Retry-After, the right password included.
    # Storage: Redis when RATELIMIT_STORAGE_URL or REDIS_URL is set (shared by every worker),
    # else memory:// (one process's threads: fine for the embedded default only).
    RATELIMIT_STORAGE_URL = (os.environ.get("RATELIMIT_STORAGE_URL") or os.environ.get("REDIS_URL")
                             or "memory://")
    LOGIN_FAILURES_PER_ACCOUNT = _env_int("LOGIN_FAILURES_PER_ACCOUNT", 10)
    LOGIN_FAILURES_PER_ADDRESS = _env_int("LOGIN_FAILURES_PER_ADDRESS", 50)
    TOKEN_REFRESHES_PER_ADDRESS = _env_int("TOKEN_REFRESHES_PER_ADDRESS", 120)
    LOGIN_WINDOW_SECONDS = _env_int("LOGIN_WINDOW_SECONDS", 900)

    # PostgreSQL connection pool (issue 18). No pre-ping round trip per request: connections
    # are recycled after DATABASE_POOL_RECYCLE_S; one the server closed while it sat in the
    # pool is replaced when handed out (its socket says so; app.db.configure_postgres_engine),
    # and one that dies during a request fails it with 503 `unavailable` (OperationalError)
    # while SQLAlchemy empties the pool.
    # psycopg prepares a statement the DATABASE_PREPARE_THRESHOLD-th time a connection runs it
    # (then PostgreSQL no longer parses and plans it), keeps the DATABASE_PREPARED_MAX most
    # recent, and drops all of them on a ROLLBACK. Read requests run in autocommit and end with
    # none (app.db.configure_postgres_engine); empty threshold: never prepare.
    DATABASE_POOL_PRE_PING = _env_bool("DATABASE_POOL_PRE_PING", False)
    DATABASE_POOL_RECYCLE_S = _env_int("DATABASE_POOL_RECYCLE_S", 1800)
    DATABASE_PREPARE_THRESHOLD = os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")
    DATABASE_PREPARED_MAX = _env_int("DATABASE_PREPARED_MAX", 500)
    # Web console: map tiles only when an operator sets a tile URL (e.g. a self-hosted
    # https://tiles.example/{z}/{x}/{y}.png); unset, the map draws routes on a plain background.
    # Behind HTTPS set SESSION_COOKIE_SECURE=1 so the session cookie is never sent in clear.
    CONSOLE_MAP_TILE_URL = os.environ.get("CONSOLE_MAP_TILE_URL") or None
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # The session cookie is sent only when the session changes (login, sign-out, language),
    # never re-sent by every page: an answer to a request begun before "Sign out" (the queue's
    # live refresh) would otherwise put the signed-in cookie back after the sign-out.
    SESSION_REFRESH_EACH_REQUEST = False
