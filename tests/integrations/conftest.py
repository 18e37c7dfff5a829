"""Integrations reuse the work-order factories."""

from tests.workorders.conftest import make_work_order  # noqa: F401
