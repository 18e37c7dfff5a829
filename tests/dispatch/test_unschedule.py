"""Taking a job off the plan ("unschedule", "release" after a hold) puts it back in the queue:
no assignee, no schedule, no planned visit left in the applied plan, and day planning sees it."""

from __future__ import annotations

from sqlalchemy import select

from tests.dispatch.factories import MONDAY


def _applied(db_session, api, tech, wo):
    from app.workorders.models import WorkOrder

    run = api.post("/api/v1/dispatch/plans", json={
        "date": MONDAY.isoformat(), "time_limit_s": 1, "technician_ids": [tech.id],
        "work_order_ids": [wo.id]}).get_json()
    r = api.post(f"/api/v1/dispatch/plans/{run['id']}/apply")
    assert r.status_code == 200, r.get_json()
    return db_session.get(WorkOrder, wo.id, populate_existing=True)


def _planned_visits(db_session, wo):
    from app.dispatch.models import PlannedVisit

    return list(db_session.scalars(select(PlannedVisit).where(
        PlannedVisit.work_order_id == wo.id)))


def _back_in_the_queue(db_session, api, tech, wo):
    from app.dispatch.service.problem import build_day_problem
    from app.workorders.models import WorkOrder

    wo = db_session.get(WorkOrder, wo.id, populate_existing=True)
    assert wo.status == "new"
    assert (wo.assignee_user_id, wo.scheduled_start, wo.scheduled_end) == (None, None, None)
    assert _planned_visits(db_session, wo) == []
    queue = api.get("/api/v1/work-orders", query_string={"unassigned": "true"}).get_json()
    assert wo.id in [o["id"] for o in queue]
    board = api.get("/api/v1/dispatch/board", query_string={"date": MONDAY.isoformat()})
    assert board.status_code == 200, board.get_json()
    assert wo.id in [o["work_order_id"] for o in board.get_json()["unassigned"]]
    assert all(v["work_order_id"] != wo.id for row in board.get_json()["technicians"]
               for v in row["visits"])
    problem = build_day_problem(db_session, MONDAY, technician_ids=[tech.id]).problem
    assert wo.id in [j.id for j in problem.jobs]


def test_unscheduling_a_planned_job_puts_it_back_in_the_queue(db_session, login,
                                                             make_technician, make_order):
    tech = make_technician(skills={"hvac": 3})
    api = login("dispatcher")
    wo = _applied(db_session, api, tech, make_order(skills={"hvac": 2}))
    assert wo.status == "scheduled" and _planned_visits(db_session, wo)
    r = api.post(f"/api/v1/work-orders/{wo.id}/transitions", json={"to": "new"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["assignee_user_id"], r.get_json()["scheduled_start"]) == (None, None)
    _back_in_the_queue(db_session, api, tech, wo)


def test_releasing_a_held_job_puts_it_back_in_the_queue(db_session, login, make_technician,
                                                       make_order):
    tech = make_technician(skills={"hvac": 3})
    api = login("dispatcher")
    wo = _applied(db_session, api, tech, make_order(skills={"hvac": 2}))
    held = api.post(f"/api/v1/work-orders/{wo.id}/transitions",
                    json={"to": "on_hold", "hold_reason": "parts"})
    assert held.status_code == 200, held.get_json()
    r = api.post(f"/api/v1/work-orders/{wo.id}/transitions", json={"to": "new"})
    assert r.status_code == 200, r.get_json()
    _back_in_the_queue(db_session, api, tech, wo)


def test_unassigned_lists_only_open_orders(db_session, login, make_order):
    from app.workorders import service

    api = login("dispatcher")
    open_one, cancelled, completed = make_order(), make_order(), make_order()
    service.transition_work_order(db_session, cancelled, "cancelled", actor=api.user,
                                  reason="Duplicate report.")
    completed.status = "completed"
    db_session.commit()
    ids = [o["id"] for o in api.get("/api/v1/work-orders", query_string={
        "unassigned": "true", "per_page": 100}).get_json()]
    assert open_one.id in ids
    assert cancelled.id not in ids and completed.id not in ids
