"""The console on a real port (werkzeug in a thread) against a scratch database with real
commits, seeded through the services, driven by Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import MUNICH, PASSWORD, build_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HAVE_CHROMIUM = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@dataclass
class Seeded:
    dispatcher: str
    customer: str
    warehouse: str
    urgent_id: int
    urgent_number: str
    tech_name: str
    tomorrow: str
    completed_number: str
    asset_tag: str
    app: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(app: Any) -> Seeded:
    from decimal import Decimal

    from app import geo
    from app.assets.models import Asset, Customer, EquipmentModel, EquipmentModelSkill, Site, Skill
    from app.auth import service as auth
    from app.dispatch import service as dispatch
    from app.dispatch.service.problem import local_day
    from app.extensions import db
    from app.inventory import service as inventory
    from app.workorders import service as workorders

    method = "pbkdf2:sha256:1000"
    with app.app_context():
        s = db.session
        customer = Customer(account_number="C-100", name="Stadtwerke München",
                            sla_tier="gold")
        s.add(customer)
        s.flush()  # flush: the customer user names the account
        users = {role: auth.create_user(s, email=f"{role}@console.test",
                                        full_name=name, password=PASSWORD, role=role,
                                        password_method=method,
                                        customer_id=customer.id if role == "customer" else None)
                 for role, name in (("dispatcher", "Dana Dispatcher"),
                                    ("customer", "Carl Customer"),
                                    ("warehouse", "Wanda Warehouse"),
                                    ("technician", "Tom Technician"))}
        skill = Skill(code="hvac", name="HVAC")
        model = EquipmentModel(manufacturer="Carrier", model="30XA", category="chiller")
        s.add_all([skill, model])
        s.flush()  # flush: ids for the model's skill and the site
        model.skills = [EquipmentModelSkill(skill=skill, min_level=1)]
        site = Site(customer_id=customer.id, name="Heizkraftwerk Nord",
                    address_line="Marienplatz 1", city="München", postal_code="80331",
                    location=geo.to_point(*MUNICH))
        s.add(site)
        s.flush()  # flush: the asset's site
        asset = Asset(tag="A-CHILLER-1", site_id=site.id, equipment_model_id=model.id)
        s.add(asset)
        s.flush()  # flush: the orders' asset
        tech = dispatch.create_technician(s, {
            "user_id": users["technician"].id, "home_base": {"lat": 48.15, "lng": 11.56},
            "skills": [{"skill": "hvac", "level": 3}],
            "shifts": [{"weekday": d, "starts": time(0, 0), "ends": time(23, 59)}
                       for d in range(7)]}, actor=users["dispatcher"])
        zone = ZoneInfo(app.config["DISPATCH_TIMEZONE"])
        # Round the clock (no calendar): a new P1 order has its full 4 h response time left.
        workorders.save_sla_policy(s, sla_tier="gold", priority="P1", response_minutes=240,
                                   resolution_minutes=480, calendar_id=None,
                                   actor=users["dispatcher"])
        dispatch.record_position(s, tech, lat=48.152, lng=11.561, at=datetime.now(zone),
                                 accuracy_m=12.0, actor=users["technician"])
        urgent = workorders.new_work_order(s, site=site, asset=asset, priority="P1",
                                           title="Chiller alarm HP1",
                                           description="High pressure alarm", actor=None)
        # A job tomorrow with a part reserved at the warehouse: tomorrow's pick list.
        planned = workorders.new_work_order(s, site=site, asset=asset, priority="P3",
                                            title="Compressor service",
                                            description="Annual service", actor=None)
        done = workorders.new_work_order(s, site=site, asset=asset, title="Leaking valve",
                                         description="Water under the unit", actor=None)
        s.flush()  # flush: ids for the assignment and the reservation
        done.status, done.completed_at = "completed", done.created_at
        zone = ZoneInfo(app.config["DISPATCH_TIMEZONE"])
        tomorrow = local_day(datetime.now(zone)) + timedelta(days=1)
        dispatch.assign_technician(
            s, planned.id, technician_id=tech.id, version=planned.version,
            start=datetime.combine(tomorrow, time(10, 0), tzinfo=zone),
            now=datetime.now(zone), actor=users["dispatcher"])
        part = inventory.create_part(s, sku="VALVE-22", name="Expansion valve",
                                     unit_cost=Decimal("40.00"), reorder_point=5,
                                     reorder_quantity=10, actor=None)
        house = inventory.create_location(s, code="WH-MUC", name="Lager München",
                                          kind="warehouse",
                                          point={"lat": 48.14, "lng": 11.55}, actor=None)
        inventory.create_location(s, code="VAN-TOM", name="Van Tom", kind="van",
                                  owner_user_id=users["technician"].id, actor=None)
        inventory.record_movement(s, kind="receipt", part_id=part.id, quantity=3,
                                  to_location_id=house.id, note="opening stock",
                                  actor=users["warehouse"])
        inventory.reserve_parts(s, work_order_id=planned.id, location_id=house.id,
                                lines=[(part.id, 2)], actor=None)
        s.commit()
        return Seeded("dispatcher@console.test", "customer@console.test",
                      "warehouse@console.test", urgent.id, urgent.number, "Tom Technician",
                      tomorrow.isoformat(), done.number, asset.tag, app)


@pytest.fixture(scope="module")
def console(scratch_databases: Any, tmp_path_factory: Any) -> Iterator[tuple[str, Seeded]]:
    """(base URL, seeded names) of the console on a real port."""
    from werkzeug.serving import make_server

    from app.extensions import db

    tmp = tmp_path_factory.mktemp("console")
    app = build_app(scratch_databases.create(), tmp, PHOTO_STORAGE_DIR=str(tmp / "photos"))
    seeded = _seed(app)
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seeded
    server.shutdown()
    thread.join(10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: Any) -> Iterator[Path]:
    folder = os.environ.get("ARTIFACTS_DIR")
    base = Path(folder) if folder else tmp_path_factory.mktemp("artifacts")
    path = base / "tests" / "console" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    yield path
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        publish_readme_screenshots(path)


# The README's screenshots: the run's shot -> the file under docs/screenshots/.
README_SCREENSHOTS = {"board-released.png": "board.png",
                      "customer-order.png": "customer-order.png",
                      "warehouse-pick-lists.png": "pick-lists.png"}
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def publish_readme_screenshots(folder: Path) -> list[Path]:
    """With UPDATE_SCREENSHOTS=1 the shots the README shows are copied from this run's
    artefact folder to docs/screenshots/ (those this module took)."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    copied = []
    for shot_name, doc_name in README_SCREENSHOTS.items():
        if (folder / shot_name).exists():
            shutil.copyfile(folder / shot_name, DOCS_SCREENSHOTS / doc_name)
            copied.append(DOCS_SCREENSHOTS / doc_name)
    return copied


@pytest.fixture
def browser(tmp_path: Any) -> Iterator[Any]:
    """A fresh headless Chromium (own profile) for each test; English unless told."""
    yield from _browser(tmp_path, "en-US")


@pytest.fixture
def browser_zh(tmp_path: Any) -> Iterator[Any]:
    yield from _browser(tmp_path, "zh-CN")


def _browser(tmp_path: Any, language: str) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path / f"profile-{uuid.uuid4().hex[:6]}"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                f"--user-data-dir={profile}", f"--lang={language}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
