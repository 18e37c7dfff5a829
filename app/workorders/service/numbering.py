"""Work-order numbers `WO-YYYY-NNNNNN`: unique under concurrent creation, gaps tolerated."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import table_of
from app.workorders.models import WorkOrderNumberCounter

_counters = table_of(WorkOrderNumberCounter)


def next_work_order_number(session: Session, *, year: int) -> str:
    """Take the next number of `year` with one atomic UPDATE ... RETURNING.

    The UPDATE holds the counter row's lock until commit, so two creations cannot read the
    same value on PostgreSQL; SQLite serialises writers anyway (BEGIN IMMEDIATE).
    """
    bump = (update(_counters).where(_counters.c.year == year)
            .values(last_value=_counters.c.last_value + 1)
            .returning(_counters.c.last_value))
    value = session.execute(bump).scalar_one_or_none()
    if value is None:  # first number of the year: create the row, racing creators included
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(_counters).values(year=year, last_value=0)
                        .on_conflict_do_nothing(index_elements=["year"]))
        value = session.execute(bump).scalar_one()
    return f"WO-{year}-{value:06d}"
