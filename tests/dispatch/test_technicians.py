"""Technician profiles, shifts and exceptions, availability, territories: rules and roles."""

from datetime import UTC, date, datetime

import pytest

from tests.conftest import assert_error

MONDAY = date(2026, 11, 23)


def _body(user_id, **extra):
    return {"user_id": user_id, "home_base": {"lat": 48.15, "lng": 11.55},
            "skills": [{"skill": "hvac", "level": 4}],
            "shifts": [{"weekday": 0, "starts": "07:30", "ends": "16:00",
                        "break_earliest": "11:30", "break_latest": "13:00",
                        "break_minutes": 30}], **extra}


def test_admin_creates_technician_profile(login, make_user, make_skill):
    make_skill("hvac")
    user = make_user("technician", full_name="Toni Techniker")
    r = login("admin").post("/api/v1/technicians", json=_body(user.id))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "Toni Techniker"
    assert body["skills"] == [{"skill": "hvac", "level": 4}]
    assert body["home_base"] == {"lat": 48.15, "lng": 11.55}
    assert body["shifts"][0]["starts"] == "07:30"
    again = login("admin").post("/api/v1/technicians", json=_body(user.id))
    assert_error(again, 409, "duplicate_profile")


def test_profile_only_for_technician_users(login, make_user, make_skill):
    make_skill("hvac")
    r = login("admin").post("/api/v1/technicians", json=_body(make_user("dispatcher").id))
    assert_error(r, 422, "validation_error")


@pytest.mark.parametrize("shift", [
    {"weekday": 0, "starts": "17:00", "ends": "08:00"},
    {"weekday": 7, "starts": "08:00", "ends": "17:00"},
    {"weekday": 0, "starts": "08:00", "ends": "17:00", "break_minutes": 30},
    {"weekday": 0, "starts": "08:00", "ends": "17:00", "break_earliest": "18:00",
     "break_latest": "19:00", "break_minutes": 30},
])
def test_bad_shifts_are_422(login, make_user, make_skill, shift):
    make_skill("hvac")
    r = login("admin").post("/api/v1/technicians", json=_body(make_user("technician").id,
                                                              shifts=[shift]))
    assert_error(r, 422, "validation_error")


def test_unknown_skill_is_422(login, make_user):
    r = login("admin").post("/api/v1/technicians", json={
        **_body(make_user("technician").id), "skills": [{"skill": "nope", "level": 2}]})
    assert_error(r, 422)


@pytest.mark.parametrize("role", ["dispatcher", "warehouse", "technician", "customer"])
def test_only_admin_creates_or_edits(login, make_technician, role):
    tech = make_technician()
    api = login(role)
    assert_error(api.post("/api/v1/technicians", json=_body(api.user.id)), 403)
    assert_error(api.patch(f"/api/v1/technicians/{tech.id}", json={"is_active": False}), 403)


def test_technician_reads_only_itself(login, make_technician):
    mine, other = make_technician(), make_technician()
    me = login(mine.user)
    assert me.get(f"/api/v1/technicians/{mine.id}").status_code == 200
    assert_error(me.get(f"/api/v1/technicians/{other.id}"), 404)
    assert_error(me.get("/api/v1/technicians"), 403)
    assert_error(login("customer").get(f"/api/v1/technicians/{mine.id}"), 403)


def test_list_filters_by_skill_level(login, make_technician):
    expert = make_technician(skills={"elevator": 5})
    make_technician(skills={"elevator": 2})
    r = login("dispatcher").get("/api/v1/technicians?skill=elevator&min_level=4")
    assert [t["id"] for t in r.get_json()] == [expert.id]


def test_availability_follows_shift_leave_and_overtime(login, make_technician):
    tech = make_technician()
    api = login("dispatcher")
    day = api.get(f"/api/v1/technicians/{tech.id}/availability?date={MONDAY}").get_json()
    # Munich is UTC+1 in November: 08:00–17:00 local is 07:00–16:00 UTC
    assert day["windows"] == [{"start": "2026-11-23T07:00:00+00:00",
                               "end": "2026-11-23T16:00:00+00:00"}]
    # 9 h shift minus the 30-minute break, capped by the 8 h daily maximum
    assert day["working_minutes"] == 480
    url = f"/api/v1/technicians/{tech.id}/exceptions"
    assert api.post(url, json={"kind": "leave", "starts_at": "2026-11-23T07:00:00+00:00",
                               "ends_at": "2026-11-23T11:00:00+00:00"}).status_code == 201
    assert api.post(url, json={"kind": "overtime", "starts_at": "2026-11-23T16:00:00+00:00",
                               "ends_at": "2026-11-23T18:00:00+00:00"}).status_code == 201
    day = api.get(f"/api/v1/technicians/{tech.id}/availability?date={MONDAY}").get_json()
    assert day["windows"] == [{"start": "2026-11-23T11:00:00+00:00",
                               "end": "2026-11-23T18:00:00+00:00"}]
    sunday = api.get(f"/api/v1/technicians/{tech.id}/availability?date=2026-11-22").get_json()
    assert sunday["windows"] == [] and sunday["working_minutes"] == 0
    clash = api.post(url, json={"kind": "leave", "starts_at": "2026-11-23T10:00:00+00:00",
                                "ends_at": "2026-11-23T12:00:00+00:00"})
    assert_error(clash, 409, "overlapping_exception")
    backwards = api.post(url, json={"kind": "sickness", "starts_at": "2026-11-24T10:00:00Z",
                                    "ends_at": "2026-11-24T09:00:00Z"})
    assert_error(backwards, 422)
    naive = api.post(url, json={"kind": "sickness", "starts_at": "2026-11-24T10:00:00",
                                "ends_at": "2026-11-24T12:00:00"})
    assert_error(naive, 422)


def test_sick_all_day_means_no_availability(login, make_technician, db_session):
    from app.dispatch import service

    tech = make_technician()
    api = login("dispatcher")
    api.post(f"/api/v1/technicians/{tech.id}/exceptions", json={
        "kind": "sickness", "starts_at": "2026-11-22T23:00:00+00:00",
        "ends_at": "2026-11-23T23:00:00+00:00"})
    availability = service.availability_on(db_session, tech, MONDAY)
    assert availability.windows == () and availability.break_minutes == 0
    tuesday = service.availability_on(db_session, tech, date(2026, 11, 24))
    assert tuesday.start == datetime(2026, 11, 24, 7, tzinfo=UTC)


def test_exceptions_delete_and_ownership(login, make_technician):
    tech, other = make_technician(), make_technician()
    api = login("dispatcher")
    row = api.post(f"/api/v1/technicians/{tech.id}/exceptions", json={
        "kind": "training", "starts_at": "2026-12-01T08:00:00Z",
        "ends_at": "2026-12-01T12:00:00Z"}).get_json()
    assert_error(api.delete(f"/api/v1/technicians/{other.id}/exceptions/{row['id']}"), 404)
    assert_error(login(tech.user).delete(
        f"/api/v1/technicians/{tech.id}/exceptions/{row['id']}"), 403)
    assert api.delete(f"/api/v1/technicians/{tech.id}/exceptions/{row['id']}").status_code == 204
    assert api.get(f"/api/v1/technicians/{tech.id}/exceptions").get_json() == []


def test_territories_round_trip_and_validation(login):
    api = login("admin")
    square = [{"lat": 48.1, "lng": 11.5}, {"lat": 48.1, "lng": 11.6},
              {"lat": 48.2, "lng": 11.6}, {"lat": 48.2, "lng": 11.5}]
    r = api.post("/api/v1/territories", json={"name": "Nord", "boundary": square})
    assert r.status_code == 201
    assert r.get_json()["boundary"] == square
    assert_error(api.post("/api/v1/territories", json={"name": "Nord", "boundary": square}), 409)
    line = [square[0], square[1], square[0]]
    assert_error(api.post("/api/v1/territories", json={"name": "L", "boundary": line}), 422)
    assert_error(login("dispatcher").post("/api/v1/territories",
                                          json={"name": "S", "boundary": square}), 403)


def test_point_in_territory_helper():
    from app.geo import point_in_polygon

    square = [{"lat": 48.1, "lng": 11.5}, {"lat": 48.1, "lng": 11.6},
              {"lat": 48.2, "lng": 11.6}, {"lat": 48.2, "lng": 11.5}]
    assert point_in_polygon(48.15, 11.55, square)
    assert not point_in_polygon(48.25, 11.55, square)


def test_patching_the_shifts_replaces_the_same_weekday(login, make_user, make_skill):
    """The new Monday replaces the old one (was a 409: the insert ran before the delete)."""
    make_skill("hvac")
    admin = login("admin")
    tech = admin.post("/api/v1/technicians",
                      json=_body(make_user("technician").id)).get_json()
    changed = admin.patch(f"/api/v1/technicians/{tech['id']}", json={"shifts": [
        {"weekday": 0, "starts": "06:00", "ends": "14:00"},
        {"weekday": 1, "starts": "08:00", "ends": "12:00"}]})
    assert changed.status_code == 200, changed.get_json()
    assert [(s["weekday"], s["starts"], s["ends"]) for s in changed.get_json()["shifts"]] == [
        (0, "06:00", "14:00"), (1, "08:00", "12:00")]
