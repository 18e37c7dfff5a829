"""A whole working day as one test, over real HTTP against a committed scratch database: a
customer reports a fault by the asset's QR tag, the dispatcher plans, applies and releases the
day, the technician's phone gets the push and the route (a warehouse pick-up, then the job,
with ETAs), the warehouse hands the parts over, the technician travels, checks in inside the
fence, adds a photo and the parts used and completes; the customer follows the tracking link
and rates the visit. At the end the ledger, the timeline, the SLA and the notifications agree.

Runs in-process (werkzeug on a real port, the clock pinned) and once served by gunicorn with
2 workers and a real Celery worker on the local Redis (the plan run goes through Celery)."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
from PIL import Image

from tests.conftest import build_app, redis_url
from tests.dispatch.scratch import close
from tests.notifications.conftest import PROJECT, FakeFcm

SITE = (48.1374, 11.5755)  # Marienplatz
WAREHOUSE = (48.1500, 11.5600)
HOME = (48.1800, 11.5200)
REDIS = redis_url(12)
# In-process the app's clock is pinned: the report comes in at 06:30 on a Monday (Berlin).
MONDAY = date(2030, 5, 6)
REPORTED = datetime(2030, 5, 6, 4, 30, tzinfo=UTC)


class Person:
    """Someone using FieldOps over HTTP with their own bearer token (None: anonymous)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        response = requests.request(method, self.base + path, headers=self.headers,
                                    timeout=60, **kw)
        assert response.status_code == expect, (method, path, response.status_code,
                                                response.text[:500])
        return response.json() if response.content else None


def seed(app: Any, sla_minutes: tuple[int, int] = (4 * 60, 8 * 60)) -> dict[str, Any]:
    """The master data a company has before the day: people, a van, a warehouse with the part,
    a customer site with a tagged chiller that needs an HVAC technician."""
    from datetime import time as at

    from flask_jwt_extended import create_access_token
    from werkzeug.security import generate_password_hash

    from app import geo
    from app.assets.models import Asset, Customer, EquipmentModel, EquipmentModelSkill, Site, Skill
    from app.auth.models import User
    from app.dispatch.models import Technician, TechnicianSkill, WeeklyShift
    from app.extensions import db
    from app.inventory import service as inventory
    from app.workorders.models import SlaPolicy

    with app.app_context():
        s = db.session
        pw = generate_password_hash("x", method="pbkdf2:sha256:1000")
        customer = Customer(account_number="C-DAY", name="Stadtwerke", sla_tier="gold")
        s.add(customer)
        s.flush()
        people = {role: User(email=f"{role}@day.test", full_name=name, role=role,
                             password_hash=pw,
                             customer_id=customer.id if role == "customer" else None)
                  for role, name in (("dispatcher", "Dana Dispatch"),
                                     ("technician", "Jonas Weber-Internal"),
                                     ("warehouse", "Walter Lager"), ("customer", "Eva Kunde"))}
        hvac = Skill(code="hvac", name="HVAC")
        model = EquipmentModel(manufacturer="Carrier", category="chiller", model="30XA-DAY")
        model.skills = [EquipmentModelSkill(skill=hvac, min_level=2)]
        tech = Technician(user=people["technician"], home_base=geo.to_point(*HOME))
        tech.skills = [TechnicianSkill(skill=hvac, level=3)]
        tech.shifts = [WeeklyShift(weekday=0, starts=at(8), ends=at(17))]
        site = Site(customer=customer, name="Rathaus", address_line="Marienplatz 8",
                    city="München", postal_code="80331", location=geo.to_point(*SITE),
                    opening_hours={"mon": [["07:00", "18:00"]]})
        asset = Asset(tag="QR-DAY-0001", site=site, equipment_model=model)
        s.add_all([customer, *people.values(), hvac, model, tech, site, asset])
        s.flush()
        part = inventory.create_part(s, sku="HP-SWITCH", name="Pressure switch", actor=None)
        warehouse = inventory.create_location(s, code="WH-1", name="Main", kind="warehouse",
                                              point={"lat": WAREHOUSE[0], "lng": WAREHOUSE[1]},
                                              actor=None)
        s.add(SlaPolicy(sla_tier="gold", priority="P3", response_minutes=sla_minutes[0],
                        resolution_minutes=sla_minutes[1]))
        van = inventory.create_location(s, code="VAN-1", name="Van", kind="van",
                                        owner_user_id=people["technician"].id, actor=None)
        inventory.record_movement(s, kind="receipt", part_id=part.id, quantity=5,
                                  to_location_id=warehouse.id, actor=None)
        s.commit()
        tokens = {role: create_access_token(identity=str(u.id), additional_claims={"role": role})
                  for role, u in people.items()}
        return {"tokens": tokens, "tech_id": tech.id, "part_id": part.id,
                "warehouse_id": warehouse.id, "van_id": van.id}


# --- each person's actions ---------------------------------------------------------------

def customer_reports_fault(anyone: Person) -> str:
    body = anyone.call("POST", "/api/v1/public/fault-reports", 201, json={
        "tag": "QR-DAY-0001", "description": "Chiller trips on high pressure.",
        "contact_name": "Eva Kunde", "contact_phone": "+49 89 1"})
    return body["tracking_token"]


def warehouse_reserves_part(warehouse: Person, ids: dict[str, Any], wo_id: int) -> None:
    warehouse.call("POST", "/api/v1/reservations", 201, json={
        "work_order_id": wo_id, "location_id": ids["warehouse_id"],
        "lines": [{"part_id": ids["part_id"], "quantity": 2}]})


def dispatcher_plans_and_releases(dispatcher: Person, ids: dict[str, Any], day: date
                                  ) -> dict[str, Any]:
    answer = requests.post(dispatcher.base + "/api/v1/dispatch/plans", timeout=60,
                           headers=dispatcher.headers, json={
                               "date": day.isoformat(), "time_limit_s": 1,
                               "technician_ids": [ids["tech_id"]]})
    assert answer.status_code in (201, 202), answer.text  # solved now, or queued: poll
    run = answer.json()
    deadline = time.monotonic() + 60
    while run["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = dispatcher.call("GET", f"/api/v1/dispatch/plans/{run['id']}")
    assert run["status"] == "done", run
    dispatcher.call("POST", f"/api/v1/dispatch/plans/{run['id']}/apply", json={"dispatch": True})
    return run


def phone_route(phone: Person, day: date) -> list[dict[str, Any]]:
    return phone.call("GET", f"/mobile/v1/me/jobs?date={day.isoformat()}")["route"]


def warehouse_hands_over_parts(warehouse: Person, ids: dict[str, Any], day: date) -> None:
    left = warehouse.call("POST", "/api/v1/dispatch/pick-lists/fulfilment", json={
        "date": day.isoformat(), "technician_id": ids["tech_id"]})
    assert left["lines"] == []


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(out, "JPEG", quality=85)
    return out.getvalue()


def technician_does_the_job(phone: Person, wo_id: int, ids: dict[str, Any], day: date,
                            tracking: Any) -> tuple[dict[str, Any], datetime]:
    fix = {"lat": SITE[0] + 0.02, "lng": SITE[1], "accuracy_m": 8}
    phone.call("POST", f"/mobile/v1/jobs/{wo_id}/status", json={"to": "en_route",
                                                                "position": fix})
    phone.call("POST", "/mobile/v1/me/location", json={"fixes": [fix]})
    (live,) = [s for s in phone_route(phone, day) if s["work_order_id"] == wo_id]
    assert live["eta_source"] == "gps"  # from the fix just sent
    on_the_way = tracking()
    phone.call("POST", f"/mobile/v1/jobs/{wo_id}/check-in", 201, json={
        "lat": SITE[0] + 0.0003, "lng": SITE[1], "accuracy_m": 10})
    phone.call("POST", f"/mobile/v1/jobs/{wo_id}/photos", 201, data={"kind": "before"},
               files={"file": ("unit.jpg", a_photo(), "image/jpeg")})
    phone.call("POST", f"/mobile/v1/jobs/{wo_id}/parts-used", 201, json={
        "lines": [{"part_id": ids["part_id"], "qty": 2}]})
    done = phone.call("POST", f"/mobile/v1/jobs/{wo_id}/complete", json={"completion": {
        "resolution_notes": "Replaced the pressure switch.", "labour_minutes": 40,
        "remedy_code": "replaced_part", "fixed_on_first_visit": True}})
    assert done["status"] == "completed"
    return on_the_way, datetime.fromisoformat(live["eta"])


# --- the day -----------------------------------------------------------------------------

def working_day(base: str, app: Any, ids: dict[str, Any], fcm: FakeFcm, day: date,
                move_clock: Callable[[str], Any] = lambda _at: None) -> None:
    """The day; `move_clock(iso instant)` lets the pinned clock follow the route."""
    from app.extensions import db
    from app.notifications.runner import deliver_round

    tokens = ids["tokens"]
    anyone, dispatcher = Person(base), Person(base, tokens["dispatcher"])
    phone, warehouse = Person(base, tokens["technician"]), Person(base, tokens["warehouse"])
    customer = Person(base, tokens["customer"])
    phone.call("PUT", "/mobile/v1/devices", json={"token": "phone-token-of-jonas-0001",
                                                   "platform": "android"})

    token = customer_reports_fault(anyone)
    seen: list[dict[str, Any]] = []

    def tracking() -> dict[str, Any]:
        seen.append(anyone.call("GET", f"/t/{token}.json"))
        return seen[-1]

    wo_id = tracking()["id"]
    dispatcher.call("POST", f"/api/v1/work-orders/{wo_id}/notes", 201, json={
        "text": "Caretaker is difficult (internal)", "internal": True})
    warehouse_reserves_part(warehouse, ids, wo_id)
    run = dispatcher_plans_and_releases(dispatcher, ids, day)
    assert [v["kind"] for rt in run["routes"] for v in rt["visits"]] == ["pickup", "job"], str(run)
    assert tracking()["status"] == "dispatched"

    with app.app_context():  # `flask notifications deliver`: the outbox to the FCM server
        deliver_round(db.session, app.config)
    pushed = [r["body"]["message"] for r in fcm.requests]
    assert [m["data"]["kind"] for m in pushed
            if (m.get("token") or m.get("fid")) == "phone-token-of-jonas-0001"] == \
        ["route_released"]

    route = phone_route(phone, day)
    assert [s["kind"] for s in route] == ["pickup", "job"]
    pickup, job = route
    assert pickup["warehouse"]["code"] == "WH-1"
    assert [(c["sku"], c["quantity"]) for c in pickup["collect"]] == [("HP-SWITCH", 2)]
    assert job["work_order_id"] == wo_id and job["eta"] and job["planned_start"]
    assert datetime.fromisoformat(pickup["planned_start"]) < datetime.fromisoformat(job["eta"])
    move_clock(pickup["planned_start"])
    warehouse_hands_over_parts(warehouse, ids, day)
    # The hand-over takes longer than planned: the technician sets off 90 minutes late.
    move_clock((datetime.fromisoformat(pickup["planned_end"]) + timedelta(minutes=90)).isoformat())

    en_route, eta = technician_does_the_job(phone, wo_id, ids, day, tracking)
    assert en_route["status"] == "en_route"
    assert en_route["technician"] == {"first_name": "Jonas"}
    window = {k: datetime.fromisoformat(v) for k, v in en_route["eta_window"].items()}
    assert window["from"] <= eta <= window["to"]  # the customer's window: the phone's live ETA
    final = tracking()
    assert final["status"] == "completed"
    assert final["done"]["summary"] == "Replaced the pressure switch."
    assert all("difficult" not in str(view) and "Internal" not in str(view) for view in seen)
    statuses = [v["status"] for v in seen]
    assert statuses == ["new", "dispatched", "en_route", "completed"]
    customer.call("POST", f"/api/v1/work-orders/{wo_id}/rating", 201,
                  json={"score": 5, "comment": "Quick and friendly."})

    everything_agrees(app, dispatcher, phone, ids, wo_id)


def everything_agrees(app: Any, dispatcher: Person, phone: Person, ids: dict[str, Any],
                      wo_id: int) -> None:
    """The ledger, the timeline, the SLA and the notifications tell the same day."""
    from app.extensions import db
    from app.inventory.service import verify_stock

    with app.app_context():  # `flask inventory verify`
        assert verify_stock(db.session) == []
    wh, van, part = ids["warehouse_id"], ids["van_id"], ids["part_id"]
    moves = sorted((m["id"], m["kind"], m["from_location_id"], m["to_location_id"],
                    m["work_order_id"], m["quantity"]) for m in dispatcher.call(
        "GET", f"/api/v1/stock-movements?part_id={part}&page_size=100"))
    assert [m[1:] for m in moves] == [("receipt", None, wh, None, 5),
                                      ("transfer", wh, van, None, 2),
                                      ("issue", van, None, wo_id, 2)]
    levels = {(lv["location_id"], lv["on_hand"], lv["reserved"]) for lv in dispatcher.call(
        "GET", f"/api/v1/stock-levels?part_id={part}")}
    assert levels == {(wh, 3, 0), (van, 0, 0)}

    events = dispatcher.call("GET", f"/api/v1/work-orders/{wo_id}/timeline?page_size=100")
    times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert times == sorted(times)  # the timeline reads in the order things happened
    changes = [e["data"]["to"] for e in events if e["kind"] == "status_changed"]
    assert changes == ["scheduled", "dispatched", "en_route", "on_site", "completed"]
    kinds = [e["kind"] for e in events]
    assert {"checked_in", "photo_added", "parts_used", "rated"} <= set(kinds), kinds
    assert "geofence_override" not in kinds  # checked in inside the fence
    assert "sla_breached" not in kinds and "sla_warning" not in kinds

    order = dispatcher.call("GET", f"/api/v1/work-orders/{wo_id}")
    at = {k: datetime.fromisoformat(order[k]) for k in (
        "created_at", "responded_at", "response_due_at", "completed_at", "resolution_due_at")}
    assert order["status"] == "completed"
    assert at["created_at"] < at["responded_at"] <= at["completed_at"]
    assert at["responded_at"] <= at["response_due_at"]
    assert at["completed_at"] <= at["resolution_due_at"]
    assert not order["sla"]["response_breached"] and not order["sla"]["resolution_breached"]

    assert "fault_reported" in [n["kind"] for n in dispatcher.call(
        "GET", "/api/v1/me/notifications")]
    assert "route_released" in [n["kind"] for n in phone.call(
        "GET", "/api/v1/me/notifications")]


def test_a_whole_working_day_over_http(scratch_databases: Any, tmp_path: Any,
                                       clock: Any) -> None:
    from werkzeug.serving import make_server

    clock.pin(REPORTED)
    fcm = FakeFcm()
    fcm.thread.start()
    app = build_app(scratch_databases.create(), tmp_path, FCM_PROJECT_ID=PROJECT,
                    FCM_ENDPOINT=fcm.url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        working_day(f"http://127.0.0.1:{server.server_port}", app, seed(app), fcm, MONDAY,
                    lambda at: clock.pin(datetime.fromisoformat(at)))
    finally:
        server.shutdown()
        serving.join(timeout=10)
        fcm.server.shutdown()
        fcm.server.server_close()
        close(app)


def celery_worker(database_url: str, tmp_dir: Any) -> tuple[Any, Any]:
    """A real `celery -A app.celery_worker worker` process on the local Redis (queue purged)."""
    import subprocess
    import sys

    from tests.ops.gunicorn_server import REPO

    log_path = tmp_dir / "celery.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app.celery_worker", "worker", "--pool=solo",
         "--purge", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env={
            **os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": database_url,
            "FIELDOPS_INSTANCE_DIR": str(tmp_dir), "SECRET_KEY": "test-secret",
            "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
            "CELERY_BROKER_URL": REDIS, "CELERY_RESULT_BACKEND": REDIS})
    deadline = time.monotonic() + 60
    while " ready." not in log_path.read_text(errors="replace"):
        assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    return process, log


def test_the_same_day_served_by_gunicorn_with_a_celery_worker(scratch_databases: Any,
                                                               tmp_path: Any) -> None:
    """Two gunicorn workers answer the people; the plan run is queued on the local Redis and
    solved by a real Celery worker process. Those processes run on the system clock, so this
    run does too: the next Monday at least two days ahead, whatever the hour, under a
    two-week SLA (the planner rightly leaves a job whose deadline is before the day)."""
    import signal

    from app.db import pin_clock, utcnow
    from tests.ops.gunicorn_server import GunicornServer

    pin_clock(None)
    day = utcnow().date() + timedelta(days=2)
    day += timedelta(days=(7 - day.weekday()) % 7)
    fcm = FakeFcm()
    fcm.thread.start()
    url = scratch_databases.create()
    app = build_app(url, tmp_path, FCM_PROJECT_ID=PROJECT, FCM_ENDPOINT=fcm.url)
    ids = seed(app, sla_minutes=(14 * 24 * 60, 14 * 24 * 60 + 8 * 60))
    worker, worker_log = celery_worker(url, tmp_path)
    server = GunicornServer(url, tmp_path, CELERY_BROKER_URL=REDIS,
                            CELERY_RESULT_BACKEND=REDIS, DISPATCH_INLINE_LIMIT_S="0")
    try:
        working_day(f"http://127.0.0.1:{server.port}", app, ids, fcm, day)
    finally:
        log = server.stop()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        worker_log.close()
        fcm.server.shutdown()
        fcm.server.server_close()
        close(app)
    assert log.count("Booting worker") >= 2
    solved = (tmp_path / "celery.log").read_text(errors="replace")
    assert len(re.findall(r"Task fieldops\.run_plan\[[\w-]+\] succeeded", solved)) == 1, solved
