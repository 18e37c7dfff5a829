"""The preventive work-order generator: schedules, targets, windows, SLA, parts, checklists,
idempotency; occurrences skipped, cancelled and overdue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.errors import Conflict
from tests.maintenance.conftest import NOW, TODAY, occurrences_of, orders_of


def test_a_weekly_plan_creates_preventive_orders_for_its_horizon_once(
        db_session: Any, make_asset: Any, make_plan: Any, make_skill: Any,
        make_sla_policy: Any, generate: Any) -> None:
    from app.workorders.models import WorkOrderEvent

    make_sla_policy(sla_tier="silver", priority="P4", response_minutes=2880,
                    resolution_minutes=10080)
    skill = make_skill()
    asset = make_asset()
    plan = make_plan(asset=asset, weekdays=["tue"], horizon_days=21, estimated_duration_min=90,
                     window_before_days=1, window_after_days=2,
                     required_skills=[{"skill_id": skill.id, "min_level": 2}])

    first = generate()
    again = generate()

    orders = orders_of(db_session, plan)
    assert first.created_count == 3 and again.created_count == 0
    assert [o.due_date for o in occurrences_of(db_session, plan)] == [
        date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22)]
    for order in orders:
        assert (order.type, order.priority, order.status) == ("preventive", "P4", "new")
        assert order.asset_id == asset.id and order.estimated_duration_min == 90
        assert [(s.skill_id, s.min_level) for s in order.skills] == [(skill.id, 2)]
        assert order.resolution_target_min == 10080 and order.resolution_due_at is not None
        kinds = [e.kind for e in db_session.query(WorkOrderEvent).filter_by(
            work_order_id=order.id).order_by(WorkOrderEvent.id)]
        assert kinds == ["created", "preventive_generated"]
    # The window: from the day before the due date to two days after it (Berlin days).
    window = orders[1].time_windows[0]
    assert window.start_at.isoformat() == "2026-12-13T23:00:00+00:00"
    assert window.end_at.isoformat() == "2026-12-17T23:00:00+00:00"


def test_a_model_plan_covers_every_working_asset_of_the_model(
        db_session: Any, make_asset: Any, make_equipment_model: Any, make_plan: Any,
        generate: Any) -> None:
    model = make_equipment_model()
    kept = [make_asset(equipment_model=model), make_asset(equipment_model=model)]
    make_asset(equipment_model=model, status="retired")
    make_asset()  # another model
    plan = make_plan(equipment_model_id=model.id, interval_unit="month", interval_count=3,
                     start_date=TODAY + timedelta(days=3))

    assert generate().created_count == 2
    assert sorted(o.asset_id for o in orders_of(db_session, plan)) == sorted(a.id for a in kept)


def test_a_customer_plan_and_a_site_plan(db_session: Any, make_asset: Any, make_site: Any,
                                          make_customer: Any, make_plan: Any,
                                          generate: Any) -> None:
    customer = make_customer()
    site_a, site_b = make_site(customer=customer), make_site(customer=customer)
    a, b = make_asset(site=site_a), make_asset(site=site_b)
    by_customer = make_plan(customer_id=customer.id, horizon_days=3)
    by_site = make_plan(site_id=site_b.id, horizon_days=3)
    generate()
    assert sorted(o.asset_id for o in orders_of(db_session, by_customer)) == sorted([a.id, b.id])
    assert [o.asset_id for o in orders_of(db_session, by_site)] == [b.id]


def test_the_business_calendar_moves_a_holiday_to_the_plan_s_side(
        db_session: Any, make_asset: Any, make_calendar: Any, make_plan: Any,
        generate: Any) -> None:
    calendar = make_calendar(holidays=["2026-12-24", "2026-12-25"])
    asset = make_asset()
    earlier = make_plan(asset=asset, interval_unit="month", interval_count=1,
                        start_date=date(2026, 12, 24), calendar_id=calendar.id,
                        shift="previous", horizon_days=30)
    later = make_plan(asset=asset, interval_unit="month", interval_count=1,
                      start_date=date(2026, 12, 24), calendar_id=calendar.id, shift="next",
                      horizon_days=30)
    generate()
    assert [o.due_date for o in occurrences_of(db_session, earlier)] == [date(2026, 12, 23)]
    assert [o.due_date for o in occurrences_of(db_session, later)] == [date(2026, 12, 28)]


def test_a_floating_plan_waits_for_the_completion_and_counts_from_it(
        db_session: Any, make_asset: Any, make_plan: Any, generate: Any) -> None:
    asset = make_asset()
    plan = make_plan(asset=asset, anchor="floating", interval_unit="day", interval_count=10,
                     horizon_days=60)
    generate()
    generate(today=TODAY + timedelta(days=20))  # still open: nothing new
    [order] = orders_of(db_session, plan)
    order.status, order.completed_at = "completed", NOW + timedelta(days=4)
    db_session.commit()

    generate(today=TODAY + timedelta(days=5))

    assert [o.due_date for o in occurrences_of(db_session, plan)] == [
        TODAY, TODAY + timedelta(days=14)]  # 10 days after the completion, not the due date
    assert [o.occurrence_key for o in occurrences_of(db_session, plan)] == ["n:1", "n:2"]


def test_a_meter_plan_is_due_when_the_meter_passed_the_interval_since_the_last_service(
        db_session: Any, make_asset: Any, make_plan: Any, read_meter: Any,
        generate: Any) -> None:
    asset = make_asset()
    read_meter(asset, [(30, 1000), (20, 1100), (10, 1240), (1, 1510)])
    plan = make_plan(asset=asset, schedule_kind="meter", meter="hours", meter_interval=500)
    generate()
    [occurrence] = occurrences_of(db_session, plan)
    assert (occurrence.trigger, occurrence.due_date) == ("meter", TODAY)
    assert occurrence.details["threshold"] == "1500.00"
    assert occurrence.details["service_reading"] == "1000.00"


def test_the_meter_trend_raises_the_pm_before_the_calendar_date(
        db_session: Any, make_asset: Any, make_plan: Any, read_meter: Any,
        generate: Any) -> None:
    asset = make_asset()
    # About 20 h a day from 1000 h: 1500 h is reached in about 5 days from the last reading.
    read_meter(asset, [(20, 1000), (15, 1100), (10, 1195), (5, 1300), (1, 1400)])
    plan = make_plan(asset=asset, schedule_kind="both", meter="hours", meter_interval=500,
                     interval_unit="month", interval_count=6,
                     start_date=TODAY + timedelta(days=90), anchor="floating",
                     horizon_days=14)
    generate()
    [occurrence] = occurrences_of(db_session, plan)
    assert occurrence.trigger == "forecast"
    forecast = occurrence.details["forecast"]
    assert forecast["earliest_at"] <= forecast["likely_at"] <= forecast["latest_at"]
    assert TODAY < occurrence.due_date <= TODAY + timedelta(days=7)


def test_without_a_forecast_inside_the_horizon_the_calendar_date_wins(
        db_session: Any, make_asset: Any, make_plan: Any, read_meter: Any,
        generate: Any) -> None:
    asset = make_asset()
    read_meter(asset, [(20, 1000), (10, 1010), (1, 1020)])  # 1 h a day: months away
    plan = make_plan(asset=asset, schedule_kind="both", meter="hours", meter_interval=500,
                     interval_unit="day", interval_count=30, anchor="floating",
                     start_date=TODAY + timedelta(days=2), horizon_days=14)
    generate()
    [occurrence] = occurrences_of(db_session, plan)
    assert (occurrence.trigger, occurrence.due_date) == ("calendar", TODAY + timedelta(days=2))


def test_parts_are_reserved_and_a_shortage_still_creates_the_order(
        db_session: Any, make_asset: Any, make_plan: Any, make_part: Any,
        make_warehouse: Any, receive: Any, level_of: Any, generate: Any) -> None:
    warehouse, filter_, belt = make_warehouse(), make_part(), make_part()
    receive(filter_, warehouse, 3)
    plan = make_plan(asset=make_asset(), horizon_days=8, parts_location_id=warehouse.id,
                     parts=[{"part_id": filter_.id, "quantity": 2}])
    short = make_plan(asset=make_asset(), horizon_days=1, parts_location_id=warehouse.id,
                      parts=[{"part_id": belt.id, "quantity": 1}])
    generate()
    first, second = occurrences_of(db_session, plan)
    assert first.parts_reserved and not second.parts_reserved  # 3 in stock, 2 each
    assert level_of(filter_, warehouse) == (3, 2)
    assert second.details["parts_shortage"][0]["part_id"] == filter_.id
    [gap] = occurrences_of(db_session, short)
    assert gap.work_order_id is not None and not gap.parts_reserved


def test_the_pm_order_inherits_the_newest_checklist_and_the_signature(
        db_session: Any, make_asset: Any, make_plan: Any, make_template: Any, planner: Any,
        generate: Any) -> None:
    from app.maintenance import service

    template = make_template()
    newer = service.add_template_version(db_session, template.id, name=None, items=[
        {"label": "Leak test", "kind": "pass_fail"}], actor=planner)
    db_session.commit()
    plan = make_plan(asset=make_asset(), checklist_template_id=template.id,
                     requires_signature=True, horizon_days=1)
    generate()
    [order] = orders_of(db_session, plan)
    inspection = service.inspection_of(db_session, order)
    assert inspection.template_id == newer.id and newer.version == 2
    assert inspection.requires_signature


def test_skipping_cancels_the_order_and_is_recorded(db_session: Any, make_asset: Any,
                                                    make_plan: Any, planner: Any,
                                                    generate: Any) -> None:
    from sqlalchemy import select

    from app.maintenance import service

    plan = make_plan(asset=make_asset(), horizon_days=8)
    generate()
    first, second = occurrences_of(db_session, plan)
    view = service.skip_occurrence(db_session, first.id, reason="Site closed for renovation",
                                   actor=planner)
    db_session.commit()
    assert view.state == "skipped" and view.work_order.status == "cancelled"
    assert first.skip_reason == "Site closed for renovation"
    with pytest.raises(Conflict) as err:
        service.skip_occurrence(db_session, first.id, reason="again", actor=planner)
    assert err.value.error == "already_skipped"
    assert generate().created_count == 0  # a skipped occurrence is not made again
    listed = service.views(db_session, list(db_session.scalars(service.list_occurrences(
        db_session, actor=planner, plan_id=plan.id, today=TODAY))), TODAY)
    assert [v.state for v in listed] == ["skipped", "planned"]
    assert second.id in [v.id for v in listed]
    assert db_session.scalar(select(plan.__class__.id)) is not None


def test_overdue_pms_are_listed_and_done_ones_are_not(db_session: Any, make_asset: Any,
                                                      make_plan: Any, planner: Any,
                                                      generate: Any) -> None:
    from app.maintenance import service

    plan = make_plan(asset=make_asset(), horizon_days=8)
    generate()
    late, done = orders_of(db_session, plan)
    done.status, done.completed_at = "completed", NOW
    db_session.commit()
    later = TODAY + timedelta(days=10)
    overdue = list(db_session.scalars(service.list_occurrences(
        db_session, actor=planner, overdue=True, today=later, plan_id=plan.id)))
    assert [o.work_order_id for o in overdue] == [late.id]
    assert [v.state for v in service.views(db_session, overdue, later)] == ["overdue"]


def test_a_cancelled_pm_order_shows_as_cancelled_and_is_not_made_again(
        db_session: Any, make_asset: Any, make_plan: Any, planner: Any,
        generate: Any) -> None:
    from app.maintenance import service
    from app.workorders import service as workorders

    plan = make_plan(asset=make_asset(), horizon_days=1)
    generate()
    [order] = orders_of(db_session, plan)
    workorders.transition_work_order(db_session, order, "cancelled", actor=planner,
                                     reason="Asset being replaced")
    db_session.commit()
    assert generate().created_count == 0
    [view] = service.views(db_session, occurrences_of(db_session, plan), TODAY)
    assert view.state == "cancelled"
    # Recording it as skipped afterwards keeps the cancelled order as it is.
    skipped = service.skip_occurrence(db_session, view.id, reason="Asset replaced",
                                      actor=planner)
    assert (skipped.state, skipped.work_order.status) == ("skipped", "cancelled")


def test_a_closed_parts_location_does_not_stop_the_generator(
        db_session: Any, make_asset: Any, make_plan: Any, make_part: Any,
        make_warehouse: Any, generate: Any) -> None:
    warehouse = make_warehouse()
    plan = make_plan(asset=make_asset(), horizon_days=1, parts_location_id=warehouse.id,
                     parts=[{"part_id": make_part().id, "quantity": 1}])
    other = make_plan(asset=make_asset(), horizon_days=1)
    warehouse.is_active = False
    db_session.commit()
    assert generate().created_count == 2
    [occurrence] = occurrences_of(db_session, plan)
    assert occurrence.work_order_id is not None and "parts_error" in occurrence.details
    assert len(occurrences_of(db_session, other)) == 1
