"""The customer tracking link: the token a fault reporter gets opens /t/<token> (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import assert_error


def report(client: Any, asset: Any, text: str = "Chiller trips on high pressure") -> dict:
    response = client.post("/api/v1/public/fault-reports",
                           json={"tag": asset.tag, "description": text,
                                 "contact_name": "Eva Example", "contact_phone": "+49 89 1"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assign(db_session: Any, work_order_id: int, technician: Any, start: datetime) -> Any:
    from app.workorders import service
    from app.workorders.models import WorkOrder

    wo = db_session.get(WorkOrder, work_order_id)
    service.assign_work_order(db_session, wo, assignee_user_id=technician.id,
                              scheduled_start=start, scheduled_end=None, version=None,
                              actor=None)
    db_session.commit()
    return wo


def test_the_reporters_token_opens_the_tracking_page_and_its_json(
        client: Any, db_session: Any, make_asset: Any, make_user: Any) -> None:
    asset = make_asset()
    first = report(client, asset)
    token = first["tracking_token"]

    page = client.get(f"/t/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    assert first["tracking_number"] in html
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    as_json = client.get(f"/t/{token}.json")
    assert as_json.status_code == 200
    body = as_json.get_json()
    assert body["number"] == first["tracking_number"]
    assert body["status"] == "new"
    assert body["technician"] is None and body["eta_window"] is None
    assert body["timeline"][0]["kind"] == "created"
    negotiated = client.get(f"/t/{token}", headers={"Accept": "application/json"})
    assert negotiated.get_json() == body


def test_the_view_shows_first_name_eta_window_and_hides_internal_data(
        client: Any, db_session: Any, make_asset: Any, make_user: Any) -> None:
    from app.workorders import service
    from app.workorders.models import WorkOrder

    asset = make_asset()
    token = report(client, asset)["tracking_token"]
    tech = make_user("technician", full_name="Jonas Technician-Secret")
    dispatcher = make_user("dispatcher")
    wo_id = client.get(f"/t/{token}.json").get_json()["id"]
    start = datetime(2030, 5, 6, 9, 47, tzinfo=UTC)
    wo = assign(db_session, wo_id, tech, start)
    service.add_note(db_session, wo, text="Customer is difficult (internal)", internal=True,
                     actor=dispatcher)
    service.add_note(db_session, wo, text="We will bring a new valve.", internal=False,
                     actor=dispatcher)
    db_session.commit()
    wo = db_session.get(WorkOrder, wo_id)
    wo.status = "en_route"  # the phone's path to en_route is tested in tests/mobile_api
    db_session.commit()

    body = client.get(f"/t/{token}.json").get_json()
    assert body["status"] == "en_route"
    assert body["technician"] == {"first_name": "Jonas"}
    assert body["eta_window"] == {"from": "2030-05-06T09:30:00+00:00",
                                  "to": "2030-05-06T10:30:00+00:00"}
    text = str(body)
    assert "difficult" not in text and "Secret" not in text
    assert "We will bring a new valve." in text
    assert "lat" not in body and "position" not in text


def test_done_summary_after_completion(client: Any, db_session: Any,
                                       make_asset: Any) -> None:
    from app.workorders.models import WorkOrder

    token = report(client, make_asset())["tracking_token"]
    wo_id = client.get(f"/t/{token}.json").get_json()["id"]
    wo = db_session.get(WorkOrder, wo_id)
    wo.status, wo.completed_at = "completed", datetime(2030, 5, 6, 11, 0, tzinfo=UTC)
    wo.resolution_notes, wo.remedy_code = "Replaced the expansion valve.", "replaced_part"
    db_session.commit()
    body = client.get(f"/t/{token}.json").get_json()
    assert body["done"] == {"completed_at": "2030-05-06T11:00:00+00:00",
                            "remedy_code": "replaced_part",
                            "summary": "Replaced the expansion valve."}
    assert "Replaced the expansion valve." in client.get(f"/t/{token}").get_data(as_text=True)


def test_unknown_and_malformed_tokens_are_404_and_never_another_orders_data(
        client: Any, make_asset: Any) -> None:
    one = report(client, make_asset())
    two = report(client, make_asset(), "Leaking pump")
    assert client.get(f"/t/{two['tracking_token']}.json").get_json()["number"] == \
        two["tracking_number"] != one["tracking_number"]
    assert_error(client.get("/t/" + "x" * 32 + ".json"), 404, "not_found")
    assert client.get("/t/" + "x" * 32).status_code == 404
    assert_error(client.get("/t/%3Cscript%3E.json"), 404)


def test_a_token_can_be_revoked_by_its_holder_and_by_a_dispatcher(
        client: Any, login: Any, make_asset: Any) -> None:
    first = report(client, make_asset())
    gone = client.delete(f"/t/{first['tracking_token']}")
    assert gone.status_code == 204
    assert_error(client.get(f"/t/{first['tracking_token']}.json"), 410, "tracking_revoked")
    assert client.get(f"/t/{first['tracking_token']}").status_code == 410

    second = report(client, make_asset())
    wo_id = client.get(f"/t/{second['tracking_token']}.json").get_json()["id"]
    dispatcher = login("dispatcher")
    revoked = dispatcher.post(f"/api/v1/work-orders/{wo_id}/tracking/revoke")
    assert revoked.status_code == 200 and revoked.get_json() == {"revoked": 1}
    assert_error(client.get(f"/t/{second['tracking_token']}.json"), 410, "tracking_revoked")
    assert_error(login("technician").post(f"/api/v1/work-orders/{wo_id}/tracking/revoke"),
                 403)


def test_tracking_is_rate_limited_per_address(app: Any, client: Any, make_asset: Any,
                                              monkeypatch: Any) -> None:
    token = report(client, make_asset())["tracking_token"]
    monkeypatch.setitem(app.config, "PUBLIC_TRACKING_LIMIT", 3)

    def get(address: str) -> Any:
        client.flask_client.environ_base["REMOTE_ADDR"] = address
        return client.get(f"/t/{token}.json")

    assert [get("203.0.113.9").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = get("203.0.113.9")
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert get("203.0.113.10").status_code == 200


def test_logged_in_customers_get_the_same_view_for_their_orders(
        client: Any, login: Any, make_asset: Any, make_site: Any, make_customer: Any) -> None:
    customer = make_customer()
    asset = make_asset(site=make_site(customer=customer))
    token = report(client, asset)["tracking_token"]
    public = client.get(f"/t/{token}.json").get_json()
    mine = login("customer", customer_id=customer.id)
    response = mine.get(f"/api/v1/work-orders/{public['id']}/tracking")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == public
    assert_error(login("customer").get(f"/api/v1/work-orders/{public['id']}/tracking"), 404)


def test_the_page_speaks_chinese_when_asked(client: Any, make_asset: Any) -> None:
    token = report(client, make_asset())["tracking_token"]
    zh = client.get(f"/t/{token}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    en = client.get(f"/t/{token}", headers={"Accept-Language": "en"})
    assert "工单" in zh.get_data(as_text=True)
    assert "Work order" in en.get_data(as_text=True)
    assert "工单" not in en.get_data(as_text=True)
