"""Demo maintenance programme: checklists, plans with PMs due this week (one raised early by
its meter trend), a failure taxonomy, knowledge articles in English and Chinese, and one
inspection on site whose failed item raised a repair order."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assets.models import Asset, EquipmentModel, MeterReading
from app.auth.models import Role, User
from app.db import utcnow
from app.demo_calendar import next_working_day, plan_day
from app.maintenance import service
from app.workorders.models import BusinessCalendar, WorkOrder, WorkOrderTimeWindow

CHILLER_ITEMS = [
    {"label": "Refrigerant leak test", "kind": "pass_fail", "severity": "high"},
    {"label": "Suction pressure", "kind": "number", "unit": "bar",
     "min_value": Decimal("3.0"), "max_value": Decimal("6.0"), "severity": "medium"},
    {"label": "Condenser coil", "kind": "choice", "choices": ["clean", "dirty", "blocked"],
     "failing_choices": ["blocked"], "severity": "medium"},
    {"label": "Photo of the control panel", "kind": "photo", "required": False},
    {"label": "Remarks", "kind": "text", "required": False},
]
LIFT_ITEMS = [
    {"label": "Door safety edge works", "kind": "pass_fail", "severity": "critical"},
    {"label": "Levelling accuracy", "kind": "number", "unit": "mm",
     "min_value": Decimal("-10"), "max_value": Decimal("10"), "severity": "high"},
    {"label": "Emergency phone answers", "kind": "pass_fail", "severity": "high"},
]
TAXONOMY = {  # problem: {cause: [remedies]}
    ("HP-TRIP", "High-pressure trip"): {
        ("DIRTY-COND", "Fouled condenser coil"): [("CLEAN-COIL", "Cleaned the coil")],
        ("FAN-FAIL", "Condenser fan failed"): [("REPLACE-FAN", "Replaced the fan motor")]},
    ("LEAK", "Refrigerant leak"): {
        ("JOINT", "Leaking brazed joint"): [("REBRAZE", "Re-brazed and recharged")]},
}
ARTICLES = [
    ("Cleaning a fouled condenser coil",
     "High-pressure trips on warm afternoons usually mean a fouled condenser coil.",
     ["Isolate and lock out the unit", "Rinse the coil from the inside out",
      "Check the fan direction and the high-pressure switch"], ["HP-TRIP", "DIRTY-COND"]),
    ("压缩机过热和高压报警的排查",
     "高压报警时先检查冷凝器风扇是否运转，再检查冷凝器盘管是否脏堵。",
     ["断电并挂牌", "检查风扇电机和电容", "清洗冷凝器盘管"], ["HP-TRIP", "FAN-FAIL"]),
    ("Finding a refrigerant leak",
     "Use the electronic detector along brazed joints; confirm with bubble solution.",
     ["Pressurise with nitrogen", "Check every brazed joint", "Repair, evacuate, recharge"],
     ["LEAK", "JOINT"]),
]


def _model(session: Session, name: str) -> EquipmentModel | None:
    return session.scalar(select(EquipmentModel).where(EquipmentModel.model == name))


def seed_maintenance(session: Session, ctx: Any) -> dict[str, int]:
    planner = session.scalar(select(User).where(User.role == Role.dispatcher).order_by(User.id))
    chiller, lift = _model(session, "AquaForce 30XA"), _model(session, "MonoSpace 500")
    if planner is None or chiller is None or lift is None:
        return {"maintenance_plans": 0}
    today = utcnow().date()
    # PMs start the working day after the demo's plan day: that day's plan stays within the
    # technicians' capacity (the corrective demo jobs fill it), the PMs follow this week.
    pm_start = next_working_day(plan_day(utcnow()))
    office = session.scalar(select(BusinessCalendar).order_by(BusinessCalendar.id))
    # Due dates on working days only (moved to the next one), one day's window each.
    on_working_days = {"calendar_id": office.id if office else None, "shift": "next",
                       "window_before_days": 0, "window_after_days": 0}
    chiller_list = service.create_template(session, code="CHILLER-Q", name="Chiller quarterly",
                                           items=CHILLER_ITEMS, equipment_model_id=chiller.id,
                                           actor=planner)
    lift_list = service.create_template(session, code="LIFT-M", name="Lift monthly",
                                        items=LIFT_ITEMS, equipment_model_id=lift.id,
                                        actor=planner)
    plans = [
        service.create_plan(session, {
            "name": "Chiller quarterly service", "equipment_model_id": chiller.id,
            "checklist_template_id": chiller_list.id, "interval_unit": "month",
            "interval_count": 3, "start_date": pm_start,
            "estimated_duration_min": 120, "horizon_days": 28, **on_working_days},
            actor=planner),
        service.create_plan(session, {
            "name": "Lift monthly inspection", "equipment_model_id": lift.id,
            "checklist_template_id": lift_list.id, "requires_signature": True,
            "interval_unit": "month", "interval_count": 1,
            "start_date": next_working_day(pm_start), "horizon_days": 14,
            **on_working_days}, actor=planner),
    ]
    # One compressor on a running-hours plan whose trend reaches the threshold soon.
    compressor = session.scalar(select(Asset).join(EquipmentModel).where(
        EquipmentModel.category == "compressor").order_by(Asset.id))
    if compressor is not None:
        now = utcnow()
        for n in range(8):
            session.add(MeterReading(asset_id=compressor.id, meter="hours", unit="h",
                                     value=Decimal(2000 + 16 * 4 * n + ctx.rng.randint(0, 6)),
                                     read_at=now - timedelta(days=4 * (8 - n))))
        plans.append(service.create_plan(session, {
            "name": "Compressor 500 h service", "asset_id": compressor.id,
            "schedule_kind": "both", "meter": "hours", "meter_interval": Decimal(600),
            "interval_unit": "month", "interval_count": 6, "anchor": "floating",
            "start_date": today + timedelta(days=120), "horizon_days": 21,
            **on_working_days}, actor=planner))
    session.flush()  # flush: the plans and readings for the generator
    report = service.generate_preventive_orders(session, plan_ids=[p.id for p in plans])
    codes = _seed_taxonomy(session, chiller, planner)
    for title, body, steps, article_codes in ARTICLES:
        service.create_article(session, title=title, body=body, steps=steps,
                               equipment_model_ids=[chiller.id], codes=article_codes,
                               actor=planner)
    repairs = _inspection_with_a_repair(session, chiller_list.id, planner)
    return {"maintenance_plans": len(plans), "preventive_orders": report.created_count,
            "checklist_templates": 2, "failure_codes": codes, "knowledge_articles":
            len(ARTICLES), "inspection_repairs": repairs}


def _seed_taxonomy(session: Session, model: EquipmentModel, planner: User) -> int:
    count = 0
    for (problem, label), causes in TAXONOMY.items():
        top = service.create_failure_code(session, equipment_model_id=model.id,
                                          kind="problem", code=problem, label=label,
                                          actor=planner)
        count += 1
        for (cause, cause_label), remedies in causes.items():
            mid = service.create_failure_code(session, equipment_model_id=model.id,
                                              kind="cause", code=cause, label=cause_label,
                                              parent_id=top.id, actor=planner)
            count += 1
            for remedy, remedy_label in remedies:
                service.create_failure_code(session, equipment_model_id=model.id,
                                            kind="remedy", code=remedy, label=remedy_label,
                                            parent_id=mid.id, actor=planner)
                count += 1
    return count


def _inspection_with_a_repair(session: Session, template_id: int, planner: User) -> int:
    """A technician on site fills the chiller checklist; the leak test fails."""
    job = session.scalar(select(WorkOrder).join(User, User.id == WorkOrder.assignee_user_id)
                         .where(WorkOrder.status == "on_site", WorkOrder.asset_id.is_not(None))
                         .order_by(WorkOrder.id))
    if job is None:
        return 0
    technician = session.get_one(User, job.assignee_user_id)
    service.attach_checklist(session, job, template_id=template_id, actor=planner)
    items = {i.label: i for i in service.get_template(session, template_id,
                                                      actor=planner).items}
    service.record_item(session, job, item_id=items["Suction pressure"].id,
                        answer={"number": Decimal("4.6")}, actor=technician)
    failed = service.record_item(
        session, job, item_id=items["Refrigerant leak test"].id, answer={"passed": False},
        note="Oil trace and bubbles at the brazed joint after the expansion valve.",
        actor=technician)
    if failed.corrective_work_order_id is None:
        return 0
    # The customer takes the repair the working day after the plan day (the brazing needs
    # the plant off): the plan day keeps to the demo's capacity.
    repair = session.get_one(WorkOrder, failed.corrective_work_order_id)
    day = next_working_day(plan_day(utcnow()))
    tz = ZoneInfo("Europe/Berlin")
    repair.time_windows = [WorkOrderTimeWindow(
        start_at=datetime.combine(day, time(8), tz), end_at=datetime.combine(day, time(17), tz))]
    return 1
