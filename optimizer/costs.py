"""Currency -> integer cost units used inside the solver (1 unit = 1/10 000 of a currency unit,
so that per-second lateness costs of a few currency units per hour stay non-zero integers)."""

from __future__ import annotations

SCALE = 10_000


def per_second(per_hour_amount: float) -> int:
    """Integer cost units per second for an amount per hour (at least 1 if positive)."""
    if per_hour_amount <= 0:
        return 0
    return max(1, round(per_hour_amount * SCALE / 3600.0))


def per_hour(per_hour_amount: float) -> int:
    return per_second(per_hour_amount)


def to_currency(units: float) -> float:
    return units / SCALE
