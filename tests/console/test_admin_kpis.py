"""Admin edits and the KPI page without a browser: each form goes through the API's schema and
service, a refusal is shown in words and nothing is kept; the KPI charts carry the same numbers
as the API's series."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

from tests.console.test_pages import _log_in


def _post(browser: Any, path: str, data: dict[str, Any], page: str) -> str:
    answer = browser.post(path, data=data, headers={"Referer": page}, follow_redirects=True)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:400]
    return str(answer.get_data(as_text=True))


def test_admin_creates_a_user_changes_the_role_and_deactivates(
        app: Any, make_user: Any, db_session: Any) -> None:
    from sqlalchemy import select

    from app.auth.models import AuditLogEntry, User

    admin_user = make_user("admin")
    admin, token = _log_in(app, admin_user)
    page = _post(admin, "/admin/users", {
        "csrf_token": token, "full_name": "Li Wei 李伟", "email": "li.wei@example.test",
        "password": "long-enough-1", "role": "dispatcher", "customer_id": ""}, "/admin/users")
    assert "User Li Wei 李伟 created." in page
    created = db_session.scalar(select(User).where(User.email == "li.wei@example.test"))
    assert created.role == "dispatcher"
    _post(admin, f"/admin/users/{created.id}", {"csrf_token": token, "role": "warehouse"},
          "/admin/users")
    _post(admin, f"/admin/users/{created.id}", {"csrf_token": token, "action": "deactivate"},
          "/admin/users")
    db_session.refresh(created)
    assert (created.role, created.is_active) == ("warehouse", False)
    audit = db_session.scalars(select(AuditLogEntry).where(
        AuditLogEntry.target_type == "users",
        AuditLogEntry.target_id == str(created.id))).all()
    assert audit and {a.actor_user_id for a in audit} == {admin_user.id}
    # The rules of the API, in words: a short password, a customer without an account,
    # demoting oneself.
    short = _post(admin, "/admin/users", {
        "csrf_token": token, "full_name": "X", "email": "x@example.test", "password": "short",
        "role": "dispatcher"}, "/admin/users")
    assert "Check these fields: Password" in short
    lonely = _post(admin, "/admin/users", {
        "csrf_token": token, "full_name": "Y", "email": "y@example.test",
        "password": "long-enough-1", "role": "customer"}, "/admin/users")
    assert "A customer user needs a customer account." in lonely
    myself = _post(admin, f"/admin/users/{admin_user.id}",
                   {"csrf_token": token, "role": "dispatcher"}, "/admin/users")
    assert "You cannot disable or demote your own account." in myself
    db_session.refresh(admin_user)
    assert admin_user.role == "admin"
    assert db_session.scalar(select(User).where(User.email == "y@example.test")) is None


def test_admin_edits_a_technicians_skills_and_shifts(
        app: Any, make_user: Any, make_skill: Any, db_session: Any) -> None:
    from app.dispatch import service as dispatch

    make_skill("hvac")
    make_skill("electrical", name="Electrical")
    admin_user = make_user("admin")
    tech = dispatch.create_technician(db_session, {
        "user_id": make_user("technician", full_name="Tao Technician").id,
        "home_base": {"lat": 48.1, "lng": 11.5}, "skills": [{"skill": "hvac", "level": 2}],
        "shifts": [{"weekday": 0, "starts": time(8), "ends": time(16)}]}, actor=admin_user)
    db_session.commit()
    admin, token = _log_in(app, admin_user)
    page = f"/admin/technicians/{tech.id}"
    shown = _post(admin, f"{page}/skills", {"csrf_token": token, "level-hvac": "4",
                                            "add_skill": "electrical", "add_level": "3"}, page)
    assert "Skills of Tao Technician saved." in shown
    db_session.refresh(tech)
    assert sorted((s.skill.code, s.level) for s in tech.skills) == [("electrical", 3),
                                                                    ("hvac", 4)]
    week = {"csrf_token": token, "starts-0": "07:00", "ends-0": "15:30", "break-0": "30",
            "break_earliest-0": "11:00", "break_latest-0": "13:00",
            "starts-4": "09:00", "ends-4": "13:00"}
    assert "Weekly shifts of Tao Technician saved." in _post(admin, f"{page}/shifts", week, page)
    db_session.refresh(tech)
    assert sorted((s.weekday, s.starts, s.ends, s.break_minutes) for s in tech.shifts) == [
        (0, time(7), time(15, 30), 30), (4, time(9), time(13), 0)]
    backwards = _post(admin, f"{page}/shifts", {**week, "ends-4": "08:00"}, page)
    assert "Check these fields: Ends" in backwards
    twice = _post(admin, f"{page}/skills", {"csrf_token": token, "level-hvac": "4",
                                            "level-electrical": "3", "add_skill": "hvac",
                                            "add_level": "1"}, page)
    assert "A skill is listed twice." in twice
    db_session.refresh(tech)
    assert len(tech.shifts) == 2 and len(tech.skills) == 2
    listing = admin.get("/admin/technicians").get_data(as_text=True)
    assert "Electrical (3)" in listing and "07:00–15:30" in listing


def test_admin_edits_an_sla_policy_and_creates_a_calendar(
        app: Any, make_user: Any, db_session: Any) -> None:
    from sqlalchemy import select

    from app.workorders.models import BusinessCalendar, SlaPolicy

    admin, token = _log_in(app, make_user("admin"))
    saved = _post(admin, "/admin/sla", {"csrf_token": token, "sla_tier": "silver",
                                        "priority": "P2", "response_minutes": "120",
                                        "resolution_minutes": "600", "calendar_id": ""},
                  "/admin/sla")
    assert "SLA policy silver / P2 saved." in saved
    made = _post(admin, "/admin/calendars", {
        "csrf_token": token, "name": "Werktage München", "timezone": "Europe/Berlin",
        "hours-mon": "08:00-12:00, 13:00-17:00", "hours-tue": "08:00-17:00",
        "holidays": "2026-12-25\n2026-12-26"}, "/admin/sla")
    assert "Calendar Werktage München created." in made
    calendar = db_session.scalar(select(BusinessCalendar).where(
        BusinessCalendar.name == "Werktage München"))
    assert calendar.weekly_hours["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert calendar.holidays == ["2026-12-25", "2026-12-26"]
    _post(admin, "/admin/sla", {"csrf_token": token, "sla_tier": "silver", "priority": "P2",
                                "response_minutes": "90", "resolution_minutes": "480",
                                "calendar_id": str(calendar.id)}, "/admin/sla")
    policy = db_session.scalar(select(SlaPolicy).where(SlaPolicy.sla_tier == "silver",
                                                       SlaPolicy.priority == "P2"))
    db_session.refresh(policy)
    assert (policy.response_minutes, policy.resolution_minutes, policy.calendar_id) == (
        90, 480, calendar.id)
    refused = _post(admin, "/admin/sla", {"csrf_token": token, "sla_tier": "silver",
                                          "priority": "P2", "response_minutes": "300",
                                          "resolution_minutes": "200"}, "/admin/sla")
    assert "Resolution target is shorter than the response target." in refused
    bad_zone = _post(admin, "/admin/calendars", {"csrf_token": token, "name": "Mars",
                                                 "timezone": "Mars/Olympus",
                                                 "hours-mon": "08:00-17:00"}, "/admin/sla")
    assert "Unknown time zone." in bad_zone
    db_session.refresh(policy)
    assert policy.response_minutes == 90


def test_admin_draws_and_renames_a_territory(app: Any, make_user: Any,
                                            db_session: Any) -> None:
    from sqlalchemy import select

    from app import geo
    from app.dispatch.models import Territory

    admin, token = _log_in(app, make_user("admin"))
    square = "48.10, 11.50\n48.10, 11.60\n48.20, 11.60\n48.20, 11.50"
    made = _post(admin, "/admin/territories", {"csrf_token": token, "name": "München Mitte",
                                               "boundary": square}, "/admin/territories")
    assert "Territory München Mitte saved." in made
    territory = db_session.scalar(select(Territory).where(Territory.name == "München Mitte"))
    assert len(geo.polygon_vertices(territory.area) or []) == 4
    renamed = _post(admin, f"/admin/territories/{territory.id}", {
        "csrf_token": token, "name": "München Zentrum", "boundary": square},
        "/admin/territories")
    assert "Territory München Zentrum saved." in renamed
    bow_tie = "48.10, 11.50\n48.20, 11.60\n48.10, 11.60\n48.20, 11.50"
    crossed = _post(admin, f"/admin/territories/{territory.id}", {
        "csrf_token": token, "name": "Kaputt", "boundary": bow_tie}, "/admin/territories")
    assert "The territory&#39;s boundary crosses itself." in crossed
    db_session.refresh(territory)
    assert territory.name == "München Zentrum"
    page = admin.get("/admin/territories").get_data(as_text=True)
    assert 'id="territory-map"' in page and "48.100000, 11.500000" in page


def test_the_kpi_page_draws_each_chart_with_the_series_numbers(
        app: Any, make_user: Any, make_asset: Any, db_session: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from app.workorders import service as workorders
    from app.workorders.models import WorkOrderRating

    asset = make_asset()
    done = workorders.new_work_order(db_session, site=asset.site, asset=asset,
                                     title="Rated", description="x", actor=None)
    db_session.flush()
    when = datetime(2026, 3, 10, 10, tzinfo=UTC)
    done.status, done.completed_at = "completed", when
    db_session.add(WorkOrderRating(work_order_id=done.id, score=4, created_at=when))
    old = workorders.new_work_order(db_session, site=asset.site, asset=asset,
                                    title="Old backlog", description="x", actor=None)
    old.created_at = when - timedelta(days=10)
    db_session.commit()
    browser, _ = _log_in(app, make_user("dispatcher"))
    page = browser.get("/kpis?interval=day&date=2026-03-10").get_data(as_text=True)
    for chart in ("chart-sla", "chart-ftf", "chart-utilisation", "chart-travel",
                  "chart-backlog", "chart-csat"):
        assert f'<svg class="chart" id="{chart}" role="img"' in page
    assert page.count("<tr>") >= 14  # one row per day (14 days) plus the header
    assert "Mar 10 · Mean rating (1–5): 4.0" in page  # the bar's tooltip
    weekly = browser.get("/kpis?interval=week&date=2026-03-10").get_data(as_text=True)
    assert "The figures per week" in weekly
    zh = browser.get("/kpis?interval=week&date=2026-03-10",
                     headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "首次修复率" in zh and "3月9日" in zh
    bad = browser.get("/kpis?date=yesterday", follow_redirects=True)
    assert "Dates are written YYYY-MM-DD." in bad.get_data(as_text=True)


def _statements(app: Any, browser: Any, path: str) -> int:
    from sqlalchemy import event

    from app.extensions import db

    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert browser.get(path).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_admin_and_kpi_pages_do_not_query_per_row(app: Any, make_user: Any, make_skill: Any,
                                                  db_session: Any) -> None:
    """The statements a page runs do not grow with the rows it lists."""
    from app.dispatch import service as dispatch
    from app.workorders import service as workorders

    make_skill("hvac")
    admin_user = make_user("admin")
    admin, _ = _log_in(app, admin_user)

    def add(n: int) -> None:
        for i in range(n):
            dispatch.create_technician(db_session, {
                "user_id": make_user("technician").id, "home_base": {"lat": 48.1, "lng": 11.5},
                "skills": [{"skill": "hvac", "level": 2}],
                "shifts": [{"weekday": d, "starts": time(8), "ends": time(16)}
                           for d in range(5)]}, actor=admin_user)
            workorders.save_sla_policy(db_session, sla_tier=("gold", "silver", "bronze")[i % 3],
                                       priority=f"P{i // 3 + 1}", response_minutes=60,
                                       resolution_minutes=240, calendar_id=None,
                                       actor=admin_user)
            dispatch.create_territory(db_session, {"name": f"Gebiet {uuid.uuid4().hex[:8]}",
                                                   "boundary": [
                {"lat": 48.0 + i, "lng": 11.0}, {"lat": 48.0 + i, "lng": 11.5},
                {"lat": 48.5 + i, "lng": 11.5}]}, actor=admin_user)
        db_session.commit()

    pages = ("/admin/technicians", "/admin/sla", "/admin/territories", "/admin/users",
             "/kpis?interval=week&date=2026-03-10")
    add(1)
    for path in pages:  # warm first-use lookups
        _statements(app, admin, path)
    few = {path: _statements(app, admin, path) for path in pages}
    add(5)
    many = {path: _statements(app, admin, path) for path in pages}
    assert many == few
