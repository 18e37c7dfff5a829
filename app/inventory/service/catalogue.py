"""The parts catalogue: SKU, cost, reorder policy, compatible equipment models."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.assets.models import EquipmentModel
from app.auth.models import User
from app.db import matches_text
from app.errors import Conflict, NotFound, Unprocessable
from app.inventory.models import Part, PartEquipmentModel


def list_parts(session: Session, *, q: str | None = None, equipment_model_id: int | None = None,
               is_active: bool | None = None, actor: User | None) -> Select[tuple[Part]]:
    """Parts by SKU, filterable by text, compatible equipment model and active flag."""
    stmt = select(Part).options(selectinload(Part.compatibility)).order_by(Part.sku, Part.id)
    if q:
        stmt = stmt.where(or_(matches_text(Part.sku, q), matches_text(Part.name, q)))
    if equipment_model_id is not None:
        stmt = stmt.where(Part.id.in_(
            select(PartEquipmentModel.part_id)
            .where(PartEquipmentModel.equipment_model_id == equipment_model_id)))
    if is_active is not None:
        stmt = stmt.where(Part.is_active == is_active)
    return stmt


def get_part(session: Session, part_id: int, *, actor: User | None = None) -> Part:
    part = session.get(Part, part_id, options=[selectinload(Part.compatibility)])
    if part is None:
        raise NotFound("Part not found.")
    return part


def _links(session: Session, ids: Iterable[int]) -> list[PartEquipmentModel]:
    wanted = sorted(set(ids))
    found = set(session.scalars(select(EquipmentModel.id).where(EquipmentModel.id.in_(wanted))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Unprocessable("Unknown equipment models.",
                            errors={"equipment_model_ids": [f"No equipment model {i}."
                                                            for i in missing]})
    return [PartEquipmentModel(equipment_model_id=i) for i in wanted]


def _check_sku_free(session: Session, sku: str, part_id: int | None = None) -> None:
    stmt = select(Part.id).where(func.lower(Part.sku) == sku.lower())
    if part_id is not None:
        stmt = stmt.where(Part.id != part_id)
    if session.scalar(stmt) is not None:
        raise Conflict("A part with this SKU already exists.", error="duplicate_sku",
                       errors={"sku": ["Already taken."]})


def create_part(session: Session, *, sku: str, name: str, unit: str = "pcs",
                unit_cost: Decimal = Decimal("0.00"), reorder_point: int = 0,
                reorder_quantity: int = 0, description: str | None = None,
                equipment_model_ids: Iterable[int] = (), is_active: bool = True,
                actor: User | None) -> Part:
    """A new catalogue part; SKUs are unique regardless of case."""
    sku = sku.strip()
    _check_sku_free(session, sku)
    part = Part(sku=sku, name=name.strip(), unit=unit, unit_cost=unit_cost,
                reorder_point=reorder_point, reorder_quantity=reorder_quantity,
                description=description, is_active=is_active)
    part.compatibility = _links(session, equipment_model_ids)
    session.add(part)
    session.flush()  # flush: the response needs the new id
    return part


def update_part(session: Session, part: Part, changes: dict[str, Any], *,
                actor: User | None) -> Part:
    """Change catalogue fields; `equipment_model_ids` replaces the compatibility list."""
    changes = dict(changes)
    if "sku" in changes:
        changes["sku"] = changes["sku"].strip()
        _check_sku_free(session, changes["sku"], part.id)
    if "equipment_model_ids" in changes:
        links = _links(session, changes.pop("equipment_model_ids"))
        part.compatibility = [
            next((old for old in part.compatibility
                  if old.equipment_model_id == new.equipment_model_id), new)
            for new in links
        ]
    for key, value in changes.items():
        setattr(part, key, value)
    session.flush()  # flush: updated_at and the links in the response
    return part
