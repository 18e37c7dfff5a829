"""The policy table (app/auth/policy.py) proven for every operation of /openapi.json: each one
is called as every role (admin, dispatcher, warehouse, technician, customer, anonymous); a role
the table does not name gets 403 (401 when anonymous), a role it names is let through; where
the table scopes a role (a customer's own account, a technician's assigned jobs, own profile,
own van), the same call on another account's or another technician's object answers 404.
One app and one seeded database per module (the demo data plus two accounts built here)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import build_app

ROLES = ("admin", "dispatcher", "warehouse", "technician", "customer", "anonymous")
PARAM = re.compile(r"{([^}]+)}")

# Bodies that pass validation, so that a scoped write on a foreign object reaches the
# ownership check (a 422 would hide a missing one). Keyed by operation.
VALID_BODIES: dict[str, Any] = {
    "POST /api/v1/dispatch/replans": {"date": "2026-11-23", "time_limit_s": 1,
                                      "now": "2026-11-23T06:00:00+00:00"},
    "POST /mobile/v1/jobs/{job_id}/checklist": {"item_id": 1, "passed": True},
    "POST /api/v1/work-orders/{work_order_id}/transitions": {"to": "closed"},
    "POST /api/v1/work-orders/{work_order_id}/notes": {"text": "matrix", "internal": True},
    "POST /api/v1/work-orders/{work_order_id}/rating": {"score": 5},
    "POST /api/v1/assets/{asset_id}/meter-readings": {"meter": "matrix", "value": "1"},
    "POST /mobile/v1/jobs/{job_id}/status": {"to": "on_hold", "hold_reason": "parts"},
    "POST /mobile/v1/jobs/{job_id}/check-in": {"lat": 0.0, "lng": 0.0, "accuracy_m": 5},
    "POST /mobile/v1/jobs/{job_id}/check-out": {"lat": 0.0, "lng": 0.0, "accuracy_m": 5},
    "POST /mobile/v1/jobs/{job_id}/complete": {"completion": {
        "resolution_notes": "Matrix", "labour_minutes": 5}},
    "POST /mobile/v1/jobs/{job_id}/parts-used": {"lines": [{"part_id": 1, "qty": 1}]},
}
# Query strings that pass validation, for the same reason.
VALID_QUERIES: dict[str, str] = {
    "GET /api/v1/technicians/{technician_id}/availability": "?date=2026-11-23",
}


@dataclass
class World:
    app: Any
    users: dict[str, int]  # role -> user id (technician/customer: of account A)
    own: dict[str, str]  # path parameter -> value the scoped roles own
    foreign: dict[str, str | None]  # path parameter -> another account's / technician's


@pytest.fixture(scope="module")
def world(scratch_databases: Any, tmp_path_factory: Any) -> Iterator[World]:
    from app.assets.models import Asset, EquipmentModel, Skill
    from app.auth.models import User
    from app.demo import seed_demo
    from app.dispatch.models import OptimizationRun, ShiftException, Technician, Territory
    from app.extensions import db
    from app.inventory import service as inventory
    from app.inventory.models import Part, Reservation, StockLocation
    from app.mobile_api.service import add_photo
    from app.mobile_api.storage import LocalStorage
    from app.workorders import service as workorders
    from app.workorders.models import WorkOrder
    from tests.mobile_api.conftest import jpeg_with_exif

    tmp = tmp_path_factory.mktemp("policy_matrix")
    app = build_app(scratch_databases.create(), tmp, PHOTO_STORAGE_DIR=str(tmp / "uploads"))
    with app.app_context():
        s = db.session
        seed_demo(s, seed=7, size="small", force=True, password_method="pbkdf2:sha256:1000")
        s.flush()  # flush: the demo's rows for the picks below
        first = {role: s.scalar(select(User).where(User.role == role, User.is_active)
                                .order_by(User.id))
                 for role in ("admin", "dispatcher", "warehouse", "customer")}
        techs = [t for t in s.scalars(select(Technician).order_by(Technician.id))
                 if s.scalar(select(StockLocation).where(
                     StockLocation.owner_user_id == t.user_id)) is not None][:2]
        tech_a, tech_b = techs
        user_a = s.get(User, tech_a.user_id)
        customer_user = first["customer"]
        assets_a = [a for a in s.scalars(select(Asset).order_by(Asset.id))
                    if a.site.customer_id == customer_user.customer_id]
        # Account B: none of technician A's demo jobs is there.
        tech_a_accounts = set(s.scalars(select(WorkOrder.customer_id).where(
            WorkOrder.assignee_user_id == tech_a.user_id)))
        assets_b = [a for a in s.scalars(select(Asset).order_by(Asset.id))
                    if a.site.customer_id != customer_user.customer_id
                    and a.site.customer_id not in tech_a_accounts]
        asset_a, asset_b = assets_a[0], assets_b[0]
        orders = {}
        for name, asset, tech in (("a", asset_a, tech_a), ("b", asset_b, tech_b)):
            wo = workorders.new_work_order(s, site=asset.site, asset=asset, title="Matrix",
                                           description="Policy matrix", actor=None)
            wo.assignee_user_id, wo.status = tech.user_id, "on_site"
            wo.scheduled_start = wo.responded_at = wo.created_at
            orders[name] = wo
        s.flush()  # flush: ids for the photo
        storage = LocalStorage(tmp / "uploads")
        photo = add_photo(s, orders["a"], data=jpeg_with_exif(), kind="before", caption=None,
                          storage=storage, actor=user_a).photo
        van = {n: s.scalar(select(StockLocation).where(StockLocation.owner_user_id == t.user_id))
               for n, t in (("a", tech_a), ("b", tech_b))}
        part = s.scalar(select(Part).order_by(Part.id))
        movements = {}
        for n in ("a", "b"):
            movements[n] = inventory.record_movement(
                s, kind="receipt", part_id=part.id, quantity=3, to_location_id=van[n].id,
                actor=first["warehouse"])
        reservation = {n: s.scalar(select(Reservation).where(
            Reservation.location_id == van[n].id).order_by(Reservation.id)) for n in "ab"}
        exception = s.scalar(select(ShiftException).where(
            ShiftException.technician_id == tech_a.id))
        s.commit()
        own = {
            "work_order_id": orders["a"].id, "job_id": orders["a"].id,
            "customer_id": customer_user.customer_id, "site_id": asset_a.site_id,
            "asset_id": asset_a.id, "tag": asset_a.tag, "technician_id": tech_a.id,
            "location_id": van["a"].id, "movement_id": movements["a"].id,
            "photo_id": photo.id, "user_id": customer_user.id, "part_id": part.id,
            "model_id": s.scalar(select(EquipmentModel.id)),
            "skill_id": s.scalar(select(Skill.id)),
            "territory_id": s.scalar(select(Territory.id)) or 999_999,
            "run_id": s.scalar(select(OptimizationRun.id)) or 999_999,
            "exception_id": exception.id if exception else 999_999,
            "reservation_id": reservation["a"].id if reservation["a"] else 999_999,
            # Objects of other packages that no role scopes: a missing one is enough (404).
            "subscription_id": 999_999, "delivery_id": 999_999, "inbound_id": 999_999,
            "rule_id": 999_999, "notification_id": 999_999, "token": "not-a-token",
            "key_id": 999_999, "plan_id": 999_999, "occurrence_id": 999_999,
            "template_id": 999_999, "article_id": 999_999,
        }
        foreign = {**own,
                   "work_order_id": orders["b"].id, "job_id": orders["b"].id,
                   "customer_id": asset_b.site.customer_id, "site_id": asset_b.site_id,
                   "asset_id": asset_b.id, "tag": asset_b.tag, "technician_id": tech_b.id,
                   "location_id": van["b"].id, "movement_id": movements["b"].id,
                   "reservation_id": reservation["b"].id if reservation["b"] else None}
        users = {r: u.id for r, u in {**first, "technician": user_a}.items()}
        # The user an admin edits and signs out is nobody the matrix logs in as.
        own["user_id"] = s.scalar(select(User.id).where(User.id.not_in(users.values()))
                                  .order_by(User.id))
    yield World(app, users, {k: str(v) for k, v in own.items()},
                {k: (str(v) if v is not None else None) for k, v in foreign.items()})
    with app.app_context():
        db.engine.dispose()


def _operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.test_client().get("/openapi.json").get_json()
    return [(method.upper(), path, op) for path, ops in spec["paths"].items()
            for method, op in ops.items() if method in ("get", "post", "put", "patch", "delete")]


def _call(world: World, role: str, method: str, path: str, params: dict[str, str | None]
          ) -> int:
    from app.auth.policy import operation

    key = f"{method} {path}"
    url = PARAM.sub(lambda m: params[m.group(1)] or "999999", path) + \
        VALID_QUERIES.get(key, "")
    headers = {}
    if role != "anonymous":
        # Minted per call: a call may have signed the role out everywhere (me/sessions/revoke).
        from flask_jwt_extended import create_access_token, create_refresh_token

        mint = create_refresh_token if key == "POST /api/v1/auth/refresh" \
            else create_access_token
        with world.app.app_context():
            headers["Authorization"] = f"Bearer {mint(str(world.users[role]))}"
    client = world.app.test_client()
    if key == "POST /mobile/v1/jobs/{job_id}/photos":
        return client.post(url, headers=headers, content_type="multipart/form-data",
                           data={"kind": "before", "file": (io.BytesIO(b"x"), "a.jpg")}
                           ).status_code
    assert operation(method, path) == key
    if method == "GET":
        return client.get(url, headers=headers).status_code
    return client.open(url, method=method, headers=headers,
                       json=VALID_BODIES.get(key, {})).status_code


def test_every_operation_has_a_policy_entry_matching_its_declared_roles(world: World) -> None:
    from app.auth.policy import ANONYMOUS, POLICY

    missing, differing = [], []
    operations = _operations(world.app)
    for method, path, op in operations:
        key = f"{method} {path}"
        if key not in POLICY:
            missing.append(key)
        elif "x-roles" in op and sorted(op["x-roles"]) != sorted(
                r for r in POLICY[key].roles if r != ANONYMOUS):
            differing.append((key, op["x-roles"], POLICY[key].roles))
    assert not missing, f"operations without a policy entry: {missing}"
    assert not differing, differing
    stale = set(POLICY) - {f"{m} {p}" for m, p, _ in operations}
    assert not stale, f"policy entries for no operation: {sorted(stale)}"


def test_every_operation_as_every_role_on_own_and_foreign_objects(world: World) -> None:
    from app.auth.policy import ANONYMOUS, POLICY

    wrong, checked = [], 0
    for method, path, _op in _operations(world.app):
        key = f"{method} {path}"
        rule = POLICY[key]
        names = PARAM.findall(path)
        for role in ROLES:
            status = _call(world, role, method, path, world.own)
            checked += 1
            allowed = role in rule.roles or (role == "anonymous" and ANONYMOUS in rule.roles)
            if not allowed:
                expected = {401} if role == "anonymous" else {403}
                if status not in expected:
                    wrong.append((key, role, "denied", status))
                continue
            if status in (401, 403):
                wrong.append((key, role, "allowed", status))
            if role not in rule.scope or not names:
                continue
            foreign = {n: world.foreign[n] for n in names}
            if all(foreign[n] == world.own[n] for n in names) or None in foreign.values():
                continue  # no foreign object of this kind in the seed (reported below)
            status = _call(world, role, method, path, world.foreign)
            checked += 1
            if status not in (403, 404):
                wrong.append((key, role, "foreign", status))
    print(f"policy matrix: {checked} calls over {len(_operations(world.app))} operations")
    assert not wrong, "\n".join(map(str, wrong))
    assert checked > 600, checked


def test_the_matrix_sees_foreign_objects_for_every_scoped_parameter(world: World) -> None:
    """No scoped path parameter silently lacks a foreign object (which would skip checks)."""
    from app.auth.policy import POLICY

    scoped_params = {n for key, rule in POLICY.items() if rule.scope
                     for n in PARAM.findall(key)}
    lacking = {n for n in scoped_params
               if world.foreign.get(n) is None or world.foreign[n] == world.own[n]}
    # A photo hangs off a work order that is itself checked; a part's ledger is narrowed to
    # the technician's van (a filter, not a hidden part); the demo has no reservation at a van.
    assert lacking <= {"photo_id", "part_id", "reservation_id"}, lacking


