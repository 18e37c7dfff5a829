"""Maintenance factories: checklists and plans made through the service (so they are valid),
meter readings with explicit times. The phone's factories (technician, job, photos) and those
of the packages below are reused from their test packages."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.dispatch import conftest as dispatch_factories
from tests.inventory import conftest as inventory_factories
from tests.mobile_api import conftest as mobile_factories
from tests.workorders import conftest as workorders_factories

make_technician = dispatch_factories.make_technician
make_part, make_van = inventory_factories.make_part, inventory_factories.make_van
make_warehouse, receive = inventory_factories.make_warehouse, inventory_factories.receive
warehouse_user, level_of = inventory_factories.warehouse_user, inventory_factories.level_of
make_work_order = workorders_factories.make_work_order
make_calendar = workorders_factories.make_calendar
make_sla_policy = workorders_factories.make_sla_policy
make_tech, tech, phone = mobile_factories.make_tech, mobile_factories.tech, mobile_factories.phone
make_job, photo_dir = mobile_factories.make_job, mobile_factories.photo_dir

# A Monday. Generator tests pass it as `today` so they never depend on the real date.
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)

ITEMS = [
    {"label": "Refrigerant leak test", "kind": "pass_fail", "severity": "high"},
    {"label": "Suction pressure", "kind": "number", "unit": "bar", "min_value": "3.000",
     "max_value": "6.000", "severity": "medium"},
    {"label": "Filter state", "kind": "choice", "choices": ["clean", "dirty", "blocked"],
     "failing_choices": ["blocked"], "severity": "low"},
    {"label": "Remarks", "kind": "text", "required": False},
]


@pytest.fixture
def planner(make_user: Any) -> Any:
    return make_user("dispatcher")


@pytest.fixture
def make_template(db_session: Any, planner: Any) -> Any:
    """make_template(items=ITEMS, code=None, equipment_model=None)."""
    from app.maintenance import service

    def make(items: list[dict[str, Any]] | None = None, code: str | None = None,
             equipment_model: Any = None) -> Any:
        items = [{"required": True, "severity": "medium", **i} for i in (items or ITEMS)]
        for item in items:
            for limit in ("min_value", "max_value"):
                if item.get(limit) is not None:
                    item[limit] = Decimal(item[limit])
        template = service.create_template(
            db_session, code=code or f"CL-{uuid.uuid4().hex[:6]}", name="Chiller service",
            items=items, equipment_model_id=equipment_model.id if equipment_model else None,
            actor=planner)
        db_session.commit()
        return template

    return make


@pytest.fixture
def make_plan(db_session: Any, planner: Any) -> Any:
    """make_plan(asset=..., **fields): weekly on Mondays from TODAY unless told otherwise."""
    from app.maintenance import service

    def make(asset: Any = None, **values: Any) -> Any:
        if asset is not None:
            values["asset_id"] = asset.id
        defaults = {"name": f"Quarterly service {uuid.uuid4().hex[:4]}", "start_date": TODAY,
                    "interval_unit": "week", "interval_count": 1}
        if values.get("schedule_kind") == "meter":
            defaults.pop("interval_unit"), defaults.pop("interval_count")
        plan = service.create_plan(db_session, {**defaults, **values}, actor=planner)
        db_session.commit()
        return plan

    return make


@pytest.fixture
def read_meter(db_session: Any) -> Any:
    """read_meter(asset, [(days_before_NOW, value), ...], meter="hours")."""
    from app.assets.models import MeterReading

    def add(asset: Any, readings: list[tuple[float, float]], meter: str = "hours") -> None:
        for days_ago, value in readings:
            db_session.add(MeterReading(asset_id=asset.id, meter=meter, unit="h",
                                        value=Decimal(str(value)),
                                        read_at=NOW - timedelta(days=days_ago)))
        db_session.commit()

    return add


@pytest.fixture
def generate(db_session: Any) -> Any:
    """generate(today=TODAY) -> the report, committed."""
    from app.maintenance import service

    def run(today: date = TODAY, **kw: Any) -> Any:
        now = datetime.combine(today, NOW.timetz())
        report = service.generate_preventive_orders(db_session, today=today, now=now, **kw)
        db_session.commit()
        return report

    return run


def orders_of(db_session: Any, plan: Any) -> list[Any]:
    """The plan's work orders in due-date order."""
    from sqlalchemy import select

    from app.maintenance.models import PlanOccurrence
    from app.workorders.models import WorkOrder

    return list(db_session.scalars(
        select(WorkOrder).join(PlanOccurrence, PlanOccurrence.work_order_id == WorkOrder.id)
        .where(PlanOccurrence.plan_id == plan.id)
        .order_by(PlanOccurrence.due_date, PlanOccurrence.id)))


def occurrences_of(db_session: Any, plan: Any) -> list[Any]:
    from sqlalchemy import select

    from app.maintenance.models import PlanOccurrence

    return list(db_session.scalars(select(PlanOccurrence).where(
        PlanOccurrence.plan_id == plan.id).order_by(PlanOccurrence.due_date,
                                                    PlanOccurrence.id)))
