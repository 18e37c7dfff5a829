"""The console's main flows in a real browser (headless Chromium on the app's real port):
login, the dispatcher's queue -> work order -> candidates -> assign, the customer's fault report
with a photo and the rating, the warehouse's pick-list fulfilment, and the same login + queue in
Chinese. Each page's screenshot is written to tests/console/screenshots/ under the run's
artefact folder."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.console.conftest import HAVE_CHROMIUM

pytestmark = pytest.mark.skipif(
    not HAVE_CHROMIUM,
    reason="needs Debian's chromium and chromium-driver (make setup installs them)")


def by_label(driver: Any, text: str) -> Any:
    """The form field a visible <label> names (fields are found as a person finds them)."""
    from selenium.webdriver.common.by import By

    label = driver.find_element(By.XPATH, f"//label[normalize-space(text())='{text}']")
    return driver.find_element(By.ID, label.get_attribute("for"))


def button(driver: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']")


def wait_replaced(driver: Any, old: Any) -> None:
    """Wait until the page holding ``old`` has been replaced by the next one. Chromedriver
    may report a node of the outgoing page as "does not belong to the document" rather than
    stale while the navigation is under way; both mean the old page is gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_driver: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    WebDriverWait(driver, 15).until(gone)


def press(driver: Any, text: str) -> None:
    """Click a button that submits a form and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By

    old = driver.find_element(By.TAG_NAME, "html")
    button(driver, text).click()
    wait_replaced(driver, old)


def follow(driver: Any, link_text: str) -> None:
    from selenium.webdriver.common.by import By

    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.LINK_TEXT, link_text).click()
    wait_replaced(driver, old)


def alert_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return " ".join(e.text for e in driver.find_elements(
        By.CSS_SELECTOR, "[role=alert], [role=status]"))


def shot(driver: Any, folder: Path, name: str) -> None:
    assert driver.save_screenshot(str(folder / f"{name}.png"))


def log_in(driver: Any, base: str, email: str, *, email_label: str = "Email",
           password_label: str = "Password", submit: str = "Sign in") -> None:
    driver.get(f"{base}/login")
    by_label(driver, email_label).send_keys(email)
    by_label(driver, password_label).send_keys(PASSWORD)
    press(driver, submit)


def test_login_refuses_a_wrong_password_and_signs_in_and_out(
        browser: Any, console: Any, screenshots: Path) -> None:
    base, seeded = console
    browser.get(f"{base}/")
    assert browser.current_url.endswith("/login")
    by_label(browser, "Email").send_keys(seeded.dispatcher)
    by_label(browser, "Password").send_keys("not-the-password")
    press(browser, "Sign in")
    assert "Invalid email or password." in alert_text(browser)
    shot(browser, screenshots, "login-refused")
    log_in(browser, base, seeded.dispatcher)
    assert browser.current_url.endswith("/queue")
    nav = browser.find_element("css selector", "nav").text
    assert "Queue" in nav and "Day board" in nav and "My work orders" not in nav
    press(browser, "Sign out")
    assert "You have signed out." in alert_text(browser)
    browser.get(f"{base}/queue")
    assert "/login" in browser.current_url


def test_dispatcher_assigns_the_most_urgent_order_from_the_queue(
        browser: Any, console: Any, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, seeded = console
    log_in(browser, base, seeded.dispatcher)
    Select(by_label(browser, "Priority")).select_by_visible_text("P1")
    press(browser, "Filter")
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    assert len(rows) == 1 and seeded.urgent_number in rows[0].text
    assert "Stadtwerke München" in rows[0].text and "HVAC ≥1" in rows[0].text
    sla = rows[0].find_elements(By.TAG_NAME, "td")[1].text
    assert sla.endswith(" left") and sla.startswith(("3 h", "4 h")), sla
    shot(browser, screenshots, "dispatcher-queue")
    follow(browser, seeded.urgent_number)
    browser.get(f"{browser.current_url}?date={seeded.tomorrow}")
    candidates = browser.find_element(By.XPATH, "//section[h2='Candidates']").text
    assert seeded.tech_name in candidates
    shot(browser, screenshots, "dispatcher-work-order")
    press(browser, f"Assign {seeded.tech_name}")
    assert f"{seeded.urgent_number} is assigned to {seeded.tech_name}." in alert_text(browser)
    details = browser.find_element(By.CSS_SELECTOR, "dl.card").text
    assert "scheduled" in details
    timeline = browser.find_element(By.XPATH, "//section[h2='Timeline']").text
    assert "assigned" in timeline
    shot(browser, screenshots, "dispatcher-assigned")


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_customer_reports_a_fault_with_a_photo_and_rates_a_visit(
        browser: Any, console: Any, screenshots: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, seeded = console
    log_in(browser, base, seeded.customer)
    assert browser.current_url.endswith("/my/orders")
    follow(browser, "My sites and equipment")
    assert f"QR label for {seeded.asset_tag}" in browser.page_source
    shot(browser, screenshots, "customer-sites")
    follow(browser, f"Report a fault on {seeded.asset_tag}")
    by_label(browser, "What is wrong?").send_keys("Display shows E42 and the fan is silent")
    photo = tmp_path / "fault.jpg"
    photo.write_bytes(_photo())
    by_label(browser, "Photo (optional)").send_keys(str(photo))
    shot(browser, screenshots, "customer-report")
    press(browser, "Send the report")
    message = alert_text(browser)
    assert "Your report was added to the open work order" in message or "is open" in message
    thumbs = browser.find_elements(By.CSS_SELECTOR, ".thumbs img")
    assert len(thumbs) == 1
    assert browser.execute_script("return arguments[0].naturalWidth", thumbs[0]) > 0
    shot(browser, screenshots, "customer-order")
    follow(browser, "My work orders")
    follow(browser, seeded.completed_number)
    Select(by_label(browser, "Score (1 to 5)")).select_by_visible_text("4")
    by_label(browser, "Comment").send_keys("Quick and tidy")
    press(browser, "Send rating")
    assert "Thank you for your rating." in alert_text(browser)
    assert "You rated this visit 4 of 5." in browser.page_source
    shot(browser, screenshots, "customer-rated")


def test_warehouse_fulfils_tomorrows_pick_list(browser: Any, console: Any,
                                               screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    base, seeded = console
    log_in(browser, base, seeded.warehouse)
    assert browser.current_url.endswith("/stock")
    low = browser.find_element(By.XPATH, "//section[h2='Low stock']").text
    assert "VALVE-22" in low
    shot(browser, screenshots, "warehouse-stock")
    follow(browser, "Pick lists")
    section = browser.find_element(By.XPATH, f"//section[h2='{seeded.tech_name}']").text
    assert "VALVE-22" in section and "WH-MUC" in section
    shot(browser, screenshots, "warehouse-pick-lists")
    press(browser, f"Fulfil the pick list of {seeded.tech_name}")
    assert "fulfilled" in alert_text(browser)
    section = browser.find_element(By.XPATH, f"//section[h2='{seeded.tech_name}']").text
    assert "Nothing left to pick" in section
    shot(browser, screenshots, "warehouse-fulfilled")


def test_login_and_queue_in_chinese(browser_zh: Any, console: Any, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    base, seeded = console
    log_in(browser_zh, base, seeded.dispatcher, email_label="电子邮件",
           password_label="密码", submit="登录")
    heading = browser_zh.find_element(By.TAG_NAME, "h1").text
    assert heading == "按 SLA 紧急程度排列的未完成工单"
    assert "队列" in browser_zh.find_element(By.CSS_SELECTOR, "nav").text
    shot(browser_zh, screenshots, "dispatcher-queue-zh")
    from selenium.webdriver.support.ui import Select

    Select(by_label(browser_zh, "语言")).select_by_visible_text("English")
    press(browser_zh, "切换")
    assert browser_zh.find_element(By.TAG_NAME, "h1").text == "Open work orders by SLA urgency"


def test_queue_updates_itself_when_a_fault_comes_in(browser: Any, console: Any,
                                                     screenshots: Path) -> None:
    """A fault reported elsewhere (here through the service, as the API would) appears in the
    open queue page without a reload, through the office event stream."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from sqlalchemy import select

    from app.assets.models import Site
    from app.auth.models import User
    from app.extensions import db
    from app.workorders import service as workorders

    base, seeded = console
    log_in(browser, base, seeded.dispatcher)
    browser.get(f"{base}/queue")
    marker = browser.execute_script("window.__notReloaded = true; return window.__notReloaded")
    assert marker is True
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return document.querySelectorAll('script[data-stream]').length") == 1)
    with seeded.app.app_context():
        customer = db.session.scalar(select(User).where(User.email == seeded.customer))
        site = db.session.scalar(select(Site).where(Site.customer_id == customer.customer_id))
        outcome = workorders.report_fault(db.session, description="Boiler lockout F28",
                                          site_id=site.id, actor=customer)
        db.session.commit()
        number = outcome.work_order.number
    WebDriverWait(browser, 20).until(
        lambda d: number in d.find_element(By.ID, "queue").text)
    assert browser.execute_script("return window.__notReloaded") is True
    assert "Updated live at" in browser.find_element(By.ID, "live-status").text
    shot(browser, screenshots, "dispatcher-queue-live")


def test_dispatcher_plans_tomorrow_on_the_board_and_applies_it(
        browser: Any, console: Any, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, seeded = console
    log_in(browser, base, seeded.dispatcher)
    browser.get(f"{base}/board?date={seeded.tomorrow}")
    row = browser.find_element(By.XPATH, f"//div[@role='row'][span/strong='{seeded.tech_name}']")
    assert row.find_elements(By.CSS_SELECTOR, "a.bar.job")  # tomorrow's job on the Gantt
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return !!window.L && document.querySelectorAll('#map path').length > 0"))
    positions = browser.execute_script(
        "return JSON.parse(document.getElementById('routes-data').textContent)"
        ".map(function (r) { return r.position; })")
    assert positions == [[48.152, 11.561]]  # the technician's last known position
    shot(browser, screenshots, "dispatcher-board")
    limit = by_label(browser, "Time limit (seconds)")
    limit.clear()
    limit.send_keys("2")
    button(browser, "Run a plan").click()  # solved in the background; the page follows it
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.ID, "compare"))
    runs = browser.find_element(By.XPATH, "//section[h2='Plan the day']").text
    assert "done" in runs
    run_button = browser.find_element(By.XPATH, "//button[starts-with(normalize-space(), "
                                                "'Apply run')]")
    press(browser, run_button.text)
    assert "is applied" in alert_text(browser)
    shot(browser, screenshots, "dispatcher-board-applied")
