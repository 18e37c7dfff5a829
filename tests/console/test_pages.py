"""The console's guards without a browser: CSRF on every POST, role gates, safe redirects,
the language choice; the JSON API keeps its bearer tokens and needs no CSRF token."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD


def _token(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:300]
    return found.group(1)


def _log_in(app: Any, user: Any, **extra: str) -> tuple[Any, str]:
    browser = app.test_client()
    token = _token(browser.get("/login"))
    answer = browser.post("/login", data={"email": user.email, "password": PASSWORD,
                                          "csrf_token": token, **extra})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return browser, _token(browser.get("/profile"))


def test_a_post_without_the_sessions_token_is_refused(app: Any, make_user: Any) -> None:
    user = make_user("dispatcher")
    browser = app.test_client()
    browser.get("/login")
    refused = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert browser.get("/queue").status_code == 302  # still not logged in
    forged = browser.post("/login", data={"email": user.email, "password": PASSWORD,
                                          "csrf_token": "guessed"})
    assert forged.status_code == 400


def test_login_starts_a_fresh_session_token_and_sign_out_needs_it(app: Any,
                                                                   make_user: Any) -> None:
    user = make_user("dispatcher")
    browser = app.test_client()
    before = _token(browser.get("/login"))
    browser, after = _log_in(app, user)
    assert after != before
    assert browser.post("/logout").status_code == 400  # no token: still signed in
    assert browser.get("/queue").status_code == 200
    assert browser.post("/logout", data={"csrf_token": after}).status_code == 302
    assert browser.get("/queue").headers["Location"].startswith("/login")


def test_wrong_password_is_refused_in_words(app: Any, make_user: Any) -> None:
    user = make_user("customer")
    browser = app.test_client()
    answer = browser.post("/login", data={"email": user.email, "password": "wrong-password!",
                                          "csrf_token": _token(browser.get("/login"))})
    assert answer.status_code == 401
    assert "Invalid email or password." in answer.get_data(as_text=True)


def test_each_role_lands_on_its_home_and_other_roles_pages_are_refused(
        app: Any, make_user: Any) -> None:
    homes = {"dispatcher": "/queue", "customer": "/my/orders", "warehouse": "/stock",
             "technician": "/profile", "admin": "/queue"}
    for role, home in homes.items():
        browser, _ = _log_in(app, make_user(role))
        assert browser.get("/").headers["Location"] == home
    customer, _ = _log_in(app, make_user("customer"))
    assert customer.get("/queue").status_code == 403
    assert customer.get("/stock").status_code == 403
    warehouse, _ = _log_in(app, make_user("warehouse"))
    assert warehouse.get("/my/orders").status_code == 403


def test_login_never_redirects_to_another_site(app: Any, make_user: Any) -> None:
    user = make_user("dispatcher")
    browser = app.test_client()
    token = _token(browser.get("/login"))
    answer = browser.post("/login?next=//evil.example/x", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token})
    assert answer.headers["Location"] == "/queue"


def test_the_language_switch_is_kept_on_the_profile(app: Any, make_user: Any,
                                                    db_session: Any) -> None:
    user = make_user("dispatcher")
    browser, token = _log_in(app, user)
    assert browser.post("/language", data={"locale": "zh_CN", "csrf_token": token,
                                           "next": "/queue"}).status_code == 302
    db_session.refresh(user)
    assert user.locale == "zh_CN"
    page = browser.get("/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "按 SLA 紧急程度排列的未完成工单" in page


def test_the_json_api_needs_no_csrf_token(login: Any) -> None:
    dispatcher = login("dispatcher")
    answer = dispatcher.get("/api/v1/work-orders")
    assert answer.status_code == 200 and answer.is_json
    assert dispatcher.put("/api/v1/me/locale", json={"locale": "en"}).status_code == 200


def test_an_assignment_the_rules_refuse_is_explained_on_the_page(
        app: Any, make_user: Any, make_skill: Any, make_equipment_model: Any,
        make_asset: Any, db_session: Any) -> None:
    from app import geo
    from app.dispatch.models import Technician
    from app.workorders import service as workorders

    skill = make_skill("refrigeration")
    asset = make_asset(equipment_model=make_equipment_model(skills={skill: 2}))
    wo = workorders.new_work_order(db_session, site=asset.site, asset=asset,
                                   title="Cold room warm", description="8 °C", actor=None)
    tech = Technician(user=make_user("technician", full_name="Uma Unskilled"),
                      home_base=geo.to_point(48.14, 11.57))
    db_session.add(tech)
    db_session.commit()
    browser, token = _log_in(app, make_user("dispatcher"))
    page = f"/work-orders/{wo.id}"
    assert "Assign Uma Unskilled anyway" in browser.get(page).get_data(as_text=True)
    form = {"csrf_token": token, "technician_id": str(tech.id), "version": str(wo.version)}
    refused = browser.post(f"{page}/assign", data=form, headers={"Referer": page},
                           follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "The technician lacks required skills: refrigeration level 2 (has 0)." in text
    no_reason = browser.post(f"{page}/assign", data={**form, "override": "1", "reason": " "},
                             headers={"Referer": page}, follow_redirects=True)
    assert "An override needs a reason." in no_reason.get_data(as_text=True)
    db_session.refresh(wo)
    assert wo.assignee_user_id is None


def test_console_errors_are_pages_and_api_errors_stay_json(app: Any, make_user: Any) -> None:
    customer, _ = _log_in(app, make_user("customer"))
    page = customer.get("/queue")
    assert page.status_code == 403 and page.mimetype == "text/html"
    assert "Your role may not open this page." in page.get_data(as_text=True)
    api = customer.get("/api/v1/work-orders")
    assert api.status_code == 401 and api.is_json


def test_warehouse_records_a_receipt_and_a_refused_transfer_is_explained(
        app: Any, make_user: Any, db_session: Any) -> None:
    from app.inventory import service as inventory

    part = inventory.create_part(db_session, sku=f"FLT-{id(app) % 9973}", name="Filter",
                                 actor=None)
    house = inventory.create_location(db_session, code="WH-T", name="Lager", kind="warehouse",
                                      point={"lat": 48.1, "lng": 11.5}, actor=None)
    other = inventory.create_location(db_session, code="WH-U", name="Lager 2",
                                      kind="warehouse", point={"lat": 48.2, "lng": 11.6},
                                      actor=None)
    db_session.commit()
    browser, token = _log_in(app, make_user("warehouse"))
    page = browser.post("/stock/movements", data={
        "csrf_token": token, "kind": "receipt", "part_id": part.id, "quantity": "7",
        "to_location_id": house.id}, follow_redirects=True).get_data(as_text=True)
    assert f"Recorded: 7 × {part.sku}." in page
    assert inventory.available_stock(db_session, house.id).get(part.id) == 7
    refused = browser.post("/stock/movements", headers={"Referer": "/stock"}, data={
        "csrf_token": token, "kind": "transfer", "part_id": part.id, "quantity": "9",
        "from_location_id": house.id, "to_location_id": other.id}, follow_redirects=True)
    assert 'role="alert"' in refused.get_data(as_text=True)
    assert inventory.available_stock(db_session, house.id).get(part.id) == 7


def test_admin_lists_users_by_role_and_others_may_not(app: Any, make_user: Any) -> None:
    make_user("warehouse", full_name="Wilma Lager")
    make_user("customer", full_name="Kurt Kunde")
    admin, _ = _log_in(app, make_user("admin"))
    page = admin.get("/admin/users?role=warehouse").get_data(as_text=True)
    assert "Wilma Lager" in page and "Kurt Kunde" not in page
    dispatcher, _ = _log_in(app, make_user("dispatcher"))
    assert dispatcher.get("/admin/users").status_code == 403


def test_a_page_answer_arriving_after_sign_out_does_not_sign_the_browser_in_again(
        app: Any, make_user: Any) -> None:
    """The queue refreshes itself (live.js fetches the page): a fetch begun before "Sign out"
    and answered after it must not bring the signed-in cookie back (a browser test saw the
    queue again after signing out, on a loaded machine)."""
    name = app.config["SESSION_COOKIE_NAME"]
    user = make_user("dispatcher")
    browser, token = _log_in(app, user)
    in_flight = app.test_client()
    in_flight.set_cookie(name, browser.get_cookie(name).value)
    late = in_flight.get("/queue")  # begun before the sign-out ...
    assert late.status_code == 200
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    for header in late.headers.getlist("Set-Cookie"):  # ... its answer arrives after it
        key, _, rest = header.partition("=")
        if key == name:
            browser.set_cookie(name, rest.split(";", 1)[0])
    again = browser.get("/queue")
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")
