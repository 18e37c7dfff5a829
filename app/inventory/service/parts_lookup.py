"""Resolving the parts a request names, with one friendly error for all unknown ones."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, Unprocessable
from app.inventory.models import Part


def merge_lines(lines: Iterable[tuple[int, int]], field: str = "lines") -> dict[int, int]:
    """(part_id, quantity) lines summed per part, in first-seen order; quantities > 0."""
    merged: dict[int, int] = {}
    for part_id, quantity in lines:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise Unprocessable("Quantities must be positive whole numbers.",
                                errors={field: [f"Part {part_id}: quantity {quantity!r}."]})
        merged[part_id] = merged.get(part_id, 0) + quantity
    if not merged:
        raise Unprocessable("Name at least one part.", errors={field: ["No lines."]})
    return merged


def parts_by_id(session: Session, part_ids: Iterable[int], *, field: str = "part_id",
                must_be_active: bool = False) -> dict[int, Part]:
    wanted = sorted(set(part_ids))
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(wanted)))}
    missing = [i for i in wanted if i not in parts]
    if missing:
        raise Unprocessable("Unknown parts.",
                            errors={field: [f"No part {i}." for i in missing]})
    if must_be_active:
        inactive = [parts[i].sku for i in wanted if not parts[i].is_active]
        if inactive:
            raise Conflict(f"Inactive parts: {', '.join(inactive)}.", error="part_inactive",
                           errors={field: [f"{sku} is inactive." for sku in inactive]})
    return parts
