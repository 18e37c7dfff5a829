"""Demo parts, warehouses, vans and stock (see app/demo.py).

Stock is put in place through ledger movements (receipts into the warehouses, transfers to
the vans), so `flask inventory verify` holds on the demo data.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import geo
from app.assets.models import EquipmentModel
from app.auth.models import Role, User
from app.inventory.models import (
    LocationKind,
    MovementKind,
    Part,
    PartEquipmentModel,
    StockLevel,
    StockLocation,
    StockMovement,
)

# (SKU prefix, name, unit, typical cost in EUR)
_PART_KINDS = (
    ("FLT", "Air filter G4", "pcs", 18), ("FLT", "Fine filter F7", "pcs", 42),
    ("BLT", "V-belt SPA", "pcs", 24), ("BRG", "Ball bearing 6205-2RS", "pcs", 9),
    ("CAP", "Run capacitor 35 µF", "pcs", 16), ("CON", "Contactor 3-pole 25 A", "pcs", 58),
    ("REL", "Control relay 24 V", "pcs", 14), ("FUS", "Fuse 10 A gG", "pcs", 3),
    ("SEN", "Temperature sensor PT1000", "pcs", 47), ("SEN", "Pressure transducer 0-30 bar",
                                                       "pcs", 189),
    ("VLV", "Solenoid valve 1/2\"", "pcs", 96), ("VLV", "Expansion valve TXV", "pcs", 142),
    ("FAN", "Condenser fan motor 230 V", "pcs", 265), ("PMP", "Condensate pump", "pcs", 88),
    ("REF", "Refrigerant R410A", "kg", 35), ("REF", "Refrigerant R32", "kg", 28),
    ("GSK", "Door gasket", "pcs", 39), ("PCB", "Controller board", "pcs", 420),
    ("DSP", "Display module", "pcs", 155), ("ROL", "Door roller set", "pcs", 64),
    ("ROP", "Suspension rope 8 mm", "m", 12), ("BTN", "Landing push button", "pcs", 31),
    ("LMT", "Limit switch", "pcs", 27), ("BAT", "Backup battery 12 V 7 Ah", "pcs", 34),
    ("HOS", "Hydraulic hose 1/2\"", "m", 19), ("OIL", "Hydraulic oil HLP 46", "l", 6),
    ("SEA", "Piston seal kit", "pcs", 73), ("LMP", "UV lamp", "pcs", 58),
    ("TUB", "Silicone tubing set", "pcs", 22), ("PRB", "SpO2 probe", "pcs", 118),
)
_WAREHOUSE_NAMES = ("Zentrallager München-Nord", "Lager Süd Unterhaching", "Lager West Pasing",
                    "Lager Ost Haar", "Lager Garching")


def seed_inventory(session: Session, ctx: Any) -> dict[str, int]:
    rng = ctx.rng
    staff = session.scalar(select(User.id).where(User.role == Role.warehouse).order_by(User.id))
    technicians = list(session.scalars(select(User.id).where(
        User.role == Role.technician, User.is_active.is_(True)).order_by(User.id)))
    model_ids = list(session.scalars(select(EquipmentModel.id).order_by(EquipmentModel.id)))

    n_parts = max(40, ctx.size.assets // 30)
    parts = []
    for n in range(1, n_parts + 1):
        prefix, name, unit, cost = _PART_KINDS[(n - 1) % len(_PART_KINDS)]
        variant = (n - 1) // len(_PART_KINDS)
        part = Part(
            sku=f"{prefix}-{1000 + n:05d}", name=name if variant == 0 else f"{name} v{variant}",
            unit=unit, unit_cost=(Decimal(cost) * Decimal(rng.uniform(0.8, 1.25))
                                  ).quantize(Decimal("0.01")),
            reorder_point=rng.choice((2, 5, 10, 20)), reorder_quantity=rng.choice((5, 10, 25)),
        )
        part.compatibility = [PartEquipmentModel(equipment_model_id=m)
                              for m in sorted(rng.sample(model_ids, min(len(model_ids),
                                                                        rng.randint(1, 3))))]
        parts.append(part)
    warehouses = []
    for n in range(max(1, ctx.size.warehouses)):
        street, district, lat, lng = ctx.place(300)
        warehouses.append(StockLocation(
            code=f"WH-{n + 1:02d}", kind=LocationKind.warehouse,
            name=_WAREHOUSE_NAMES[n % len(_WAREHOUSE_NAMES)],
            address_line=f"{street}, {district}", location=geo.to_point(lat, lng)))
    vans = [StockLocation(code=f"VAN-{n:03d}", kind=LocationKind.van, name=f"Van {n}",
                          owner_user_id=user_id)
            for n, user_id in enumerate(technicians, start=1)]
    session.add_all([*parts, *warehouses, *vans])
    session.flush()  # flush: movements and levels refer to the new ids

    on_hand: dict[tuple[int, int], int] = defaultdict(int)
    movements = []
    for warehouse in warehouses:
        for part in parts:
            # Most parts comfortably stocked; about one in eight near or below reorder point.
            low = rng.random() < 0.125
            qty = rng.randint(0, part.reorder_point) if low else rng.randint(
                part.reorder_point + 5, part.reorder_point + 60)
            if qty:
                on_hand[(part.id, warehouse.id)] += qty
                movements.append(StockMovement(
                    kind=MovementKind.receipt, part_id=part.id, quantity=qty,
                    to_location_id=warehouse.id, unit_cost=part.unit_cost, actor_id=staff,
                    note="Opening stock"))
    for n, van in enumerate(vans):
        source = warehouses[n % len(warehouses)]
        for part in rng.sample(parts, min(12, len(parts))):
            qty = min(rng.randint(1, 4), on_hand[(part.id, source.id)])
            if qty:
                on_hand[(part.id, source.id)] -= qty
                on_hand[(part.id, van.id)] += qty
                movements.append(StockMovement(
                    kind=MovementKind.transfer, part_id=part.id, quantity=qty,
                    from_location_id=source.id, to_location_id=van.id,
                    unit_cost=part.unit_cost, actor_id=staff, note="Van stock"))
    levels = [StockLevel(part_id=p, location_id=loc, on_hand=qty, reserved=0)
              for (p, loc), qty in sorted(on_hand.items())]
    session.add_all(movements + levels)
    return {"parts": len(parts), "stock_locations": len(warehouses) + len(vans),
            "stock_movements": len(movements), "stock_levels": len(levels)}
