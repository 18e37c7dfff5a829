"""Demo customers, sites and assets (see app/demo.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import geo
from app.assets.models import (
    Asset,
    AssetStatusChange,
    Customer,
    EquipmentModel,
    EquipmentModelSkill,
    Site,
    Skill,
    SlaTier,
)

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


SKILLS = (
    ("hvac", "HVAC", "Heating, ventilation and air conditioning"),
    ("refrigeration", "Refrigeration (F-gas certified)", "Refrigerant circuits, chillers"),
    ("electrical", "Electrical", "Low-voltage installations, UPS, switchgear"),
    ("elevator", "Lifts and escalators", "Lift mechanics and controllers"),
    ("medical", "Medical devices", "Imaging and patient monitoring (MPG trained)"),
    ("gas", "Gas and boilers", "Gas-fired boilers and burners"),
    ("mechanical", "Mechanical / CNC", "Machine tools, compressors, kitchen equipment"),
)

# (manufacturer, model, category, minutes, {skill: level}) — real product lines.
EQUIPMENT_MODELS = (
    ("Carrier", "AquaForce 30XA", "chiller", 120, {"refrigeration": 3, "electrical": 2}),
    ("Trane", "Sintesis RTAF", "chiller", 120, {"refrigeration": 3, "electrical": 2}),
    ("Daikin", "EWAD-TZ", "chiller", 120, {"refrigeration": 3}),
    ("Stulz", "CyberAir 3PRO", "crac", 90, {"hvac": 3, "refrigeration": 2}),
    ("KONE", "MonoSpace 500", "lift", 90, {"elevator": 3}),
    ("Schindler", "3300", "lift", 90, {"elevator": 3}),
    ("Otis", "Gen2 Life", "lift", 90, {"elevator": 4}),
    ("Siemens Healthineers", "SOMATOM go.Up", "ct_scanner", 180, {"medical": 4, "electrical": 2}),
    ("GE HealthCare", "Vivid E95", "ultrasound", 60, {"medical": 3}),
    ("Philips", "IntelliVue MX750", "patient_monitor", 45, {"medical": 2}),
    ("Viessmann", "Vitocrossal 300", "boiler", 90, {"gas": 3}),
    ("Buderus", "Logano plus KB372", "boiler", 90, {"gas": 3}),
    ("DMG MORI", "CMX 1100 V", "cnc", 150, {"mechanical": 4, "electrical": 2}),
    ("TRUMPF", "TruLaser 3030", "laser_cutter", 150, {"mechanical": 4}),
    ("RATIONAL", "iCombi Pro 10-1/1", "combi_oven", 60, {"mechanical": 2, "electrical": 1}),
    ("Winterhalter", "PT-M", "dishwasher", 45, {"mechanical": 2}),
    ("Kaeser", "SK 25", "compressor", 60, {"mechanical": 3}),
    ("Atlas Copco", "GA 30 VSD+", "compressor", 60, {"mechanical": 3}),
    ("Vertiv", "Liebert EXM", "ups", 60, {"electrical": 4}),
    ("Schneider Electric", "Galaxy VS", "ups", 60, {"electrical": 4}),
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
_SITE_KINDS = ("Hauptgebäude", "Werk", "Filiale", "Klinik", "Rechenzentrum", "Lager", "Hotel",
               "Bürohaus", "Produktion")


def seed_catalogue(session: Session, ctx: Any) -> dict[str, int]:
    skills = {code: Skill(code=code, name=name, description=desc) for code, name, desc in SKILLS}
    session.add_all(skills.values())
    models = []
    for manufacturer, model, category, minutes, reqs in EQUIPMENT_MODELS:
        em = EquipmentModel(manufacturer=manufacturer, model=model, category=category,
                            default_duration_min=minutes)
        em.skills = [EquipmentModelSkill(skill=skills[c], min_level=lvl) for c, lvl in reqs.items()]
        models.append(em)
    session.add_all(models)
    return {"skills": len(skills), "equipment_models": len(models)}


def seed_sites_and_assets(session: Session, ctx: Any) -> dict[str, int]:
    customers = list(session.scalars(select(Customer).order_by(Customer.id)))
    models = list(session.scalars(select(EquipmentModel).order_by(EquipmentModel.id)))
    sites = []
    for n in range(ctx.size.sites):
        customer = customers[n % len(customers)]
        street, district, lat, lng = ctx.place()
        always_open = ctx.rng.random() < 0.2
        hours = ({d: [["00:00", "23:59"]] for d in (*_WEEKDAYS, "sat", "sun")} if always_open
                 else {d: [["07:00", "18:00"]] for d in _WEEKDAYS})
        kind = ctx.rng.choice(_SITE_KINDS)
        sites.append(Site(
            customer_id=customer.id, name=f"{customer.name.split()[0]} {kind} {district}",
            address_line=street, postal_code=f"8{ctx.rng.randint(0, 5)}"
            f"{ctx.rng.randint(100, 999)}", city="München" if ctx.rng.random() < 0.7 else district,
            location=geo.to_point(lat, lng), opening_hours=hours,
            access_notes=ctx.rng.choice([None, "Anmeldung beim Empfang", "Schlüssel beim "
                                         "Hausmeister", "Zufahrt über Tor 3", "Parken im Hof"]),
        ))
    session.add_all(sites)
    session.flush()  # flush: assets need site ids
    today = date(2026, 11, 1)
    rows = []
    for n in range(ctx.size.assets):
        site = sites[n % len(sites)] if n < len(sites) else ctx.rng.choice(sites)
        installed = today - timedelta(days=ctx.rng.randint(60, 365 * 12))
        rows.append({
            "tag": f"FO-{n + 1:06d}", "site_id": site.id,
            "equipment_model_id": ctx.rng.choice(models).id,
            "serial_number": f"SN{ctx.rng.randint(10**7, 10**8 - 1)}",
            "status": ctx.rng.choices(["operational", "degraded", "down"], [90, 7, 3])[0],
            "criticality": ctx.rng.choice([2, 3, 3, 4, 5]),
            "install_date": installed,
            "warranty_end": installed + timedelta(days=365 * ctx.rng.choice([2, 3, 5])),
        })
    session.execute(insert(Asset), rows)
    ids = dict(session.execute(select(Asset.tag, Asset.id)).tuples().all())
    session.execute(insert(AssetStatusChange), [
        {"asset_id": ids[r["tag"]], "to_status": r["status"], "reason": "demo data"}
        for r in rows])
    return {"sites": len(sites), "assets": len(rows)}
