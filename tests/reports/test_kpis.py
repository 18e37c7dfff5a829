"""KPIs against a hand-made week whose every figure is worked out below.

The week: Monday 2 to Monday 9 November 2026 (UTC); "now" is 20 November. Customer A has
assets a1, a2, a3 (one model), customer B has b1 (another model); one technician works
Mon-Fri 08:00-17:00 with a 30-minute break (510 rostered minutes a day, 2,550 in the week).

| order | customer | type | created | response due / on site | resolution due / completed |
|---|---|---|---|---|---|
| W1 | A, a1 | corrective | Mon 09:00 | 13:00 / 11:55 met | Tue 09:00 / Mon 15:00 met |
| W2 | A, a2 | corrective | Tue 10:00 | 14:00 / 16:00 missed | Wed 10:00 / Thu 10:00 missed |
| W3 | B, b1 | corrective | Wed 08:00 | 12:00 / never, missed | Thu 08:00 / open, missed |
| W4 | B | preventive | Sun 1 Nov | Fri 12:00 / 08:00 met | Sat 00:00 / Fri 09:00 met |
| W5 | A, a1 | corrective, cancelled | Thu 08:00 | excluded | excluded |
| W6 | A, a1 | corrective | Tue 10 Nov | after the week | after the week |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import assert_error


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


START, END, NOW = t(2), t(9), t(20)


@pytest.fixture
def week(db_session: Any, make_customer: Any, make_site: Any, make_asset: Any,
         make_equipment_model: Any, make_work_order: Any, make_technician: Any,
         make_part: Any) -> Any:
    from app import geo
    from app.inventory.models import StockLocation, StockMovement
    from app.mobile_api.models import SiteVisit
    from app.workorders.models import WorkOrderEvent, WorkOrderRating, WorkOrderTimeWindow

    a, b = make_customer(name="Alpha Kälte"), make_customer(name="Beta Lifts")
    site_a, site_b = make_site(customer=a), make_site(customer=b)
    model_a, model_b = make_equipment_model(), make_equipment_model()
    old = {"created_at": t(1) - timedelta(days=30)}
    a1, a2, a3 = (make_asset(site=site_a, equipment_model=model_a, **old) for _ in range(3))
    b1 = make_asset(site=site_b, equipment_model=model_b, **old)
    tech = make_technician(timezone="UTC")
    user = tech.user

    w1 = make_work_order(asset=a1, status="completed", assignee=user, created_at=t(2, 9),
                         response_due_at=t(2, 13), responded_at=t(2, 11, 55),
                         resolution_due_at=t(3, 9), completed_at=t(2, 15),
                         first_time_fix=True, labour_minutes=60,
                         scheduled_start=t(2, 11, 45), scheduled_end=t(2, 13))
    w2 = make_work_order(asset=a2, status="completed", assignee=user, created_at=t(3, 10),
                         response_due_at=t(3, 14), responded_at=t(3, 16),
                         resolution_due_at=t(4, 10), completed_at=t(5, 10),
                         first_time_fix=False, labour_minutes=120,
                         scheduled_start=t(3, 13), scheduled_end=t(3, 15))
    w3 = make_work_order(asset=b1, status="new", created_at=t(4, 8),
                         response_due_at=t(4, 12), resolution_due_at=t(5, 8))
    make_work_order(site=site_b, type="preventive", status="completed", assignee=user,
                    created_at=t(1, 8), response_due_at=t(6, 12), responded_at=t(6, 8),
                    resolution_due_at=t(7), completed_at=t(6, 9), labour_minutes=90,
                    scheduled_start=t(6, 8), scheduled_end=t(6, 9))
    make_work_order(asset=a1, status="cancelled", created_at=t(5, 8),
                    response_due_at=t(5, 12), resolution_due_at=t(6, 8))
    make_work_order(asset=a1, status="new", created_at=t(10, 10),
                    response_due_at=t(10, 14), resolution_due_at=t(11, 10))

    db_session.add(WorkOrderTimeWindow(work_order_id=w2.id, start_at=t(3, 13),
                                       end_at=t(3, 15)))
    spot = geo.to_point(48.1374, 11.5755)
    for order, left, arrived, gone in ((w1, t(2, 11, 30), t(2, 11, 55), t(2, 13, 55)),
                                       (w2, t(3, 15), t(3, 16), t(3, 18))):
        db_session.add(WorkOrderEvent(work_order_id=order.id, kind="status_changed",
                                      data={"from": "dispatched", "to": "en_route"},
                                      occurred_at=left))
        db_session.add(SiteVisit(work_order_id=order.id, technician_user_id=user.id,
                                 check_in_at=arrived, check_in_position=spot,
                                 check_in_accuracy_m=5, check_in_distance_m=10,
                                 check_in_inside_geofence=True, check_out_at=gone))
    db_session.add_all([
        WorkOrderRating(work_order_id=w1.id, score=5, created_at=t(3, 9)),
        WorkOrderRating(work_order_id=w2.id, score=2, created_at=t(6, 9)),
    ])
    part = make_part()
    depot = StockLocation(code="WH-KPI", name="Depot", kind="warehouse", location=spot)
    db_session.add(depot)
    db_session.flush()  # flush: the ledger lines refer to the depot's id
    for kind, qty, cost, order, when in (("issue", 3, "10.00", w1, t(2, 12)),
                                         ("return", 1, "10.00", w1, t(2, 14)),
                                         ("issue", 2, "25.50", w2, t(4, 9)),
                                         ("issue", 7, "99.00", w2, t(12, 9))):
        db_session.add(StockMovement(
            kind=kind, part_id=part.id, quantity=qty, unit_cost=Decimal(cost),
            work_order_id=order.id, created_at=when,
            **({"from_location_id": depot.id} if kind == "issue"
               else {"to_location_id": depot.id})))
    db_session.commit()
    return {"a": a, "b": b, "user": user, "model_a": model_a, "w3": w3,
            "assets": (a1, a2, a3, b1)}


def report(db_session: Any, **kw: Any) -> dict[str, Any]:
    from app.reports.service import kpi_report

    return kpi_report(db_session, start=START, end=END, now=NOW, **kw)


def test_week_totals_match_the_hand_computed_figures(db_session, week):
    total = report(db_session)["total"]

    assert total["created"] == 4  # W1, W2, W3, W5 (W4 before, W6 after the week)
    assert total["completed"] == 3  # W1, W2, W4
    assert total["mttr_minutes"] == pytest.approx((360 + 2880) / 2)  # corrective only
    assert total["mean_labour_minutes"] == pytest.approx(90.0)  # (60 + 120 + 90) / 3
    assert total["first_time_fix_rate"] == 0.5  # W1 yes, W2 no
    assert total["response_sla_rate"] == 0.5  # W1, W4 met; W2, W3 missed; W5 cancelled
    assert total["resolution_sla_rate"] == 0.5
    assert total["pm_compliance_rate"] == 1.0  # W4
    assert total["on_time_arrival_rate"] == 0.5  # W1 10 min after start; W2 after its window
    assert total["travel_minutes"] == pytest.approx(25 + 60, abs=0.1)
    assert total["on_site_minutes"] == pytest.approx(240, abs=0.1)
    assert total["travel_share"] == pytest.approx(85 / 325, abs=1e-3)
    assert total["utilisation"] == pytest.approx(240 / 2550, abs=1e-3)
    assert total["csat_average"] == 3.5 and total["csat_rate"] == 0.5
    assert total["ratings"] == 2
    assert total["parts_quantity"] == 4  # 3 issued, 1 returned, 2 issued; not the 12th's
    assert total["parts_cost"] == "71.00"
    assert total["backlog"] == 1  # W3 (W6 was created after the week)
    assert total["backlog_mean_age_hours"] == pytest.approx(15 * 24 + 16, abs=0.1)
    assert total["backlog_by_age"]["7-30d"] == 1
    assert sum(total["backlog_by_age"].values()) == 1
    # 4 assets x 168 h, 3 failures (W1, W2, W3; W5 was cancelled)
    assert total["mtbf_hours"] == pytest.approx(4 * 168 / 3, abs=0.1)


def test_breakdown_by_customer_splits_the_week(db_session, week):
    groups = {g["key"]: g for g in report(db_session, group_by="customer")["groups"]}
    a, b = groups[week["a"].id], groups[week["b"].id]

    assert a["label"] == "Alpha Kälte"
    assert (a["created"], b["created"]) == (3, 1)
    assert a["response_sla_rate"] == 0.5 and b["response_sla_rate"] == 0.5
    assert a["mttr_minutes"] == pytest.approx(1620.0) and b["mttr_minutes"] is None
    assert b["pm_compliance_rate"] == 1.0 and a["pm_compliance_rate"] is None
    assert a["csat_average"] == 3.5 and b["ratings"] == 0
    assert a["parts_cost"] == "71.00" and b["parts_cost"] == "0.00"
    assert (a["backlog"], b["backlog"]) == (0, 1)
    assert a["mtbf_hours"] == pytest.approx(3 * 168 / 2, abs=0.1)  # a3 never failed
    assert b["mtbf_hours"] == pytest.approx(168.0, abs=0.1)


def test_breakdown_by_technician_and_model(db_session, week):
    by_tech = {g["key"]: g for g in report(db_session, group_by="technician")["groups"]}
    mine = by_tech[week["user"].id]
    assert mine["completed"] == 3 and mine["label"] == week["user"].full_name
    assert mine["utilisation"] == pytest.approx(240 / 2550, abs=1e-3)
    assert mine["mtbf_hours"] is None  # not a property of a technician
    assert by_tech[None]["created"] == 2  # W3 and W5 have nobody assigned

    by_model = {g["key"]: g for g in report(db_session, group_by="equipment_model")["groups"]}
    assert by_model[week["model_a"].id]["first_time_fix_rate"] == 0.5


def test_series_per_day_counts_each_day(db_session, week):
    from app.reports.service import kpi_series

    series = kpi_series(db_session, start=START, end=t(5), now=NOW, interval="day")
    assert [p["created"] for p in series["points"]] == [1, 1, 1]
    assert [p["completed"] for p in series["points"]] == [1, 0, 0]


@pytest.mark.parametrize(("interval", "now", "account"), [
    ("day", NOW, None), ("day", t(5, 12), None), ("week", NOW, None), ("day", NOW, "a")])
def test_each_point_of_a_series_is_the_report_of_its_period(db_session, week, interval, now,
                                                           account):
    """The series is computed for all its periods at once, and each point still says what the
    report of its own period says: an order created in one period and completed in another
    counts in both, the backlog of every period after its creation, targets after "now" are
    not judged, days end at midnight in the series' zone, the first period starts at `from`."""
    from app.reports.service import kpi_report, kpi_series

    customer_id = week[account].id if account else None
    series = kpi_series(db_session, start=t(1, 12), end=t(12), now=now, interval=interval,
                        timezone="Europe/Berlin", customer_id=customer_id)
    points = series["points"]
    # Berlin days 1 (from 13:00) to 12 (until 01:00); weeks from Mondays 26 Oct, 2 and 9 Nov
    assert len(points) == (12 if interval == "day" else 3)
    assert points[0]["from"] == t(1, 12) and points[-1]["to"] == t(12)
    for point in points:
        alone = kpi_report(db_session, start=point["from"], end=point["to"], now=now,
                           customer_id=customer_id)["total"]
        assert {key: point[key] for key in alone} == alone, point["from"]
    assert sum(p["created"] for p in points) == (4 if account else 5)  # all but W4 / W3, W4
    assert {p["backlog"] for p in points} == ({0, 1} if account else {0, 1, 2})  # W3, W6


def test_customers_see_only_their_own_account_over_http(week, login):
    customer = login("customer", customer_id=week["a"].id)
    other = week["b"].id
    response = customer.get("/api/v1/reports/kpis", query_string={
        "from": START.isoformat(), "to": END.isoformat(), "customer_id": other})
    assert response.status_code == 200, response.get_json()
    total = response.get_json()["total"]
    assert total["created"] == 3 and total["backlog"] == 0
    assert "mttr_minutes" in response.get_json()["definitions"]


def test_office_breakdown_over_http_and_clear_refusals(week, login):
    dispatcher = login("dispatcher")
    ok = dispatcher.get("/api/v1/reports/kpis", query_string={
        "from": START.isoformat(), "to": END.isoformat(), "group_by": "site"})
    assert ok.status_code == 200
    assert len(ok.get_json()["groups"]) == 2

    backwards = dispatcher.get("/api/v1/reports/kpis", query_string={
        "from": END.isoformat(), "to": START.isoformat()})
    assert_error(backwards, 422, "invalid_period")
    unknown = dispatcher.get("/api/v1/reports/kpis", query_string={
        "from": START.isoformat(), "to": END.isoformat(), "group_by": "planet"})
    assert_error(unknown, 422)
    zone = dispatcher.get("/api/v1/reports/kpis/series", query_string={
        "from": START.isoformat(), "to": END.isoformat(), "timezone": "../../etc/localtime"})
    assert_error(zone, 422)
    assert_error(login("technician").get("/api/v1/reports/kpis", query_string={
        "from": START.isoformat(), "to": END.isoformat()}), 403)
