"""Demo customers, sites and assets (see app/demo.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.assets.models import Customer, SlaTier

_PREFIXES = ("Isar", "Alpen", "Bavaria", "Südstern", "Nordlicht", "Zugspitz", "Föhn",
             "Blauweiß", "Kristall", "Löwen", "Englischer Garten", "Olympia", "Theresien",
             "Nymphenburg", "Wiesn")
_KINDS = ("Kliniken", "Hotels AG", "Datacenter GmbH", "Brauerei", "Lebensmittel KG",
          "Facility Services", "Pharma GmbH", "Kühlhaus GmbH", "Immobilien AG",
          "Logistik GmbH", "Einkaufszentrum", "Stadtwerke-Service")
_TIER_WEIGHTS = ((SlaTier.platinum, 1), (SlaTier.gold, 3), (SlaTier.silver, 5),
                 (SlaTier.bronze, 3))


def seed_customers(session: Session, ctx: Any) -> dict[str, int]:
    tiers = [t for t, _ in _TIER_WEIGHTS]
    weights = [w for _, w in _TIER_WEIGHTS]
    customers = []
    names: set[str] = set()
    for n in range(1, ctx.size.customers + 1):
        name = f"{ctx.rng.choice(_PREFIXES)} {ctx.rng.choice(_KINDS)}"
        if name in names:
            name = f"{name} {n}"
        names.add(name)
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20]
        customers.append(Customer(
            account_number=f"C-{10000 + n}", name=name,
            sla_tier=ctx.rng.choices(tiers, weights)[0],
            contact_name=f"Facility desk {name.split()[0]}",
            contact_email=f"facility@{slug}.example",
            contact_phone=f"+49 89 {ctx.rng.randint(1000000, 9999999)}",
        ))
    session.add_all(customers)
    ctx.made["customers"] = customers
    return {"customers": len(customers)}
