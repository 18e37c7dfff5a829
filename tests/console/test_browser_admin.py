"""The KPI charts and the admin's edits in a real browser (headless Chromium on the app's
real port): the charts draw and carry the numbers, once in Chinese; an admin adds a skill to a
technician, changes a shift, edits an SLA policy, creates a user and changes the role, and a
refused edit is explained in words. Screenshots go to the run's artefact folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.console.conftest import HAVE_CHROMIUM
from tests.console.test_browser import (
    alert_text,
    by_label,
    follow,
    log_in,
    press,
    shot,
    wait_replaced,
)

pytestmark = pytest.mark.skipif(
    not HAVE_CHROMIUM,
    reason="needs Debian's chromium and chromium-driver (make setup installs them)")

ADMIN = "admin@console.test"


@pytest.fixture(scope="module")
def admin(console: Any) -> str:
    """An admin and a second skill in the console's database (the seed has neither)."""
    from app.assets.models import Skill
    from app.auth import service as auth
    from app.extensions import db

    _base, seeded = console
    with seeded.app.app_context():
        auth.create_user(db.session, email=ADMIN, full_name="Ada Admin", password=PASSWORD,
                         role="admin", password_method="pbkdf2:sha256:1000")
        db.session.add(Skill(code="electrical", name="Electrical"))
        db.session.commit()
    return ADMIN


def test_kpi_page_draws_six_charts_with_their_numbers_in_a_table(
        browser: Any, console: Any, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, seeded = console
    log_in(browser, base, seeded.dispatcher)
    follow(browser, "KPIs")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Key performance indicators"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")
    assert [c.get_attribute("id") for c in charts] == [
        "chart-sla", "chart-ftf", "chart-utilisation", "chart-travel", "chart-backlog",
        "chart-csat"]
    assert all(c.size["width"] > 300 and c.size["height"] > 80 for c in charts)
    # The seed has open orders: the backlog chart draws bars, the table says how many.
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-backlog rect[class^=bar-]")
    rows = browser.find_elements(By.CSS_SELECTOR, "#kpi-table tbody tr")
    assert len(rows) == 14
    last = rows[-1].find_elements(By.TAG_NAME, "td")
    assert int(last[5].text) >= 2  # backlog today: the urgent and tomorrow's order
    shot(browser, screenshots, "dispatcher-kpis")
    Select(by_label(browser, "Per")).select_by_visible_text("week")
    press(browser, "Show")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#kpi-table tbody tr")) == 8
    assert "The figures per week" in browser.find_element(By.TAG_NAME, "caption").text
    shot(browser, screenshots, "dispatcher-kpis-weekly")


def test_kpi_page_in_chinese(browser_zh: Any, console: Any, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    base, seeded = console
    log_in(browser_zh, base, seeded.dispatcher, email_label="电子邮件",
           password_label="密码", submit="登录")
    browser_zh.get(f"{base}/kpis")
    assert browser_zh.find_element(By.TAG_NAME, "h1").text == "关键绩效指标"
    titles = [e.text for e in browser_zh.find_elements(By.CSS_SELECTOR, "figcaption h2")]
    assert titles == ["SLA 达标率", "首次修复率", "利用率", "路途时间占比", "积压工单（按时长）",
                      "客户满意度（CSAT）"]
    assert len(browser_zh.find_elements(By.CSS_SELECTOR, "svg.chart")) == 6
    shot(browser_zh, screenshots, "dispatcher-kpis-zh")


def test_admin_adds_a_skill_and_changes_a_shift(browser: Any, console: Any, admin: str,
                                                screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, seeded = console
    log_in(browser, base, admin)
    follow(browser, "Technicians")
    follow(browser, seeded.tech_name)
    Select(by_label(browser, "Add a skill")).select_by_visible_text("Electrical (electrical)")
    level = by_label(browser, "Level")
    level.clear()
    level.send_keys("2")
    press(browser, "Save skills")
    assert f"Skills of {seeded.tech_name} saved." in alert_text(browser)
    skills = browser.find_element(By.ID, "skills-table").text
    assert "Electrical (electrical)" in skills and "HVAC (hvac)" in skills
    monday_end = browser.find_element(By.CSS_SELECTOR, "input[aria-label='Monday: Ends']")
    monday_end.clear()
    monday_end.send_keys("18:30")
    press(browser, "Save shifts")
    assert f"Weekly shifts of {seeded.tech_name} saved." in alert_text(browser)
    assert browser.find_element(By.ID, "ends-0").get_attribute("value") == "18:30"
    # A shift that ends before it starts is refused in words, and nothing changes.
    tuesday_end = browser.find_element(By.ID, "ends-1")
    tuesday_end.clear()
    tuesday_end.send_keys("00:00")
    press(browser, "Save shifts")
    assert "Check these fields: Ends" in alert_text(browser)
    assert browser.find_element(By.ID, "ends-0").get_attribute("value") == "18:30"
    shot(browser, screenshots, "admin-technician")
    follow(browser, "All technicians")
    assert "Electrical (2)" in browser.find_element(By.TAG_NAME, "table").text


def test_admin_edits_an_sla_policy_with_the_keyboard(browser: Any, console: Any, admin: str,
                                                     screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _seeded = console
    log_in(browser, base, admin)
    follow(browser, "SLA and calendars")
    row = browser.find_element(By.ID, "policy-gold-P1")
    response = row.find_element(By.NAME, "response_minutes")
    assert response.get_attribute("value") == "240"
    response.clear()
    response.send_keys("180", Keys.ENTER)  # Enter submits the row's form

    wait_replaced(browser, row)
    assert "SLA policy gold / P1 saved." in alert_text(browser)
    row = browser.find_element(By.ID, "policy-gold-P1")
    assert row.find_element(By.NAME, "response_minutes").get_attribute("value") == "180"
    # Resolution shorter than response: the service's rule, in words.
    resolution = row.find_element(By.NAME, "resolution_minutes")
    resolution.clear()
    resolution.send_keys("60", Keys.ENTER)
    wait_replaced(browser, row)
    assert "Resolution target is shorter than the response target." in alert_text(browser)
    assert browser.find_element(By.ID, "policy-gold-P1").find_element(
        By.NAME, "resolution_minutes").get_attribute("value") == "480"
    shot(browser, screenshots, "admin-sla")


def test_admin_creates_a_user_and_changes_the_role(browser: Any, console: Any, admin: str,
                                                   screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, _seeded = console
    log_in(browser, base, admin)
    follow(browser, "Users")
    by_label(browser, "Name").send_keys("王芳 Fang Wang")
    by_label(browser, "Email").send_keys("fang.wang@console.test")
    by_label(browser, "Password").send_keys("a-long-password")
    # "Role" also labels the list's filter: the new user's is the form's second.
    Select(browser.find_element(By.ID, "nu-role")).select_by_visible_text("dispatcher")
    press(browser, "Create user")
    assert "User 王芳 Fang Wang created." in alert_text(browser)
    row = browser.find_element(By.XPATH, "//tr[td[2]='fang.wang@console.test']")
    Select(row.find_element(By.TAG_NAME, "select")).select_by_visible_text("warehouse")
    old = browser.find_element(By.TAG_NAME, "html")
    row.find_element(By.XPATH, ".//button[normalize-space()='Change role']").click()
    wait_replaced(browser, old)
    assert "王芳 Fang Wang saved." in alert_text(browser)
    row = browser.find_element(By.XPATH, "//tr[td[2]='fang.wang@console.test']")
    assert Select(row.find_element(By.TAG_NAME, "select")).first_selected_option.text == \
        "warehouse"
    shot(browser, screenshots, "admin-users")
    # The new user signs in and lands on the warehouse's stock page.
    press(browser, "Sign out")
    browser.get(f"{base}/login")
    by_label(browser, "Email").send_keys("fang.wang@console.test")
    by_label(browser, "Password").send_keys("a-long-password")
    press(browser, "Sign in")
    assert browser.current_url.endswith("/stock")


def test_admin_draws_a_territory_on_the_map_and_renames_it(
        browser: Any, console: Any, admin: str, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, _seeded = console
    log_in(browser, base, admin)
    follow(browser, "Territories")
    by_label(browser, "Name").send_keys("Schwabing")
    by_label(browser, "Boundary").send_keys("48.16, 11.57\n48.16, 11.60\n48.18, 11.60")
    # The shape is drawn on the map as it is typed, before anything is saved.
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#territory-map path').length") == 1)
    press(browser, "Create territory")
    assert "Territory Schwabing saved." in alert_text(browser)
    assert browser.execute_script(
        "return document.querySelectorAll('#territory-map path').length") == 1
    name = browser.find_element(By.CSS_SELECTOR, "form[data-territory]:not("
                                "[data-territory=new]) input[name=name]")
    name.clear()
    name.send_keys("Schwabing-Nord")
    press(browser, "Save")
    assert "Territory Schwabing-Nord saved." in alert_text(browser)
    shot(browser, screenshots, "admin-territories")
