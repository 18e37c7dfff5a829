"""Portable SQL pieces for the KPIs: time differences in minutes on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class minutes_between(FunctionElement[float]):
    """`minutes_between(later, earlier)`: (later - earlier) in minutes, as a float.

    SQLite keeps UTC timestamps as text (julianday understands them); PostgreSQL subtracts
    timestamptz values and takes the epoch of the interval.
    """

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (f"((julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)})) * 1440.0)")


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element: minutes_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)}) - "
            f"({compiler.process(earlier, **kw)})) / 60.0)")
