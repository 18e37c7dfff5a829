"""app.schema.Schema writes exactly what marshmallow writes, along its precomputed plan.

Each case dumps the same objects twice, through the plan and through marshmallow's own
`Schema._serialize`, and compares: dotted attributes through objects, dicts and None, missing
values with and without `dump_default`, `data_key`, computed fields, nested lists, and a schema
that reads values its own way (the API tests check the answers the app's own schemas write)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import marshmallow
import pytest
from marshmallow import fields
from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.fields import Computed, StrictBoolean
from app.schema import Schema


class Colour(enum.Enum):
    red = "red"


@dataclass
class Inner:
    code: str
    level: int | None


@dataclass
class Outer:
    id: int
    name: Any
    when: datetime | None
    day: date
    inner: Inner | None
    inners: list[Inner]
    ratio: Any
    flag: Any
    amount: Decimal


class InnerOut(Schema):
    code = fields.String()
    level = fields.Integer(allow_none=True)


class OuterOut(Schema):
    id = fields.Integer()
    id_text = fields.Integer(attribute="id", as_string=True, dump_only=True)
    name = fields.String(allow_none=True)
    when = fields.DateTime(allow_none=True)
    day = fields.Date()
    inner_code = fields.String(attribute="inner.code")
    inner_level = fields.Integer(attribute="inner.level", dump_default=-1)
    inner = fields.Nested(InnerOut, allow_none=True)
    inners = fields.List(fields.Nested(InnerOut))
    codes = fields.Pluck(InnerOut, "code", attribute="inners", many=True, dump_only=True)
    ratio = fields.Float(allow_none=True)
    flag = StrictBoolean(allow_none=True)
    amount = fields.Decimal(as_string=True)
    label = Computed(lambda o: f"#{o.id}")
    renamed = fields.String(attribute="name", data_key="displayName", allow_none=True,
                            dump_only=True)
    absent = fields.String()
    absent_default = fields.String(dump_default=lambda: "fallback")
    shout = fields.Method("_shout")

    def _shout(self, obj: Any) -> str:
        return str(obj.name).upper()


class DictReader(Schema):
    """Reads values its own way: the plan must leave it to marshmallow."""

    id = fields.Integer()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        return 1000 + obj["id"]


def _marshmallow(schema: marshmallow.Schema, obj: Any) -> Any:
    """marshmallow's own path for the top level and, through Nested, for every level."""
    saved = {}
    for cls in (OuterOut, InnerOut, DictReader):
        saved[cls] = cls.__dict__.get("_serialize")
    for cls in saved:
        cls._serialize = marshmallow.Schema._serialize  # type: ignore[method-assign]
    try:
        return schema.dump(obj)
    finally:
        for cls in saved:
            del cls._serialize


OBJECTS = [
    Outer(1, "Pump", datetime(2026, 5, 1, 8, 30, tzinfo=UTC), date(2026, 5, 1),
          Inner("HVAC", 3), [Inner("A", 1), Inner("B", None)], 1.5, True, Decimal("12.50")),
    Outer(2, Colour.red, None, date(2026, 5, 2), None, [], 2, 1, Decimal("0")),
    Outer(3, None, None, date(2026, 5, 3), Inner("X", None), [Inner("C", 2)], None, None,
          Decimal("1.10")),
]


@pytest.mark.parametrize("index", range(len(OBJECTS)))
def test_objects_write_as_marshmallow_writes_them(index: int) -> None:
    obj = OBJECTS[index]
    assert OuterOut().dump(obj) == _marshmallow(OuterOut(), obj)


def test_many_and_dicts_write_as_marshmallow_writes_them() -> None:
    assert OuterOut(many=True).dump(OBJECTS) == _marshmallow(OuterOut(many=True), OBJECTS)
    rows = [{"code": "A", "level": 2}, {"code": "B"}, {"level": None, "code": 7}]
    assert InnerOut(many=True).dump(rows) == _marshmallow(InnerOut(many=True), rows)
    # A key missing from a dict is left out; a None in the middle of a path too.
    assert InnerOut().dump({"code": "B"}) == {"code": "B"}
    assert OuterOut(only=("inner_code", "inner_level")).dump(OBJECTS[1]) == {"inner_level": -1}


def test_a_schema_reading_its_own_way_keeps_it() -> None:
    assert DictReader().dump({"id": 5}) == {"id": 1005} == _marshmallow(DictReader(), {"id": 5})


def _ours_and_marshmallows(schema: type[Schema], rows: list[Any]) -> tuple[Any, Any]:
    """`rows` written by the plan, then by marshmallow's own `_serialize` (a flat schema)."""
    ours = schema(many=True).dump(rows)
    schema._serialize = marshmallow.Schema._serialize  # type: ignore[method-assign]
    try:
        return ours, schema(many=True).dump(rows)
    finally:
        del schema._serialize


class Shout(fields.DateTime):
    """A DateTime writing its own way: the plan must call its `_serialize`."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.isoformat().upper() + "!"


class Moment(datetime):
    """A datetime subclass: written through the field, as marshmallow does."""

    def isoformat(self, *args: Any, **kwargs: Any) -> str:
        return "moment " + super().isoformat(*args, **kwargs)


class TimesOut(Schema):
    iso = fields.DateTime(allow_none=True)
    aware = fields.AwareDateTime(attribute="iso", allow_none=True, dump_only=True)
    rfc = fields.DateTime(attribute="iso", format="rfc", allow_none=True, dump_only=True)
    year = fields.DateTime(attribute="iso", format="%Y", allow_none=True, dump_only=True)
    stamp = fields.DateTime(attribute="iso", format="timestamp", allow_none=True,
                            dump_only=True)
    shout = Shout(attribute="iso", allow_none=True, dump_only=True)


TIMES = [{"iso": datetime(2026, 12, 1, 2, 30, 5, 123456, tzinfo=UTC)},
         {"iso": datetime(2026, 12, 1, 2, 30)},  # naive
         {"iso": Moment(2026, 12, 1, 2, 30, tzinfo=UTC)},
         {"iso": None}]


def test_datetimes_write_as_marshmallow_writes_them() -> None:
    """ISO datetimes are written by the plan as `isoformat()` (one call); every other
    format, a field that writes its own way, a datetime subclass and None keep the field's
    `_serialize`: the same text as marshmallow's."""
    ours, theirs = _ours_and_marshmallows(TimesOut, TIMES)
    assert ours == theirs
    assert ours[0]["iso"] == "2026-12-01T02:30:05.123456+00:00"
    assert ours[2]["iso"] == "moment 2026-12-01T02:30:00+00:00"
    assert ours[0]["shout"] == "2026-12-01T02:30:05.123456+00:00!"


class ScalarsOut(Schema):
    ratio = fields.Float(allow_none=True)
    ratio_text = fields.Float(attribute="ratio", as_string=True, allow_none=True,
                              dump_only=True)
    flag = fields.Boolean(allow_none=True)
    said = fields.Boolean(attribute="flag", truthy={"yes"}, falsy={"no"}, allow_none=True,
                          dump_only=True)
    strict = StrictBoolean(attribute="flag", allow_none=True, dump_only=True)


SCALARS = [{"ratio": 0.1, "flag": True}, {"ratio": 3, "flag": False},
           {"ratio": Decimal("2.50"), "flag": "yes"}, {"ratio": None, "flag": 0},
           {"ratio": float("inf"), "flag": None}]


def test_floats_and_booleans_write_as_marshmallow_writes_them() -> None:
    """A float to a Float and a bool to a Boolean are written as they are by the plan;
    other values (an int, a Decimal, "yes", 0) go through the field: marshmallow's output
    either way, custom truthy and falsy sets included."""
    ours, theirs = _ours_and_marshmallows(ScalarsOut, SCALARS)
    assert ours == theirs
    assert [type(row["ratio"]) for row in ours[:3]] == [float, float, float]
    assert [row["said"] for row in ours] == [True, False, True, False, None]


def test_only_and_exclude_shape_the_plan() -> None:
    assert OuterOut(only=("id", "label")).dump(OBJECTS[0]) == {"id": 1, "label": "#1"}
    assert "shout" not in OuterOut(exclude=("shout",)).dump(OBJECTS[0])



class _Mapped(DeclarativeBase):
    """A registry of its own for the two mapped classes below (not the app's metadata)."""


class _Part(_Mapped):
    __tablename__ = "schema_dump_parts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None]
    level: Mapped[int | None]
    box_id: Mapped[int | None] = mapped_column(ForeignKey("schema_dump_boxes.id"))
    box: Mapped[_Box | None] = relationship(back_populates="parts")

    @property
    def label(self) -> str:
        return f"#{self.id}"


class _Box(_Mapped):
    __tablename__ = "schema_dump_boxes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None]
    parts: Mapped[list[_Part]] = relationship(back_populates="box")


class PartOut(Schema):
    id = fields.Integer()
    code = fields.String(allow_none=True)
    level = fields.Integer(dump_default=-1)
    label = fields.String()
    box_name = fields.String(attribute="box.name")  # a path through mapped objects


class BoxOut(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    parts = fields.List(fields.Nested(PartOut))


def test_mapped_objects_write_as_marshmallow_writes_them_loaded_or_not() -> None:
    """A SQLAlchemy-mapped object's loaded attributes are read from its __dict__; what is not
    loaded (never set on a new object, a relationship not loaded) is read as an attribute,
    as marshmallow reads it."""
    boxes = [_Box(id=1, name="Van", parts=[_Part(id=7, code="A", level=2), _Part(id=8)]),
             _Box(id=2)]  # no name and no parts set: not in its __dict__
    assert "name" not in boxes[1].__dict__ and "parts" not in boxes[1].__dict__
    assert BoxOut(many=True).dump(boxes) == _marshmallow(BoxOut(many=True), boxes)
    assert BoxOut().dump(boxes[0])["parts"][1] == {"id": 8, "code": None, "level": None,
                                                   "label": "#8", "box_name": "Van"}
    loose = _Part(id=9)  # no box: the path ends at None, the value is left out
    assert PartOut().dump(loose) == _marshmallow(PartOut(), loose)
    assert "box_name" not in PartOut().dump(loose)
