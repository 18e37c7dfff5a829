"""Test fixtures: a real database per run (SpatiaLite, or PostGIS with TEST_DATABASE=postgis),
the schema built by the Alembic migrations, one outer transaction per test with savepoints so
code under test may commit, and logged-in API clients per role.

Fixtures import Flask lazily so that tests/optimizer runs without the app.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

TEST_DATABASE = os.environ.get("TEST_DATABASE", "spatialite")
TEST_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct-horse-battery"


def redis_url(database: int) -> str:
    """The local Redis for a test: ``TEST_REDIS_URL`` when set, else database ``database``
    moved by ``TEST_REDIS_SHIFT`` (mod 16), so that `make test` can run the PostGIS pass
    beside the SpatiaLite pass without their Celery queues and keys meeting."""
    if url := os.environ.get("TEST_REDIS_URL"):
        return url
    shift = int(os.environ.get("TEST_REDIS_SHIFT", "0"))
    return f"redis://127.0.0.1:6379/{(database + shift) % 16}"


def pytest_report_header(config: Any) -> str:
    return f"FieldOps test database: {TEST_DATABASE}"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if TEST_DATABASE == "postgis":
        return
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(
                reason="needs PostgreSQL (row locks / GiST plans); runs in the PostGIS pass"))


class ScratchDatabases:
    """Creates and drops whole databases, for the run and for tests that need real commits."""

    def __init__(self, tmp_dir: Any) -> None:
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    def create(self) -> str:
        if TEST_DATABASE == "postgis":
            import psycopg
            from sqlalchemy.engine import make_url

            base = make_url(TEST_POSTGRES_URL)
            name = f"fieldops_test_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(_libpq_dsn(base), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = base.set(database=name)
            with psycopg.connect(_libpq_dsn(url), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            self.created.append(name)
            return url.render_as_string(hide_password=False)
        path = self.tmp_dir / f"fieldops_{uuid.uuid4().hex[:8]}.sqlite3"
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        if TEST_DATABASE != "postgis" or not self.created:
            return
        import psycopg
        from sqlalchemy.engine import make_url

        with psycopg.connect(_libpq_dsn(make_url(TEST_POSTGRES_URL)), autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq_dsn(url: Any) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory: Any) -> Iterator[ScratchDatabases]:
    dbs = ScratchDatabases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


def build_app(database_url: str, instance_dir: Any, **overrides: Any) -> Any:
    """An app on `database_url` with the schema made by `flask db upgrade`."""
    os.environ.setdefault("FIELDOPS_INSTANCE_DIR", str(instance_dir))
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Every test client comes from 127.0.0.1: per-address login limits would make tests
        # depend on each other; tests of the limits set small ones (tests/auth).
        "LOGIN_FAILURES_PER_ADDRESS": 1_000_000,
        "TOKEN_REFRESHES_PER_ADDRESS": 1_000_000,
        **overrides,
    })
    with app.app_context():
        upgrade()  # head: a second head (an unmerged branch) fails here
    return app


@pytest.fixture(scope="session")
def app(scratch_databases: ScratchDatabases, tmp_path_factory: Any) -> Iterator[Any]:
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path_factory.mktemp("instance"))
    yield app
    with app.app_context():
        db.engine.dispose()  # closed before the database is dropped, not left to the GC


@pytest.fixture
def db_session(app: Any) -> Iterator[Any]:
    """The app's session, inside a transaction that is rolled back after the test."""
    from sqlalchemy.orm import scoped_session, sessionmaker

    from app.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                         expire_on_commit=False),
            scopefunc=lambda: 0,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class ApiClient:
    """A test client that sends JSON and, when logged in, the user's bearer token."""

    def __init__(self, flask_client: Any, token: str | None = None, user: Any = None) -> None:
        self.flask_client = flask_client
        self.token = token
        self.user = user

    def open(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        from flask.testing import EnvironBuilder

        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        # Our own builder, closed afterwards: werkzeug spools large multipart bodies to a
        # temporary file that the test client would otherwise leave open.
        builder = EnvironBuilder(self.flask_client.application, path, method=method,
                                 headers=merged, **kwargs)
        environ = builder.get_environ()
        try:
            return self.flask_client.open(environ)
        finally:
            environ["wsgi.input"].close()
            builder.close()

    def get(self, path: str, **kw: Any) -> Any:
        return self.open("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.open("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.open("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.open("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.open("DELETE", path, **kw)


@pytest.fixture
def make_customer(db_session: Any) -> Any:
    from app.assets.models import Customer

    def make(**overrides: Any) -> Any:
        n = uuid.uuid4().hex[:8]
        customer = Customer(**{"account_number": f"C-{n}", "name": f"Customer {n}",
                               "sla_tier": "silver", **overrides})
        db_session.add(customer)
        db_session.commit()  # releases the test's savepoint; the outer transaction stays
        return customer

    return make


@pytest.fixture
def make_user(db_session: Any, make_customer: Any) -> Any:
    from werkzeug.security import generate_password_hash

    from app.auth.models import User

    pw_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

    def make(role: str = "dispatcher", **overrides: Any) -> Any:
        if role == "customer" and "customer_id" not in overrides:
            overrides["customer_id"] = make_customer().id
        user = User(**{"email": f"{role}-{uuid.uuid4().hex[:8]}@example.test",
                       "full_name": f"Test {role}", "role": role, "password_hash": pw_hash,
                       **overrides})
        db_session.add(user)
        db_session.commit()
        return user

    return make


@pytest.fixture
def make_skill(db_session: Any) -> Any:
    from app.assets.models import Skill

    def make(code: str | None = None, **overrides: Any) -> Any:
        code = code or f"skill-{uuid.uuid4().hex[:6]}"
        skill = Skill(**{"code": code, "name": code.title(), **overrides})
        db_session.add(skill)
        db_session.commit()
        return skill

    return make


@pytest.fixture
def make_equipment_model(db_session: Any) -> Any:
    """make_equipment_model(skills={skill: min_level}, **fields)."""
    from app.assets.models import EquipmentModel, EquipmentModelSkill

    def make(skills: dict[Any, int] | None = None, **overrides: Any) -> Any:
        model = EquipmentModel(**{"manufacturer": "Carrier", "category": "chiller",
                                  "model": f"30XA-{uuid.uuid4().hex[:6]}", **overrides})
        model.skills = [EquipmentModelSkill(skill=s, min_level=lvl)
                        for s, lvl in (skills or {}).items()]
        db_session.add(model)
        db_session.commit()
        return model

    return make


# Marienplatz, Munich: the default site point in tests.
MUNICH = (48.1374, 11.5755)


@pytest.fixture
def make_site(db_session: Any, make_customer: Any) -> Any:
    """make_site(customer=..., lat=.., lng=.., **fields)."""
    from app import geo
    from app.assets.models import Site

    def make(customer: Any = None, lat: float = MUNICH[0], lng: float = MUNICH[1],
             **overrides: Any) -> Any:
        customer = customer or make_customer()
        site = Site(**{"customer_id": customer.id, "name": f"Site {uuid.uuid4().hex[:6]}",
                       "address_line": "Marienplatz 1", "city": "München",
                       "postal_code": "80331", "location": geo.to_point(lat, lng),
                       "opening_hours": {d: [["07:00", "18:00"]]
                                         for d in ("mon", "tue", "wed", "thu", "fri")},
                       **overrides})
        db_session.add(site)
        db_session.commit()
        return site

    return make


@pytest.fixture
def make_asset(db_session: Any, make_site: Any, make_equipment_model: Any) -> Any:
    """make_asset(site=..., equipment_model=..., **fields)."""
    from app.assets.models import Asset

    def make(site: Any = None, equipment_model: Any = None, **overrides: Any) -> Any:
        site = site or make_site()
        equipment_model = equipment_model or make_equipment_model()
        asset = Asset(**{"tag": f"A-{uuid.uuid4().hex[:8].upper()}", "site_id": site.id,
                         "equipment_model_id": equipment_model.id, **overrides})
        db_session.add(asset)
        db_session.commit()
        return asset

    return make


@pytest.fixture
def client(app: Any, db_session: Any) -> ApiClient:
    """Anonymous client."""
    return ApiClient(app.test_client())


@pytest.fixture
def login(app: Any, db_session: Any, make_user: Any) -> Any:
    """login(role_or_user) -> ApiClient carrying that user's access token."""
    from flask_jwt_extended import create_access_token

    def as_user(who: Any = "dispatcher", **overrides: Any) -> ApiClient:
        user = make_user(who, **overrides) if isinstance(who, str) else who
        with app.app_context():
            token = create_access_token(identity=str(user.id),
                                        additional_claims={"role": user.role})
        return ApiClient(app.test_client(), token, user)

    return as_user


def assert_error(response: Any, code: int, error: str | None = None) -> dict[str, Any]:
    """The one JSON error shape, with the expected HTTP code and machine key."""
    assert response.status_code == code, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["error"], str) and body["error"]
    if error is not None:
        assert body["error"] == error, body
    return body


class Clock:
    """The app's clock (app.db.utcnow) for a test: `clock.pin(datetime)` makes "now" that
    instant, and time runs on from there."""

    def pin(self, at: datetime) -> datetime:
        from app.db import pin_clock

        pin_clock(at)
        return at


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    """Every test runs on the app's clock; TEST_CLOCK=<ISO instant> pins it for the whole run
    (e.g. 2026-11-29T23:30:00+00:00, a Sunday late evening) to prove nothing depends on
    the hour or the weekday. Unpinned again after each test. (app.db is imported only when
    needed, so tests/optimizer runs without the app.)"""
    import sys

    pinned = os.environ.get("TEST_CLOCK")
    if pinned:
        Clock().pin(datetime.fromisoformat(pinned))
    try:
        yield Clock()
    finally:
        if "app.db" in sys.modules:
            sys.modules["app.db"].pin_clock(None)


def query_plan(session: Any, stmt: Any, limit: int = 50) -> str:
    """The plan of a page of `stmt` (`limit` rows): SQLite's EXPLAIN QUERY PLAN, or
    PostgreSQL's EXPLAIN with sequential scans and sorts forbidden, so that on a small test
    database the plan shows whether an index can serve the order at all (on city data the
    planner picks it by cost)."""
    from sqlalchemy import text

    bind = session.get_bind()
    sql = str(stmt.limit(limit).compile(dialect=bind.dialect,
                                        compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        return "\n".join(str(row) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))
