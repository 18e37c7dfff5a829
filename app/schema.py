"""The base of every schema: marshmallow's, writing objects out along a plan made once.

marshmallow reads each value of each row through five Python calls (the field's `serialize`
and `get_value`, the schema's `get_attribute`, `utils.get_value`, `_get_value_for_key`) and
splits dotted attributes ("work_order.site") again for every row. A page of the dispatcher's
queue writes about 2,500 values, a technician's day about 1,500: those layers were a third of
the request's CPU time. `Schema` makes, once per schema instance, a plan of (key, reader,
field) with the attribute path split in advance and the field's own `_serialize` to call, and
writes each row along it. What comes out is what marshmallow writes (the same lookup rules:
item first, then attribute; a missing value falls back to `dump_default` or is left out);
fields or schemas that change how values are read keep marshmallow's own path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import marshmallow
from marshmallow import fields
from marshmallow.utils import missing

_MISSING = missing

Reader = Callable[[Any], Any]
Step = tuple[str, str, int, Any, fields.Field, type | None, Callable[[Any], Any] | None]
MARSHMALLOW, NO_ATTRIBUTE, KEY, PATH, LOADED = range(5)  # how a plan step reads its value

_indexable: dict[type, bool] = {}  # type -> has __getitem__ (read obj[key] before obj.key)
_UNLOADED = object()
# mapped class -> the attribute keys SQLAlchemy keeps in an instance's __dict__ once loaded
_mapped: dict[type, frozenset[str]] = {}


def _mapped_keys(kind: type) -> frozenset[str]:
    """Column and relationship keys of a SQLAlchemy-mapped class (empty for other types).
    Reading a loaded one from the instance's __dict__ gives what the attribute gives (its
    descriptor returns that entry when present) without a Python call; an unloaded or expired
    one is absent and read as an attribute, which loads it."""
    known = _mapped.get(kind)
    if known is None:
        from sqlalchemy import inspect

        mapper: Any = inspect(kind, raiseerr=False)
        known = (frozenset(mapper.column_attrs.keys()) | frozenset(mapper.relationships.keys())
                 if mapper is not None and hasattr(mapper, "column_attrs") else frozenset())
        _mapped[kind] = known
    return known


def _is_indexable(obj: Any) -> bool:
    kind = type(obj)
    known = _indexable.get(kind)
    if known is None:
        known = _indexable[kind] = hasattr(obj, "__getitem__")
    return known


def _read_key(obj: Any, key: str) -> Any:
    """marshmallow's `_get_value_for_key`: obj[key], else the attribute, else missing."""
    if not _is_indexable(obj):
        return getattr(obj, key, _MISSING)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, _MISSING)


def _path_reader(keys: list[str]) -> Reader:
    """Reads "a.b.c" as marshmallow does (`_read_key` at each step), with no Python call per
    step for the common cases: a mapped object's loaded attribute (from its __dict__), or
    an object without item access (getattr). A day of 24 jobs reads ~1,500 such steps."""
    def read(obj: Any) -> Any:
        for key in keys:
            kind = type(obj)
            mapped = _mapped.get(kind)
            if mapped is None:
                mapped = _mapped_keys(kind)
            if key in mapped:
                value = obj.__dict__.get(key, _UNLOADED)
                obj = getattr(obj, key, _MISSING) if value is _UNLOADED else value
                continue
            indexable = _indexable.get(kind)
            if indexable is None:
                indexable = _is_indexable(obj)
            obj = _read_key(obj, key) if indexable else getattr(obj, key, _MISSING)
        return obj

    return read


def _plain(field: fields.Field) -> tuple[type | None, Callable[[Any], Any] | None]:
    """The one Python type whose values the plan writes without the field's `_serialize`,
    and how (None: unchanged): a str to a String, an int to an Integer, a float to a Float,
    a bool to a Boolean, a datetime to an ISO DateTime as its `isoformat()` (what
    marshmallow's `utils.isoformat` returns, in one C call instead of three Python ones).
    (None, None): always call `_serialize`."""
    if type(field) is fields.String:
        return str, None
    if type(field) is fields.Integer and not field.as_string:
        return int, None
    if type(field) is fields.Float and not field.as_string:
        return float, None  # float(value) of a float is the value
    if isinstance(field, fields.Boolean) and type(field)._serialize is fields.Boolean._serialize:
        return bool, None  # a bool comes out as itself, whatever the truthy and falsy sets
    if (isinstance(field, fields.DateTime)
            and type(field)._serialize is fields.DateTime._serialize
            and (field.format or field.DEFAULT_FORMAT) == "iso"
            and field.SERIALIZATION_FUNCS.get("iso") is marshmallow.utils.isoformat):
        return datetime, datetime.isoformat
    return None, None


class Schema(marshmallow.Schema):
    """marshmallow.Schema with a precomputed dump plan (see the module's docstring)."""

    _dump_plan: list[Step] | None = None
    _typed_plans: dict[type, list[Step]] | None = None

    def _plan(self) -> list[Step]:
        own_reading = type(self).get_attribute is not marshmallow.Schema.get_attribute
        plan: list[Step] = []
        for attr_name, field in self.dump_fields.items():
            key = field.data_key if field.data_key is not None else attr_name
            path = attr_name if field.attribute is None else field.attribute
            how: int
            source: Any = None
            if (type(field).serialize is not fields.Field.serialize
                    or type(field).get_value is not fields.Field.get_value or own_reading):
                how = MARSHMALLOW  # value by value, as marshmallow does
            elif not field._CHECK_ATTRIBUTE:
                how = NO_ATTRIBUTE  # Method, Function: computed from the object
            elif "." in path:
                how, source = PATH, _path_reader(path.split("."))
            else:
                how, source = KEY, path
            plan.append((attr_name, key, how, source, field, *_plain(field)))
        self._dump_plan = plan
        return plan

    def _plan_for(self, kind: type) -> list[Step]:
        """The plan for objects of `kind`: attributes a mapped class keeps in __dict__ read
        from there (LOADED)."""
        plans = self._typed_plans
        if plans is None:
            plans = self._typed_plans = {}
        plan = plans.get(kind)
        if plan is None:
            mapped = _mapped_keys(kind)
            base = self._dump_plan or self._plan()
            plan = plans[kind] = [
                (attr, key, LOADED if how == KEY and source in mapped else how, source, field,
                 plain, write)
                for attr, key, how, source, field, plain, write in base] if mapped else base
        return plan

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        plans = self._typed_plans
        plan = plans.get(type(obj)) if plans is not None else None
        if plan is None:
            plan = self._plan_for(type(obj))
        indexable = _is_indexable(obj)
        ret = self.dict_class()
        loaded = obj.__dict__ if plan is not self._dump_plan else None  # a mapped object
        for attr_name, key, how, source, field, plain, write in plan:
            if how == LOADED:
                value = loaded.get(source, _UNLOADED)  # type: ignore[union-attr]
                if value is _UNLOADED:
                    value = getattr(obj, source, _MISSING)
            elif how == KEY:
                value = _read_key(obj, source) if indexable else getattr(obj, source, _MISSING)
            elif how == PATH:
                value = source(obj)
            elif how == NO_ATTRIBUTE:
                value = None
            else:
                value = field.serialize(attr_name, obj, accessor=self.get_attribute)
                if value is not _MISSING:
                    ret[key] = value
                continue
            if value is _MISSING:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is _MISSING:
                    continue
            if plain is None or type(value) is not plain:
                value = field._serialize(value, attr_name, obj)
                if value is _MISSING:
                    continue
            elif write is not None:
                value = write(value)
            ret[key] = value
        return ret
