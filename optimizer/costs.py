"""Currency -> integer cost units used inside the solver (1 unit = 1/10 000 of a currency unit,
so that per-second lateness costs of a few currency units per hour stay non-zero integers)."""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.model import Job, Weights

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


# A must-serve job's drop penalty: this many times the largest drop penalty of the problem, so
# that leaving it out costs more than any plan's travel, time and other drops together.
MUST_SERVE_FACTOR = 1000
MUST_SERVE_CAP = 10**14  # keeps the sum of penalties of thousands of jobs inside int64


def job_value(weights: Weights, job: Job) -> float:
    """The currency value of serving ``job``: its ``value`` or the priority's drop penalty."""
    if job.value is not None:
        return float(job.value)
    return float(weights.drop_penalty.get(job.priority, 1.0))


def top_value(weights: Weights, jobs: Sequence[Job]) -> float:
    return max((job_value(weights, j) for j in jobs), default=1.0)


def drop_units(weights: Weights, job: Job, top: float) -> int:
    """Integer drop penalty of ``job`` in the solver; ``top`` = :func:`top_value` of the
    problem's jobs (a must-serve job costs ``MUST_SERVE_FACTOR`` times that)."""
    if job.must_serve:
        return min(MUST_SERVE_CAP, max(1, round(max(top, 1.0) * SCALE)) * MUST_SERVE_FACTOR)
    return max(1, round(job_value(weights, job) * SCALE))
