"""`flask seed-demo`: a deterministic demo data set in the Munich metropolitan area.

Each package contributes a seeder `seed(session, ctx)`; they run in the order below, so a
later one can use what an earlier one made (`ctx.made`). Coordinates are real places.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

DEMO_PASSWORD = "fieldops-demo"

# module:function, in dependency order. Packages add their seeder here.
SEEDERS = (
    "app.assets.demo:seed_customers",
    "app.auth.demo:seed_users",
    "app.assets.demo:seed_catalogue",
    "app.assets.demo:seed_sites_and_assets",
    "app.inventory.demo:seed_inventory",
    "app.dispatch.demo:seed_technicians",
    "app.workorders.demo:seed_work_orders",
    "app.mobile_api.demo:seed_technician_days",
    "app.maintenance.demo:seed_maintenance",
)


@dataclass(frozen=True)
class Size:
    customers: int
    sites: int
    assets: int
    technicians: int
    dispatchers: int
    warehouses: int
    work_orders: int
    history: int = 0  # closed orders of earlier years, besides `work_orders`


SIZES = {
    "small": Size(customers=12, sites=60, assets=240, technicians=8, dispatchers=2,
                  warehouses=2, work_orders=80),
    "city": Size(customers=300, sites=2000, assets=10000, technicians=60, dispatchers=6,
                 warehouses=3, work_orders=1500),
    # 10x the city's assets and work orders, for the scale run of benchmarks/api.py: the
    # city's workforce and live work, with ten times the customers, sites and assets and
    # years of closed orders, so each request answers as much as in the city and only the
    # tables are larger.
    "country": Size(customers=3000, sites=20000, assets=100000, technicians=60,
                    dispatchers=6, warehouses=3, work_orders=1500, history=13500),
}

# (district, lat, lng) — real centres of Munich districts and neighbouring towns.
DISTRICTS = (
    ("Altstadt", 48.1374, 11.5755), ("Maxvorstadt", 48.1500, 11.5700),
    ("Schwabing", 48.1650, 11.5850), ("Bogenhausen", 48.1530, 11.6150),
    ("Haidhausen", 48.1290, 11.5950), ("Sendling", 48.1180, 11.5400),
    ("Giesing", 48.1100, 11.5850), ("Neuhausen", 48.1550, 11.5330),
    ("Pasing", 48.1490, 11.4610), ("Moosach", 48.1800, 11.5100),
    ("Milbertshofen", 48.1900, 11.5700), ("Trudering", 48.1230, 11.6710),
    ("Berg am Laim", 48.1250, 11.6300), ("Laim", 48.1390, 11.5030),
    ("Hadern", 48.1150, 11.4800), ("Ramersdorf", 48.1100, 11.6150),
    ("Freimann", 48.2050, 11.6050), ("Garching", 48.2490, 11.6520),
    ("Unterföhring", 48.1920, 11.6450), ("Ismaning", 48.2260, 11.6760),
    ("Unterschleißheim", 48.2800, 11.5770), ("Planegg", 48.1060, 11.4250),
    ("Pullach", 48.0610, 11.5220), ("Unterhaching", 48.0660, 11.6150),
    ("Ottobrunn", 48.0640, 11.6650), ("Haar", 48.1090, 11.7280),
    ("Germering", 48.1330, 11.3700), ("Dachau", 48.2600, 11.4340),
)
STREETS = (
    "Leopoldstraße", "Landsberger Straße", "Lindwurmstraße", "Rosenheimer Straße",
    "Dachauer Straße", "Ingolstädter Straße", "Wasserburger Landstraße", "Fürstenrieder Straße",
    "Schleißheimer Straße", "Prinzregentenstraße", "Arnulfstraße", "Tegernseer Landstraße",
    "Plinganserstraße", "Leuchtenbergring", "Frankfurter Ring", "Lerchenauer Straße",
    "Boschetsrieder Straße", "Bayerstraße", "Nymphenburger Straße", "Hansastraße",
)


@dataclass
class DemoContext:
    rng: random.Random
    size: Size
    password_hash: str
    made: dict[str, list[Any]] = field(default_factory=dict)

    def place(self, spread_m: float = 900.0) -> tuple[str, str, float, float]:
        """A plausible address and point: a district centre plus a few hundred metres."""
        district, lat, lng = self.rng.choice(DISTRICTS)
        lat += self.rng.gauss(0, spread_m) / 111_320
        lng += self.rng.gauss(0, spread_m) / 74_400  # metres per degree of longitude at 48°N
        street = f"{self.rng.choice(STREETS)} {self.rng.randint(1, 180)}"
        return street, district, round(lat, 6), round(lng, 6)


@dataclass
class DemoSummary:
    counts: dict[str, int]


def seed_demo(session: Session, *, seed: int, size: str, force: bool = False,
              password_method: str = "scrypt",
              progress: Callable[[str, float], None] | None = None) -> DemoSummary | None:
    """Fill every existing table with demo data, once (unless forced). `progress(step,
    seconds)` is called after each seeder."""
    from werkzeug.security import generate_password_hash

    from app.auth.models import User

    if not force and session.scalar(select(func.count()).select_from(User)):
        return None
    ctx = DemoContext(
        rng=random.Random(seed), size=SIZES[size],
        password_hash=generate_password_hash(DEMO_PASSWORD, method=password_method),
    )
    counts: dict[str, int] = {}
    for spec in SEEDERS:
        module_name, func_name = spec.split(":")
        started = time.perf_counter()
        result = getattr(importlib.import_module(module_name), func_name)(session, ctx)
        session.flush()  # flush: the next seeder reads what this one made
        counts.update(result or {})
        if progress is not None:
            progress(func_name, time.perf_counter() - started)
    return DemoSummary(counts=counts)


def demo_logins(session: Session) -> list[tuple[str, str]]:
    """One login per role (the first of each), for the README and `make run`."""
    from app.auth.models import Role, User

    logins = []
    for role in Role:
        email = session.scalar(select(User.email).where(User.role == role).order_by(User.id))
        if email:
            logins.append((role.value, email))
    return logins
