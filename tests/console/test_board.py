"""The dispatcher's day board in a real browser (headless Chromium on the app's real port):
the Gantt's bars and its running-late mark, a plan run with its progress compared with the day
and then applied and released, an emergency inserted and booked, and a job moved by dragging
and by the keyboard form, with a refused move shown in words.

The app's clock is pinned to 09:00 on a fixed Tuesday (site time) for this module, so what is
late, what is idle and where an emergency lands never depend on when the suite runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import PASSWORD, build_app
from tests.console.conftest import HAVE_CHROMIUM, _free_port
from tests.console.test_browser import alert_text, by_label, log_in, press, shot, wait_replaced

pytestmark = pytest.mark.skipif(
    not HAVE_CHROMIUM,
    reason="needs Debian's chromium and chromium-driver (make setup installs them)")

DAY = date(2031, 3, 4)  # a Tuesday


@dataclass
class World:
    base: str
    app: Any
    dispatcher: str
    late_number: str
    hvac_number: str  # Tom's job that needs HVAC (Lea has no HVAC)
    plain_number: str  # Lea's job anyone may do
    open_number: str  # unassigned P2 for the plan
    site_name: str


def _seed(app: Any, zone: ZoneInfo) -> dict[str, Any]:
    from decimal import Decimal

    from app import geo
    from app.assets.models import Asset, Customer, EquipmentModel, EquipmentModelSkill, Site, Skill
    from app.auth import service as auth
    from app.dispatch import service as dispatch
    from app.extensions import db
    from app.inventory import service as inventory
    from app.workorders import service as workorders

    def at(hh: int, mm: int = 0) -> datetime:
        return datetime.combine(DAY, time(hh, mm), tzinfo=zone)

    with app.app_context():
        s = db.session
        customer = Customer(account_number="C-200", name="Klinikum Nord", sla_tier="silver")
        s.add(customer)
        s.flush()  # flush: the users and sites name the account
        users = {name: auth.create_user(s, email=f"{name.lower()}@board.test", full_name=full,
                                        password=PASSWORD, role=role,
                                        password_method="pbkdf2:sha256:1000")
                 for name, full, role in (("Dana", "Dana Dispatcher", "dispatcher"),
                                          ("Tom", "Tom Technician", "technician"),
                                          ("Lea", "Lea Lehmann", "technician"))}
        skill = Skill(code="hvac", name="HVAC")
        model = EquipmentModel(manufacturer="Carrier", model="30XA", category="chiller",
                               default_duration_min=60)
        s.add_all([skill, model])
        s.flush()  # flush: ids for the model's skill
        model.skills = [EquipmentModelSkill(skill=skill, min_level=1)]
        north = Site(customer_id=customer.id, name="Klinikum Nord, Haus A",
                     address_line="Ingolstädter Str. 1", city="München", postal_code="80807",
                     location=geo.to_point(48.19, 11.58))
        south = Site(customer_id=customer.id, name="Klinikum Süd",
                     address_line="Sauerbruchstr. 2", city="München", postal_code="81377",
                     location=geo.to_point(48.11, 11.47))
        s.add_all([north, south])
        s.flush()  # flush: the asset's site
        chiller = Asset(tag="A-CH-7", site_id=north.id, equipment_model_id=model.id)
        s.add(chiller)
        s.flush()  # flush: the orders' asset
        shifts = [{"weekday": d, "starts": time(7, 0), "ends": time(18, 0),
                   "break_minutes": 30, "break_earliest": time(12, 0),
                   "break_latest": time(14, 0)} for d in range(7)]
        tom = dispatch.create_technician(s, {
            "user_id": users["Tom"].id, "home_base": {"lat": 48.15, "lng": 11.56},
            "skills": [{"skill": "hvac", "level": 3}], "shifts": shifts},
            actor=users["Dana"])
        lea = dispatch.create_technician(s, {
            "user_id": users["Lea"].id, "home_base": {"lat": 48.13, "lng": 11.60},
            "skills": [], "shifts": shifts}, actor=users["Dana"])
        now = at(9)
        dispatch.record_position(s, tom, lat=48.16, lng=11.57, at=now, accuracy_m=10.0,
                                 actor=users["Tom"])
        # Due to start by 08:00 (its window closes at 09:00, an hour of work): late at 09:00.
        late = workorders.new_work_order(s, site=north, asset=chiller, priority="P2",
                                         title="Chiller pressure check",
                                         description="Weekly check",
                                         time_windows=[(at(7), at(9))], actor=None)
        hvac = workorders.new_work_order(s, site=north, asset=chiller, priority="P3",
                                         title="Compressor service",
                                         description="Annual service", actor=None)
        plain = workorders.new_work_order(s, site=south, asset=None, priority="P3",
                                          title="Door closer", description="Door sticks",
                                          estimated_duration_min=45, actor=None)
        spare = workorders.new_work_order(s, site=south, asset=None, priority="P2",
                                          title="Light fitting", description="Flickers",
                                          estimated_duration_min=30, actor=None)
        s.flush()  # flush: ids for the assignments and the reservation
        # The light fitting's part waits at the warehouse: a plan fetches it on the way.
        part = inventory.create_part(s, sku="LAMP-9", name="LED panel",
                                     unit_cost=Decimal("25.00"), actor=None)
        house = inventory.create_location(s, code="WH-NORD", name="Lager Nord",
                                          kind="warehouse", point={"lat": 48.17, "lng": 11.55},
                                          actor=None)
        inventory.record_movement(s, kind="receipt", part_id=part.id, quantity=4,
                                  to_location_id=house.id, note="opening stock",
                                  actor=None)
        inventory.reserve_parts(s, work_order_id=spare.id, location_id=house.id,
                                lines=[(part.id, 1)], actor=None)
        for wo, tech, start in ((late, tom, at(7, 30)), (hvac, tom, at(11)),
                                (plain, lea, at(13))):
            dispatch.assign_technician(s, wo.id, technician_id=tech.id, version=wo.version,
                                       start=start, now=now, actor=users["Dana"])
        s.commit()
        return {"late_number": late.number, "hvac_number": hvac.number,
                "plain_number": plain.number, "open_number": spare.number,
                "site_name": south.name}


@pytest.fixture(scope="module")
def world(scratch_databases: Any, tmp_path_factory: Any) -> Iterator[World]:
    from werkzeug.serving import make_server

    from app.db import pin_clock
    from app.extensions import db

    tmp = tmp_path_factory.mktemp("board")
    app = build_app(scratch_databases.create(), tmp, PHOTO_STORAGE_DIR=str(tmp / "photos"))
    zone = ZoneInfo(app.config["DISPATCH_TIMEZONE"])
    pin_clock(datetime.combine(DAY, time(9, 0), tzinfo=zone))
    try:
        names = _seed(app, zone)
        server = make_server("127.0.0.1", _free_port(), app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield World(f"http://127.0.0.1:{server.server_port}", app, "dana@board.test", **names)
        server.shutdown()
        thread.join(10)
    finally:
        pin_clock(None)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def nine_oclock(world: World, clock: Any) -> None:
    """Each test starts at 09:00 on DAY (the suite's clock fixture unpins after each test)."""
    clock.pin(datetime.combine(DAY, time(9, 0), tzinfo=ZoneInfo(
        world.app.config["DISPATCH_TIMEZONE"])))


def _open_board(driver: Any, world: World) -> None:
    log_in(driver, world.base, world.dispatcher)
    driver.get(f"{world.base}/board?date={DAY.isoformat()}")


def _row(driver: Any, name: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//div[@role='row'][span/strong='{name}']")


def _bar(driver: Any, number: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"a.bar.job[data-number='{number}']")


def test_the_board_draws_each_technicians_day_and_marks_the_late_job(
        browser: Any, world: World, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open_board(browser, world)
    tom = _row(browser, "Tom Technician")
    kinds = {e.get_attribute("class").split()[1]
             for e in tom.find_elements(By.CSS_SELECTOR, ".bar")}
    assert {"shift", "travel", "job", "idle"} <= kinds, kinds
    late = _bar(browser, world.late_number)
    assert "running late" in late.text and "late" in late.get_attribute("class")
    assert "misses the customer's time window" in late.get_attribute("title")
    assert f"running late: {world.late_number}" in tom.text
    assert "last position at" in tom.text
    assert _bar(browser, world.hvac_number).get_attribute("draggable") == "true"
    assert tom.find_elements(By.CSS_SELECTOR, ".now")  # 09:00 on the track
    # The map: routes, the sites coloured by state, the legend in words.
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#map path.site').length") >= 3)
    assert browser.find_elements(By.CSS_SELECTOR, "#map path.site-late")
    assert browser.find_elements(By.CSS_SELECTOR, "#map path.position")
    legend = browser.find_element(By.XPATH, "//ul[@aria-label='Site states']").text
    assert all(word in legend for word in ("planned", "en route", "on site", "done",
                                           "running late"))
    shot(browser, screenshots, "board-day")
    # A job's bar opens its work order.
    browser.get(_bar(browser, world.late_number).get_attribute("href"))
    WebDriverWait(browser, 10).until(
        lambda d: world.late_number in d.find_element(By.TAG_NAME, "h1").text)


def test_plan_progress_compare_apply_and_release(browser: Any, world: World,
                                                 screenshots: Path) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open_board(browser, world)
    limit = by_label(browser, "Time limit (seconds)")
    limit.clear()
    limit.send_keys("2")
    browser.find_element(By.XPATH, "//button[normalize-space()='Run a plan']").click()
    seen = set()

    def finished(d: Any) -> bool:
        """Notes each state the progress shows until the board opens beside the plan."""
        if d.find_elements(By.ID, "compare"):
            return True
        try:
            seen.add(d.find_element(By.ID, "plan-progress").get_attribute("data-state") or "")
            seen.add(d.find_element(By.ID, "plan-progress-text").text)
        except WebDriverException:  # the page is being replaced
            pass
        return False

    browser.implicitly_wait(0)
    WebDriverWait(browser, 60, poll_frequency=0.1).until(finished)
    browser.implicitly_wait(5)
    texts = [t for t in seen if t.startswith("Plan run")]
    assert texts and any(" s of 2 s" in t for t in texts), seen
    assert seen & {"queued", "running", "done"}, seen
    compare = browser.find_element(By.ID, "compare")
    head = compare.find_element(By.TAG_NAME, "thead").text
    assert "Current day" in head and "Plan run" in head
    rows = {r.find_element(By.TAG_NAME, "th").text: [c.text for c in r.find_elements(
        By.TAG_NAME, "td")] for r in compare.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert {"Jobs assigned", "Unassigned P1", "Unassigned P2", "Travel (km)",
            "Travel (min)", "On time (SLA)", "Utilisation (mean)"} <= set(rows), rows
    assert rows["Unassigned P2"][0] == "1" and rows["Unassigned P2"][1] == "0", rows
    shot(browser, screenshots, "board-plan-compared")
    run_button = browser.find_element(By.XPATH, "//section[h2='Plan the day']//button"
                                                "[starts-with(normalize-space(), 'Apply run')]")
    press(browser, run_button.text)
    assert "is applied" in alert_text(browser)
    assert _bar(browser, world.open_number)  # the open order is on someone's row now
    kinds = {e.get_attribute("class").split()[1]
             for e in browser.find_elements(By.CSS_SELECTOR, "#board .bar")}
    assert {"break", "pickup", "travel", "job", "idle"} <= kinds, kinds  # the planned day
    press(browser, "Release the day to the technicians")
    assert "Released:" in alert_text(browser) and "technicians notified" in alert_text(browser)
    shot(browser, screenshots, "board-released")


def test_an_emergency_lands_on_the_board_highlighted(browser: Any, world: World,
                                                     screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open_board(browser, world)
    Select(by_label(browser, "Site")).select_by_visible_text(world.site_name)
    by_label(browser, "What is wrong?").send_keys("Lift stuck with a person inside")
    press(browser, "Create a P1 and insert it")
    proposal = browser.find_element(By.ID, "proposal").text
    assert " lands with " in proposal and "starts " in proposal, proposal
    proposed = browser.find_elements(By.CSS_SELECTOR, ".bar.proposed.highlight")
    assert len(proposed) == 1 and "proposed" in proposed[0].text
    number = proposed[0].text.split(" · ")[0]
    shot(browser, screenshots, "board-emergency-proposed")
    press(browser, "Book the emergency")
    assert "is applied" in alert_text(browser)
    booked = _bar(browser, number)
    assert "highlight" in booked.get_attribute("class")
    shot(browser, screenshots, "board-emergency-booked")


def test_a_job_is_dragged_to_another_technician_and_an_impossible_move_is_refused(
        browser: Any, world: World, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open_board(browser, world)
    # Drag Lea's door job onto Tom's row at about 17:00 (HTML5 drag events, as a mouse sends).
    old = browser.find_element(By.TAG_NAME, "html")
    browser.execute_script("""
        var bar = document.querySelector("a.bar.job[data-number='" + arguments[0] + "']");
        var track = document.querySelector("[data-drop-technician='" + arguments[1] + "']");
        var box = track.getBoundingClientRect(), from = bar.getBoundingClientRect();
        var x = box.left + box.width * (17 - 6) / 14, y = box.top + box.height / 2;
        var data = new DataTransfer();
        function fire(el, type, cx) {
          el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
                                                clientX: cx, clientY: y, dataTransfer: data}));
        }
        fire(bar, "dragstart", from.left);
        fire(track, "dragover", x);
        fire(track, "drop", x);
    """, world.plain_number, _row(browser, "Tom Technician").get_attribute("data-technician"))

    wait_replaced(browser, old)
    assert f"{world.plain_number} is now with Tom Technician at 5:00" in alert_text(browser)
    assert _row(browser, "Tom Technician").find_elements(
        By.CSS_SELECTOR, f"a.bar.job[data-number='{world.plain_number}']")
    shot(browser, screenshots, "board-dragged")
    # The keyboard way, refused: Lea lacks HVAC for the compressor service.
    Select(by_label(browser, "Job")).select_by_visible_text(
        f"{world.hvac_number} (Tom Technician)")
    Select(by_label(browser, "To technician")).select_by_visible_text("Lea Lehmann")
    start = by_label(browser, "Start time")
    browser.execute_script("arguments[0].value = '16:00'", start)
    press(browser, "Move the job")
    refused = alert_text(browser)
    assert "The technician lacks required skills: hvac level 1 (has 0)." in refused, refused
    assert _row(browser, "Tom Technician").find_elements(
        By.CSS_SELECTOR, f"a.bar.job[data-number='{world.hvac_number}']")
    shot(browser, screenshots, "board-move-refused")
    # And a keyboard move that fits: Tom's compressor service to 16:00.
    Select(by_label(browser, "Job")).select_by_visible_text(
        f"{world.hvac_number} (Tom Technician)")
    Select(by_label(browser, "To technician")).select_by_visible_text("Tom Technician")
    browser.execute_script("arguments[0].value = '16:00'", by_label(browser, "Start time"))
    press(browser, "Move the job")
    assert f"{world.hvac_number} is now with Tom Technician at 4:00" in alert_text(browser)


def test_the_board_reads_in_chinese(browser_zh: Any, world: World, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    log_in(browser_zh, world.base, world.dispatcher, email_label="电子邮件",
           password_label="密码", submit="登录")
    browser_zh.get(f"{world.base}/board?date={DAY.isoformat()}")
    page = browser_zh.find_element(By.TAG_NAME, "main").text
    for words in ("运行排程", "今天插入紧急工单", "移动工单", "延误"):
        assert words in page, words
    shot(browser_zh, screenshots, "board-day-zh")
    from selenium.webdriver.support.ui import Select

    Select(by_label(browser_zh, "工单")).select_by_visible_text(
        f"{world.hvac_number} (Tom Technician)")
    Select(by_label(browser_zh, "目标技术员")).select_by_visible_text("Lea Lehmann")
    press(browser_zh, "移动该工单")
    assert "该技术员缺少所需技能：hvac 等级 1（现有 0）。" in alert_text(browser_zh)
