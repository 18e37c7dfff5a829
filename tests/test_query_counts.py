"""The shape of every list and detail endpoint's SQL: the number of statements a request
sends does not grow with the rows it returns (no query per row, per job or per technician).

Each GET endpoint of the URL map is called twice on the same demo data set (seeded once for
the module), once returning few rows (2 per page, an object with few children, a technician
with 2 jobs) and once many (20 per page, the object with the most children, 10 jobs); the
statements sent on the engine (`before_cursor_execute`) must be the same number. A new GET
endpoint without an entry in ENDPOINTS fails `test_every_get_endpoint_is_covered`. This is a
correctness test of the query shape; speed itself is measured by benchmarks/api.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from tests.conftest import build_app

DAY = date(2031, 3, 4)  # a Tuesday far from the demo's "now": the jobs placed on it are ours
SMALL, LARGE = 2, 20
SEEDED_AT = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # a Monday before the working day
# Not data endpoints: the OpenAPI document, its page and the page's static files.
OPEN = ["new", "scheduled", "dispatched", "on_hold"]
NOT_DATA = {"/openapi.json", "/docs", "/docs/assets/<path:filename>",
            "/static/<path:filename>"}
# GET routes without a statement-count case (none: every data route has one).
NOT_YET_COUNTED: set[str] = set()


@dataclass
class World:
    app: Any
    tokens: dict[str, str]  # role or name -> bearer token
    ids: dict[str, Any]


@dataclass(frozen=True)
class Case:
    """Two requests to one endpoint: few rows, many rows (and who asks)."""

    small: str
    large: str
    role: str = "admin"
    large_role: str | None = None
    rows: Callable[[Any], int] | None = len  # rows in a response body; None: a detail
    status: int = 200  # what both requests answer (302: a redirect)


def _token(app: Any, user: Any) -> str:
    from flask import has_app_context
    from flask_jwt_extended import create_access_token

    if has_app_context():  # the caller's session: a second one would wait on its write lock
        return create_access_token(identity=str(user.id), additional_claims={"role": user.role})
    with app.app_context():
        return create_access_token(identity=str(user.id), additional_claims={"role": user.role})


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _place_jobs(session: Any, tech_user_id: int, orders: list[Any]) -> None:
    """Give the technician these open orders, scheduled on DAY, an hour apart."""
    start = datetime(DAY.year, DAY.month, DAY.day, 7, tzinfo=UTC)
    for i, wo in enumerate(orders):
        wo.status = "scheduled"
        wo.assignee_user_id = tech_user_id
        wo.scheduled_start = start + timedelta(minutes=40 * i)
        wo.scheduled_end = wo.scheduled_start + timedelta(minutes=30)


def _seed(app: Any) -> World:
    from app.assets.models import Asset, EquipmentModel, EquipmentModelSkill
    from app.auth.models import User
    from app.demo import seed_demo
    from app.dispatch.models import OptimizationRun, PlannedVisit, Technician, TechnicianSkill
    from app.extensions import db
    from app.inventory.models import Part, PartEquipmentModel
    from app.mobile_api.models import Photo
    from app.mobile_api.storage import LocalStorage
    from app.workorders.models import (
        SlaPause,
        WorkOrder,
        WorkOrderEvent,
        WorkOrderSkill,
        WorkOrderTimeWindow,
    )

    with app.app_context():
        s = db.session
        seed_demo(s, seed=7, size="small", password_method="pbkdf2:sha256:1000")
        s.commit()
        users = {role: s.scalar(select(User).where(User.role == role).order_by(User.id))
                 for role in ("admin", "dispatcher", "warehouse", "technician", "customer")}
        tokens = {role: _token(app, u) for role, u in users.items()}
        techs = list(s.scalars(select(Technician).order_by(Technician.id)))
        few_jobs, many_jobs = techs[0], techs[1]
        open_orders = list(s.scalars(
            select(WorkOrder).where(WorkOrder.status.in_(["new", "scheduled"]),
                                    WorkOrder.asset_id.is_not(None))
            .order_by(WorkOrder.id).limit(SMALL + 10)))
        _place_jobs(s, few_jobs.user_id, open_orders[:SMALL])
        _place_jobs(s, many_jobs.user_id, open_orders[SMALL:])
        tokens["few_jobs"] = _token(app, s.get(User, few_jobs.user_id))
        tokens["many_jobs"] = _token(app, s.get(User, many_jobs.user_id))
        # A work order with many children (skills, windows, pauses) and photos; one with few.
        rich = open_orders[-1]
        start = datetime(DAY.year, DAY.month, DAY.day, 6, tzinfo=UTC)
        rich.time_windows = [WorkOrderTimeWindow(start_at=start + timedelta(hours=2 * i),
                                                 end_at=start + timedelta(hours=2 * i + 1))
                             for i in range(6)]
        rich.sla_pauses = [SlaPause(started_at=start - timedelta(days=i + 2),
                                    ended_at=start - timedelta(days=i + 1), reason="customer")
                           for i in range(4)]
        have = {ws.skill_id for ws in rich.skills}
        from app.assets.models import Skill

        rich.skills = [*rich.skills, *(WorkOrderSkill(skill_id=sk.id, min_level=1) for sk in
                                      s.scalars(select(Skill).order_by(Skill.id))
                                      if sk.id not in have)]
        s.add_all(WorkOrderEvent(work_order_id=rich.id, kind="note", internal=False,
                                 data={"text": f"note {i}"}) for i in range(LARGE + 2))
        plain = s.scalar(select(WorkOrder).where(WorkOrder.status.in_(OPEN),
                                                 WorkOrder.id.not_in([o.id for o in open_orders]))
                         .order_by(WorkOrder.id))
        plain.skills, plain.time_windows = plain.skills[:1], []
        storage = LocalStorage(app.config["PHOTO_STORAGE_DIR"])
        data = _jpeg()
        for i in range(LARGE + 2):
            key = f"wo/{rich.id}/{i:064d}"
            for variant in ("o", "p", "t"):
                storage.put(f"{key}.{variant}.jpg", data)
            s.add(Photo(work_order_id=rich.id, kind="before", content_type="image/jpeg",
                        size_bytes=len(data), width=32, height=24, sha256=f"{i:064d}",
                        original_key=f"{key}.o.jpg", public_key=f"{key}.p.jpg",
                        thumbnail_key=f"{key}.t.jpg"))
        # Technicians, equipment models and parts with few and with many children.
        skills = list(s.scalars(select(Skill).order_by(Skill.id)))
        many_jobs.skills = [TechnicianSkill(skill_id=sk.id, level=3) for sk in skills]
        few_jobs.skills = few_jobs.skills[:1]
        models = list(s.scalars(select(EquipmentModel).order_by(EquipmentModel.id)))
        models[0].skills = [EquipmentModelSkill(skill_id=sk.id, min_level=1) for sk in skills]
        models[1].skills = models[1].skills[:1]
        parts = list(s.scalars(select(Part).order_by(Part.id)))
        parts[0].compatibility = [PartEquipmentModel(equipment_model_id=m.id) for m in models]
        parts[1].compatibility = parts[1].compatibility[:1]
        for part in parts[:LARGE]:
            part.reorder_point = 10**6  # low on stock
        # Two plan runs for DAY: 2 visits and 10 visits.
        runs = []
        for n in (SMALL, 10, 1, 1, 1):
            run = OptimizationRun(plan_date=DAY, status="done", time_limit_s=5,
                                  inputs={}, inputs_digest="0" * 64, result={}, objective=1.0,
                                  kpis={}, solver_stats={}, unassigned=[])
            t0 = datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=UTC)
            run.visits = [PlannedVisit(technician_id=techs[i % len(techs)].id, sequence=i,
                                       work_order_id=open_orders[i].id, work_order_version=1,
                                       planned_arrival=t0, planned_start=t0,
                                       planned_end=t0 + timedelta(minutes=30))
                          for i in range(n)]
            s.add(run)
            runs.append(run)
        s.commit()
        asset_ids = list(s.scalars(select(Asset.id).order_by(Asset.id).limit(2)))
        ids = {
            "few_jobs_tech": few_jobs.id, "many_jobs_tech": many_jobs.id,
            "rich_wo": rich.id, "plain_wo": plain.id, "models": (models[1].id, models[0].id),
            "parts": (parts[1].id, parts[0].id), "runs": (runs[0].id, runs[1].id),
            "assets": asset_ids,
            "tags": tuple(s.scalars(select(Asset.tag).where(Asset.id.in_(asset_ids))
                                    .order_by(Asset.id))),
            "rich_photos": list(s.scalars(select(Photo.id).where(
                Photo.work_order_id == rich.id).order_by(Photo.id).limit(2))),
            "users": (users["technician"].id, users["customer"].id),  # not the caller's
            "customers": (users["customer"].customer_id,
                          s.scalar(select(func.max(User.customer_id)))),
        }
    world = World(app, tokens, ids)
    _add_by_api(world)
    _add_for_later_routes(world)
    return world


def _add_territory(client: Any, headers: dict[str, str], name: str, lat: float,
                   lng: float) -> int:
    """A triangle north-east of (lat, lng), through the API; its id."""
    r = client.post("/api/v1/territories", headers=headers, json={
        "name": name, "boundary": [{"lat": lat, "lng": lng}, {"lat": lat, "lng": lng + 0.1},
                                   {"lat": lat + 0.05, "lng": lng + 0.1}]})
    assert r.status_code == 201, r.get_json()
    return int(r.get_json()["id"])


def _add_by_api(world: World) -> None:
    """Territories, shift exceptions and meter readings, through the API."""
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    territory_ids = []
    for i in range(6):
        territory_ids.append(_add_territory(client, headers, f"Zone {i}", 48.10 + i * 0.01,
                                            11.50))
    world.ids["territories"] = territory_ids[:2]
    tech = world.ids["many_jobs_tech"]
    for i in range(6):
        start = datetime(2031, 4, 1 + i, 8, tzinfo=UTC)
        r = client.post(f"/api/v1/technicians/{tech}/exceptions", headers=headers, json={
            "kind": "training", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat()})
        assert r.status_code == 201, r.get_json()
    asset = world.ids["assets"][0]
    for i in range(6):
        r = client.post(f"/api/v1/assets/{asset}/meter-readings", headers=headers,
                        json={"meter": "hours", "value": str(100 + i),
                              "read_at": datetime(2026, 1, 1 + i, tzinfo=UTC).isoformat()})
        assert r.status_code == 201, r.get_json()


@pytest.fixture(scope="module")
def world(scratch_databases: Any, tmp_path_factory: Any) -> Iterator[World]:
    from app.extensions import db

    tmp = tmp_path_factory.mktemp("counts")
    app = build_app(scratch_databases.create(), tmp, PHOTO_STORAGE_DIR=str(tmp / "photos"))
    # The demo's statuses follow its clock (a working morning has dispatched what 05:00 still
    # holds as new): seeded at one fixed instant, the data is the same at any hour of a run.
    from app.db import pin_clock

    pin_clock(SEEDED_AT)
    try:
        seeded = _seed(app)
    finally:
        pin_clock(None)
    yield seeded
    with app.app_context():
        db.engine.dispose()


def _page(path: str, extra: str = "") -> Callable[[World], Case]:
    sep = "&" if extra else ""
    return lambda w: Case(f"{path}?{extra}{sep}page_size={SMALL}",
                          f"{path}?{extra}{sep}page_size={LARGE}")


def _detail(fmt: str, key: str, role: str = "admin") -> Callable[[World], Case]:
    return lambda w: Case(fmt.format(w.ids[key][0]), fmt.format(w.ids[key][1]), role=role,
                          rows=None)


NEAR = "lat=48.1374&lng=11.5755&radius_m=20000"
DAY_Q = f"date={DAY.isoformat()}"

# URL rule -> how to ask it for few and for many rows.
ENDPOINTS: dict[str, Callable[[World], Case]] = {
    "/api/v1/me": lambda w: Case("/api/v1/me", "/api/v1/me", role="admin",
                                 large_role="dispatcher", rows=None),
    "/api/v1/users": _page("/api/v1/users"),
    "/api/v1/users/<id:user_id>": _detail("/api/v1/users/{}", "users"),
    "/api/v1/customers": _page("/api/v1/customers"),
    "/api/v1/customers/<id:customer_id>": _detail("/api/v1/customers/{}", "customers"),
    "/api/v1/sites": _page("/api/v1/sites"),
    "/api/v1/sites/<id:site_id>": lambda w: Case("/api/v1/sites/1", "/api/v1/sites/2",
                                                 rows=None),
    "/api/v1/sites/nearby": lambda w: Case(f"/api/v1/sites/nearby?{NEAR}&limit={SMALL}",
                                           f"/api/v1/sites/nearby?{NEAR}&limit={LARGE}"),
    "/api/v1/skills": _page("/api/v1/skills"),
    "/api/v1/skills/<id:skill_id>": lambda w: Case("/api/v1/skills/1", "/api/v1/skills/2",
                                                   rows=None),
    "/api/v1/equipment-models": _page("/api/v1/equipment-models"),
    "/api/v1/equipment-models/<id:model_id>": _detail("/api/v1/equipment-models/{}",
                                                      "models"),
    "/api/v1/assets": _page("/api/v1/assets"),
    "/api/v1/assets/nearby": lambda w: Case(f"/api/v1/assets/nearby?{NEAR}&limit={SMALL}",
                                            f"/api/v1/assets/nearby?{NEAR}&limit={LARGE}"),
    "/api/v1/assets/<id:asset_id>": _detail("/api/v1/assets/{}", "assets"),
    "/api/v1/assets/by-tag/<string:tag>": _detail("/api/v1/assets/by-tag/{}", "tags"),
    "/api/v1/assets/<id:asset_id>/label.png": _detail("/api/v1/assets/{}/label.png",
                                                      "assets"),
    "/api/v1/assets/<id:asset_id>/label.svg": _detail("/api/v1/assets/{}/label.svg",
                                                      "assets"),
    "/api/v1/assets/<id:asset_id>/meter-readings": lambda w: Case(
        f"/api/v1/assets/{w.ids['assets'][0]}/meter-readings?page_size={SMALL}",
        f"/api/v1/assets/{w.ids['assets'][0]}/meter-readings?page_size={LARGE}"),
    "/r/<path:tag>": lambda w: Case(f"/r/{w.ids['tags'][0]}", f"/r/{w.ids['tags'][1]}",
                                    role="anonymous", rows=None),
    "/api/v1/parts": _page("/api/v1/parts"),
    "/api/v1/parts/<id:part_id>": _detail("/api/v1/parts/{}", "parts"),
    "/api/v1/parts/<id:part_id>/ledger": lambda w: Case(
        f"/api/v1/parts/{w.ids['parts'][1]}/ledger?page_size={SMALL}",
        f"/api/v1/parts/{w.ids['parts'][1]}/ledger?page_size={LARGE}"),
    "/api/v1/parts/low-stock": _page("/api/v1/parts/low-stock"),
    "/api/v1/stock-locations": _page("/api/v1/stock-locations"),
    "/api/v1/stock-locations/<id:location_id>": lambda w: Case(
        "/api/v1/stock-locations/1", "/api/v1/stock-locations/2", rows=None),
    "/api/v1/stock-levels": _page("/api/v1/stock-levels"),
    "/api/v1/stock-movements": _page("/api/v1/stock-movements"),
    "/api/v1/stock-movements/<id:movement_id>": lambda w: Case(
        "/api/v1/stock-movements/1", "/api/v1/stock-movements/2", rows=None),
    "/api/v1/reservations": _page("/api/v1/reservations"),
    "/api/v1/reservations/<id:reservation_id>": lambda w: Case(
        "/api/v1/reservations/1", "/api/v1/reservations/2", rows=None),
    "/api/v1/work-orders": _page("/api/v1/work-orders"),
    "/api/v1/work-orders/<id:work_order_id>": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['plain_wo']}", f"/api/v1/work-orders/{w.ids['rich_wo']}",
        rows=None),
    "/api/v1/work-orders/<id:work_order_id>/timeline": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['rich_wo']}/timeline?page_size={SMALL}",
        f"/api/v1/work-orders/{w.ids['rich_wo']}/timeline?page_size={LARGE}"),
    "/api/v1/work-orders/<id:work_order_id>/photos": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['rich_wo']}/photos?page_size={SMALL}",
        f"/api/v1/work-orders/{w.ids['rich_wo']}/photos?page_size={LARGE}"),
    "/api/v1/work-orders/<id:work_order_id>/photos/<id:photo_id>/file": lambda w: Case(
        *(f"/api/v1/work-orders/{w.ids['rich_wo']}/photos/{p}/file"
          for p in w.ids["rich_photos"]), rows=None),
    "/api/v1/work-orders/<id:work_order_id>/candidates": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['plain_wo']}/candidates?{DAY_Q}",
        f"/api/v1/work-orders/{w.ids['rich_wo']}/candidates?{DAY_Q}", rows=None),
    "/api/v1/ratings/summary": lambda w: Case(
        f"/api/v1/ratings/summary?customer_id={w.ids['customers'][0]}",
        "/api/v1/ratings/summary", rows=None),
    "/api/v1/sla-policies": _page("/api/v1/sla-policies"),
    "/api/v1/business-calendars": lambda w: Case("/api/v1/business-calendars?page_size=1",
                                                 "/api/v1/business-calendars", rows=None),
    "/api/v1/technicians": _page("/api/v1/technicians"),
    "/api/v1/technicians/<id:technician_id>": lambda w: Case(
        f"/api/v1/technicians/{w.ids['few_jobs_tech']}",
        f"/api/v1/technicians/{w.ids['many_jobs_tech']}", rows=None),
    "/api/v1/technicians/<id:technician_id>/availability": lambda w: Case(
        f"/api/v1/technicians/{w.ids['few_jobs_tech']}/availability?date=2031-04-01",
        f"/api/v1/technicians/{w.ids['many_jobs_tech']}/availability?date=2031-04-01",
        rows=None),
    "/api/v1/technicians/<id:technician_id>/exceptions": lambda w: Case(
        f"/api/v1/technicians/{w.ids['many_jobs_tech']}/exceptions?page_size={SMALL}",
        f"/api/v1/technicians/{w.ids['many_jobs_tech']}/exceptions?page_size={LARGE}"),
    "/api/v1/territories": _page("/api/v1/territories"),
    "/api/v1/territories/<id:territory_id>": _detail("/api/v1/territories/{}",
                                                     "territories"),
    "/api/v1/dispatch/plans": _page("/api/v1/dispatch/plans"),
    "/api/v1/dispatch/plans/<id:run_id>": _detail("/api/v1/dispatch/plans/{}", "runs"),
    "/api/v1/dispatch/board": lambda w: Case(f"/api/v1/dispatch/board?{DAY_Q}",
                                             f"/api/v1/dispatch/board?{DAY_Q}", rows=None),
    "/api/v1/dispatch/pick-lists": lambda w: Case(f"/api/v1/dispatch/pick-lists?{DAY_Q}",
                                                  f"/api/v1/dispatch/pick-lists?{DAY_Q}",
                                                  rows=None),
    "/mobile/v1/me/jobs": lambda w: Case(f"/mobile/v1/me/jobs?{DAY_Q}",
                                         f"/mobile/v1/me/jobs?{DAY_Q}", role="few_jobs",
                                         large_role="many_jobs", rows=lambda b: len(b["jobs"])),
    "/healthz": lambda w: Case("/healthz", "/healthz", role="anonymous", rows=None),
}


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


def _call(world: World, path: str, role: str, status: int = 200) -> tuple[Any, list[str]]:
    from app.extensions import db

    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
    client = world.app.test_client()
    if role.startswith("console_"):  # a console page: the signed session cookie
        headers = {}
        client.set_cookie(world.app.config["SESSION_COOKIE_NAME"], world.tokens[role])
    with world.app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(path, headers=headers)
    if response.mimetype != "text/event-stream":  # never ends
        response.get_data()  # read the body (a file sent), then close it
    response.close()
    assert response.status_code == status, (path, response.status_code,
                                         response.get_data(as_text=True)[:300])
    return response, counter.statements


def _statements_for(world: World, case: Case) -> tuple[list[str], list[str], Any, Any]:
    _call(world, case.small, case.role, case.status)  # warm caches (first-use lookups)
    small, few = _call(world, case.small, case.role, case.status)
    large, many = _call(world, case.large, case.large_role or case.role, case.status)
    return few, many, small, large


def test_every_get_endpoint_is_covered(world: World) -> None:
    rules = {rule.rule for rule in world.app.url_map.iter_rules()
             if "GET" in (rule.methods or ())} - NOT_DATA - NOT_YET_COUNTED
    assert sorted(rules - set(ENDPOINTS)) == [], "add these GET endpoints to ENDPOINTS"
    assert sorted(set(ENDPOINTS) - rules) == [], "ENDPOINTS names routes that do not exist"


@pytest.mark.parametrize("rule", sorted(ENDPOINTS))
def test_statements_do_not_grow_with_rows(world: World, rule: str) -> None:
    case = ENDPOINTS[rule](world)
    few, many, small, large = _statements_for(world, case)
    if case.rows is not None:
        small_rows, large_rows = case.rows(small.get_json()), case.rows(large.get_json())
        assert small_rows <= SMALL < large_rows, (rule, small_rows, large_rows)
    assert len(few) == len(many), (
        f"{rule}: {len(few)} statements for few rows, {len(many)} for many:\n"
        + "\n".join(s[:120] for s in many))


def test_the_queue_is_a_handful_of_statements(world: World) -> None:
    """50 orders in SLA order, with and without a filter: one count, one page, one query per
    relation shown (skills, windows, pauses, rating, policy), the user: at most 10."""
    from app.extensions import db
    from app.workorders.models import WorkOrder

    # The filter matches at least one open order whatever the demo's clock made of the data
    # (a fixed "status=new&priority=P1&priority=P2" matched nothing at some times of day).
    with world.app.app_context():
        plain = db.session.get(WorkOrder, world.ids["plain_wo"])
        status, priority = plain.status, plain.priority
    for query in ("page_size=50",
                  f"page_size=50&status=new&status={status}&priority=P1&priority={priority}"):
        _call(world, f"/api/v1/work-orders?{query}", "dispatcher")
        response, statements = _call(world, f"/api/v1/work-orders?{query}", "dispatcher")
        assert len(statements) <= 10, statements
        assert response.get_json()


def _add_technicians(world: World, n: int) -> None:
    """n more technicians, each with a shift, an exception and a job on DAY."""
    from app.extensions import db
    from app.workorders.models import WorkOrder

    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    first = world.ids.get("extra_technicians", 0)
    world.ids["extra_technicians"] = first + n
    for i in range(first, first + n):
        r = client.post("/api/v1/users", headers=headers, json={
            "email": f"extra{i}@example.test", "full_name": f"Extra Tech {i}",
            "role": "technician", "password": "correct-horse-battery"})
        assert r.status_code == 201, r.get_json()
        r = client.post("/api/v1/technicians", headers=headers, json={
            "user_id": r.get_json()["id"], "home_base": {"lat": 48.14, "lng": 11.56},
            "skills": [], "shifts": [{"weekday": d, "starts": "08:00", "ends": "17:00"}
                                     for d in range(5)]})
        assert r.status_code == 201, r.get_json()
        user_id = r.get_json()["user_id"]
        r = client.post(f"/api/v1/technicians/{r.get_json()['id']}/exceptions",
                        headers=headers, json={
                            "kind": "overtime", "starts_at": f"{DAY.isoformat()}T17:00:00Z",
                            "ends_at": f"{DAY.isoformat()}T18:00:00Z"})
        assert r.status_code == 201, r.get_json()
        with world.app.app_context():
            job = db.session.scalar(select(WorkOrder).where(  # one not yet on DAY
                WorkOrder.status.in_(["new", "scheduled"]),
                WorkOrder.scheduled_start.is_(None)
                | (WorkOrder.scheduled_start < datetime(2031, 1, 1, tzinfo=UTC)))
                .order_by(WorkOrder.id))
            _place_jobs(db.session, user_id, [job])
            db.session.commit()


def test_roster_wide_endpoints_do_not_grow_with_technicians(world: World) -> None:
    """Candidates, the pick lists and the board read every technician: the same number of
    statements with 8 and with 16 technicians (one exceptions query for all, not one each; the
    board's live routes, ETAs and running late, built for all technicians with jobs that day
    at once)."""
    paths = [f"/api/v1/work-orders/{world.ids['rich_wo']}/candidates?{DAY_Q}",
             f"/api/v1/work-orders/{world.ids['plain_wo']}/candidates?{DAY_Q}",
             f"/api/v1/dispatch/pick-lists?{DAY_Q}",
             f"/api/v1/dispatch/board?{DAY_Q}",
             f"/api/v1/technicians?page_size={LARGE}"]
    before = {}
    for path in paths:
        _call(world, path, "dispatcher")
        response, statements = _call(world, path, "dispatcher")
        before[path] = (len(statements), len(response.get_data()))
    _add_technicians(world, 8)
    for path in paths:
        response, statements = _call(world, path, "dispatcher")
        assert len(response.get_data()) > before[path][1], path  # the new ones are listed
        assert len(statements) == before[path][0], (path, before[path][0], statements)


# --- the routes that landed with this test (console pages, maintenance, reports, integrations,
# inbox, keys, tracking): their data, and their cases. Console pages are asked with a signed
# session cookie (role "console_<role>"); an HTML page counts no rows, so its few/many pair
# differs in the data it shows (a filter that matches few, an object with few children).

def _add_for_later_routes(world: World) -> None:
    """Rows for the routes below: many (LARGE + 2) of each list, one parent with many
    children and one with few (checklist items, deliveries, firings), tracking links."""
    from app.assets.models import Asset, Site
    from app.auth import api_keys
    from app.auth.models import User
    from app.dispatch.models import OptimizationRun, PlannedVisit, Technician
    from app.extensions import db
    from app.integrations.models import (
        AutomationFiring,
        AutomationRule,
        InboundEmail,
        WebhookDelivery,
        WebhookSubscription,
    )
    from app.maintenance import service as maintenance
    from app.notifications.models import Notification
    from app.workorders.models import WorkOrder

    app, n = world.app, LARGE + 2
    with app.app_context():
        s = db.session
        admin = s.scalar(select(User).where(User.role == "admin").order_by(User.id))
        for i in range(n):
            api_keys.create_api_key(s, name=f"key {i}", role="dispatcher", scopes=["*:read"],
                                    expires_at=None, actor=admin)
        subs = [WebhookSubscription(url=f"https://hooks.example.test/{i}", secret="s" * 32,
                                    events=["work_order.created"], created_by_id=admin.id)
                for i in range(n)]
        rules = [AutomationRule(name=f"rule {i}", event="work_order.created",
                                created_by_id=admin.id) for i in range(n)]
        s.add_all([*subs, *rules])
        s.flush()  # flush: ids for the children
        for sub, count in ((subs[0], 1), (subs[1], n)):
            s.add_all(WebhookDelivery(delivery_key=f"{sub.id}-{i}", subscription_id=sub.id,
                                      event_type="work_order.created", payload={"i": i})
                      for i in range(count))
        for rule, count in ((rules[0], 1), (rules[1], n)):
            s.add_all(AutomationFiring(rule_id=rule.id, event_type="work_order.created",
                                       outcome="done") for _ in range(count))
        inbound = [InboundEmail(message_id=f"<m{i}@example.test>", from_address="a@example.test",
                                subject=f"Fault {i}", body="The unit trips.", status="held",
                                reason="unknown_sender") for i in range(n)]
        s.add_all(inbound)
        s.add_all(Notification(user_id=admin.id, kind="note", title=f"Note {i}", body="Body")
                  for i in range(n))
        items = [{"label": f"Item {i}", "kind": "pass_fail"} for i in range(n)]
        small = maintenance.create_template(s, code="COUNT-S", name="Few", items=items[:1],
                                            actor=admin)
        big = maintenance.create_template(s, code="COUNT-L", name="Many", items=items,
                                          actor=admin)
        for i in range(n):
            maintenance.create_template(s, code=f"COUNT-{i}", name=f"List {i}",
                                        items=items[:2], actor=admin)
            maintenance.create_article(s, title=f"Gasket {i}", body="Replace the gasket.",
                                       actor=admin)
            maintenance.create_plan(s, {
                "name": f"Monthly check {i}", "equipment_model_id": world.ids["models"][0],
                "interval_unit": "month", "interval_count": 1, "start_date": DAY,
                "horizon_days": 14}, actor=admin)
        maintenance.create_article(s, title="Bearing noise", body="Grease the bearing.",
                                   actor=admin)
        s.flush()  # flush: the templates for the checklists
        few_user = s.get(Technician, world.ids["few_jobs_tech"]).user_id
        few_job = s.scalar(select(WorkOrder).where(WorkOrder.assignee_user_id == few_user)
                           .order_by(WorkOrder.scheduled_start.desc(), WorkOrder.id))
        customer = s.scalar(select(User).where(User.role == "customer").order_by(User.id))
        tags = list(s.scalars(select(Asset.tag).join(Site).where(
            Site.customer_id == customer.customer_id).order_by(Asset.id).limit(2)))
        maintenance.attach_checklist(s, few_job, template_id=small.id, actor=admin)
        next_day = s.scalar(select(WorkOrder).where(
            WorkOrder.status == "new", WorkOrder.asset_id.is_not(None),
            WorkOrder.scheduled_start.is_(None)).order_by(WorkOrder.id.desc()))
        _place_jobs(s, few_user, [next_day])
        next_day.scheduled_start += timedelta(days=1)
        next_day.scheduled_end += timedelta(days=1)
        s.add(OptimizationRun(  # a plan run that day, as DAY has
            plan_date=DAY + timedelta(days=1), status="done", time_limit_s=5, inputs={},
            inputs_digest="0" * 64, result={}, objective=1.0, kpis={}, solver_stats={},
            unassigned=[], visits=[PlannedVisit(
                technician_id=world.ids["few_jobs_tech"], sequence=0,
                work_order_id=next_day.id, work_order_version=1,
                planned_arrival=next_day.scheduled_start,
                planned_start=next_day.scheduled_start, planned_end=next_day.scheduled_end)]))
        maintenance.attach_checklist(s, s.get(WorkOrder, world.ids["rich_wo"]),
                                     template_id=big.id, actor=admin)
        s.commit()
        world.ids.update({
            "subs": (subs[0].id, subs[1].id), "rules": (rules[0].id, rules[1].id),
            "inbound": (inbound[0].id, inbound[1].id), "keys": tuple(api_keys_ids(s)[:2]),
            "templates": (small.id, big.id),
            "plans": tuple(maintenance_plan_ids(s)[:2]),
            "checklist_wos": (few_job.id, world.ids["rich_wo"]),
            "plain_number": s.get(WorkOrder, world.ids["plain_wo"]).number,
        })
        for role in ("admin", "dispatcher", "warehouse", "customer", "technician"):
            user = s.scalar(select(User).where(User.role == role).order_by(User.id))
            world.tokens[f"console_{role}"] = _session_cookie(app, user.id)
        world.tokens["checklist_few"] = _token(app, s.get(User, few_job.assignee_user_id))
        tech_user = s.get(User, s.get(WorkOrder, world.ids["rich_wo"]).assignee_user_id)
        world.tokens["checklist_many"] = _token(app, tech_user)
    client = app.test_client()
    customer = {"Authorization": f"Bearer {world.tokens['customer']}"}
    links, orders = [], []
    for tag in tags:
        r = client.post("/api/v1/fault-reports", headers=customer,
                        json={"asset_tag": tag, "description": "The unit trips."})
        assert r.status_code == 201, r.get_json()
        links.append(r.get_json()["tracking_token"])
        orders.append(r.get_json()["work_order"]["id"])
    world.ids.update({"tracking": tuple(links), "customer_orders": tuple(orders)})


def test_console_admin_lists_do_not_grow_with_rows(world: World) -> None:
    """The admin pages that list every technician, SLA policy and calendar, or territory:
    the same statements after more of each were added (and shown)."""
    pages = ["/admin/technicians", "/admin/sla", "/admin/territories"]
    before = {}
    for page in pages:
        _call(world, page, "console_admin")
        response, statements = _call(world, page, "console_admin")
        before[page] = (len(statements), len(response.get_data()))
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    for i in range(4):
        _add_territory(client, headers, f"More {i}", 48.30 + i * 0.01, 11.70)
        r = client.post("/api/v1/business-calendars", headers=headers, json={
            "name": f"Hours {i}", "weekly_hours": {"mon": [["08:00", "17:00"]]},
            "holidays": ["2031-12-25"]})
        assert r.status_code == 201, r.get_json()
        r = client.put("/api/v1/sla-policies", headers=headers, json={
            "sla_tier": "platinum", "priority": f"P{i + 1}", "response_minutes": 60,
            "resolution_minutes": 240, "calendar_id": r.get_json()["id"]})
        assert r.status_code == 200, r.get_json()
    _add_technicians(world, 3)
    for page in pages:
        response, statements = _call(world, page, "console_admin")
        assert len(response.get_data()) > before[page][1], page  # the new ones are shown
        assert len(statements) == before[page][0], (page, before[page][0], statements)


def maintenance_plan_ids(session: Any) -> list[int]:
    from app.maintenance.models import MaintenancePlan

    return list(session.scalars(select(MaintenancePlan.id).order_by(MaintenancePlan.id)))


def api_keys_ids(session: Any) -> list[int]:
    from app.auth.models import ApiKey

    return list(session.scalars(select(ApiKey.id).order_by(ApiKey.id)))


def _session_cookie(app: Any, user_id: int) -> str:
    return str(app.session_interface.get_signing_serializer(app).dumps({"uid": user_id}))


def _console(path: str, role: str, small: str = "", large: str = "") -> Callable[[World], Case]:
    """A console page as `role`; `small`/`large`: query strings showing few and many rows."""
    return lambda w: Case(f"{path}{small}", f"{path}{large}", role=f"console_{role}",
                          rows=None)




def _period(days_before: int, days_after: int) -> str:
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    return (f"from={(now - timedelta(days=days_before)).isoformat()}Z"
            f"&to={(now + timedelta(days=days_after)).isoformat()}Z")

LATER_ENDPOINTS: dict[str, Callable[[World], Case]] = {
    "/api/v1/api-keys": _page("/api/v1/api-keys"),
    "/api/v1/api-keys/<id:key_id>": _detail("/api/v1/api-keys/{}", "keys"),
    "/api/v1/audit-log": _page("/api/v1/audit-log"),
    "/api/v1/automation-rules": _page("/api/v1/automation-rules"),
    "/api/v1/automation-rules/<id:rule_id>": _detail("/api/v1/automation-rules/{}", "rules"),
    "/api/v1/automation-rules/<id:rule_id>/firings": lambda w: Case(
        f"/api/v1/automation-rules/{w.ids['rules'][1]}/firings?page_size={SMALL}",
        f"/api/v1/automation-rules/{w.ids['rules'][1]}/firings?page_size={LARGE}"),
    "/api/v1/events/stream": lambda w: Case("/api/v1/events/stream", "/api/v1/events/stream",
                                            role="dispatcher", rows=None),
    "/api/v1/inbound-emails": _page("/api/v1/inbound-emails"),
    "/api/v1/inbound-emails/<id:inbound_id>": _detail("/api/v1/inbound-emails/{}", "inbound"),
    "/api/v1/maintenance/articles": lambda w: Case("/api/v1/maintenance/articles?q=bearing",
                                                   "/api/v1/maintenance/articles"),
    "/api/v1/maintenance/articles/<id:article_id>": lambda w: Case(
        "/api/v1/maintenance/articles/1", "/api/v1/maintenance/articles/2", rows=None),
    "/api/v1/maintenance/checklist-templates": _page("/api/v1/maintenance/checklist-templates"),
    "/api/v1/maintenance/checklist-templates/<id:template_id>": _detail(
        "/api/v1/maintenance/checklist-templates/{}", "templates"),
    "/api/v1/maintenance/failure-codes": _page("/api/v1/maintenance/failure-codes"),
    "/api/v1/maintenance/occurrences": _page("/api/v1/maintenance/occurrences"),
    "/api/v1/maintenance/plans": _page("/api/v1/maintenance/plans"),
    "/api/v1/maintenance/plans/<id:plan_id>": _detail("/api/v1/maintenance/plans/{}", "plans"),
    "/api/v1/maintenance/plans/<id:plan_id>/forecasts": _detail(
        "/api/v1/maintenance/plans/{}/forecasts", "plans"),
    "/api/v1/maintenance/reliability/assets/<id:asset_id>": _detail(
        "/api/v1/maintenance/reliability/assets/{}", "assets"),
    "/api/v1/maintenance/reliability/equipment-models/<id:model_id>": _detail(
        "/api/v1/maintenance/reliability/equipment-models/{}", "models"),
    "/api/v1/maintenance/reliability/rising": lambda w: Case(
        "/api/v1/maintenance/reliability/rising?days=30",
        "/api/v1/maintenance/reliability/rising", rows=None),
    "/api/v1/me/notifications": _page("/api/v1/me/notifications"),
    "/api/v1/me/notifications/unread-count": lambda w: Case(
        "/api/v1/me/notifications/unread-count", "/api/v1/me/notifications/unread-count",
        role="dispatcher", large_role="admin", rows=None),
    "/api/v1/reports/kpis": lambda w: Case(  # the demo's orders are around its "now"
        f"/api/v1/reports/kpis?{_period(2, 0)}&group_by=site",
        f"/api/v1/reports/kpis?{_period(300, 30)}&group_by=site",
        rows=None),
    "/api/v1/reports/kpis/series": lambda w: Case(
        "/api/v1/reports/kpis/series?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
        "/api/v1/reports/kpis/series?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z",
        rows=lambda b: len(b["points"])),
    "/api/v1/webhooks": _page("/api/v1/webhooks"),
    "/api/v1/webhooks/<id:subscription_id>": _detail("/api/v1/webhooks/{}", "subs"),
    "/api/v1/webhooks/<id:subscription_id>/deliveries": lambda w: Case(
        f"/api/v1/webhooks/{w.ids['subs'][1]}/deliveries?page_size={SMALL}",
        f"/api/v1/webhooks/{w.ids['subs'][1]}/deliveries?page_size={LARGE}"),
    "/api/v1/webhooks/event-types": lambda w: Case("/api/v1/webhooks/event-types",
                                                   "/api/v1/webhooks/event-types", rows=None),
    "/api/v1/work-orders/<id:work_order_id>/checklist": _detail(
        "/api/v1/work-orders/{}/checklist", "checklist_wos"),
    "/api/v1/work-orders/<id:work_order_id>/service-report.pdf": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['plain_wo']}/service-report.pdf",
        f"/api/v1/work-orders/{w.ids['rich_wo']}/service-report.pdf", rows=None),
    "/api/v1/work-orders/<id:work_order_id>/suggested-articles": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['plain_wo']}/suggested-articles",
        f"/api/v1/work-orders/{w.ids['rich_wo']}/suggested-articles", rows=None),
    "/api/v1/work-orders/<id:work_order_id>/tracking": lambda w: Case(
        f"/api/v1/work-orders/{w.ids['plain_wo']}/tracking",
        f"/api/v1/work-orders/{w.ids['rich_wo']}/tracking", rows=None),
    "/mobile/v1/jobs/<id:job_id>/articles": lambda w: Case(  # the one job with articles
        f"/mobile/v1/jobs/{w.ids['checklist_wos'][0]}/articles",
        f"/mobile/v1/jobs/{w.ids['checklist_wos'][0]}/articles", role="checklist_few",
        rows=None),
    "/mobile/v1/jobs/<id:job_id>/checklist": lambda w: Case(
        f"/mobile/v1/jobs/{w.ids['checklist_wos'][0]}/checklist",
        f"/mobile/v1/jobs/{w.ids['checklist_wos'][1]}/checklist", role="checklist_few",
        large_role="checklist_many", rows=None),
    "/t/<string:token>": lambda w: Case(*[f"/t/{w.ids['tracking'][0]}"] * 2,
                                        role="anonymous", rows=None),
    "/t/<string:token>.json": lambda w: Case(*[f"/t/{w.ids['tracking'][0]}.json"] * 2,
                                             role="anonymous", rows=None),
    "/readyz": lambda w: Case("/readyz", "/readyz", role="anonymous", rows=None),
    "/metrics": lambda w: Case("/metrics", "/metrics", role="anonymous", rows=None),
    # The console's pages.
    "/": lambda w: Case("/", "/", role="console_dispatcher", rows=None, status=302),
    "/login": lambda w: Case("/login", "/login", role="anonymous", rows=None),
    "/console/static/<path:filename>": lambda w: Case(
        "/console/static/live.js", "/console/static/console.css", role="anonymous", rows=None),
    "/console/vendor/leaflet/<path:filename>": lambda w: Case(
        "/console/vendor/leaflet/leaflet.js", "/console/vendor/leaflet/leaflet.css",
        role="anonymous", rows=None),
    "/profile": _console("/profile", "technician"),
    "/admin/users": _console("/admin/users", "admin", "?role=warehouse"),
    "/queue": lambda w: Case(f"/queue?q={w.ids['plain_number']}", "/queue",
                             role="console_dispatcher", rows=None),
    "/board": lambda w: Case("/board?date=2031-03-05", f"/board?{DAY_Q}",
                             role="console_dispatcher", rows=None),
    "/work-orders/<int:work_order_id>": lambda w: Case(
        f"/work-orders/{w.ids['plain_wo']}", f"/work-orders/{w.ids['rich_wo']}",
        role="console_dispatcher", rows=None),
    "/work-orders/<int:work_order_id>/photos/<int:photo_id>": lambda w: Case(
        *(f"/work-orders/{w.ids['rich_wo']}/photos/{p}" for p in w.ids["rich_photos"]),
        role="console_dispatcher", rows=None),
    "/my/sites": _console("/my/sites", "customer"),
    "/my/assets/<int:asset_id>/label.png": _detail("/my/assets/{}/label.png", "assets",
                                                   role="console_admin"),
    "/my/orders": _console("/my/orders", "customer"),
    "/my/orders/<int:work_order_id>": _detail("/my/orders/{}", "customer_orders",
                                              role="console_customer"),
    "/my/report": _console("/my/report", "customer"),
    "/stock": _console("/stock", "warehouse", "?location_id=1", ""),
    "/pick-lists": _console("/pick-lists", "warehouse", "?date=2031-03-05", f"?{DAY_Q}"),
    "/parts/<int:part_id>/ledger": _detail("/parts/{}/ledger", "parts",
                                           role="console_warehouse"),
    "/kpis": _console("/kpis", "dispatcher", "?interval=week", "?interval=day"),  # 9 / 15 points
    # The admin lists show every row (up to the page limit): they are counted again below with
    # more rows (test_console_admin_lists_do_not_grow_with_rows).
    "/admin/technicians": _console("/admin/technicians", "admin"),
    "/admin/sla": _console("/admin/sla", "admin"),
    "/admin/territories": _console("/admin/territories", "admin"),
    "/admin/technicians/<int:technician_id>": lambda w: Case(
        f"/admin/technicians/{w.ids['few_jobs_tech']}",
        f"/admin/technicians/{w.ids['many_jobs_tech']}", role="console_admin", rows=None),
    "/board/plans/<int:run_id>": _detail("/board/plans/{}", "runs", role="console_dispatcher"),
}
ENDPOINTS.update(LATER_ENDPOINTS)


@pytest.mark.parametrize("rule", sorted(LATER_ENDPOINTS))
def test_later_routes_do_not_grow_with_rows(world: World, rule: str) -> None:
    """The same check for the routes above (ENDPOINTS's own parametrization is made before
    they are added)."""
    test_statements_do_not_grow_with_rows(world, rule)
