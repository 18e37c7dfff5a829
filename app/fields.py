"""Marshmallow fields shared by every package's schemas."""

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from app.routing import MAX_ID


def IdField(**kwargs: Any) -> fields.Integer:
    """A reference to a row by id in a body or query: 1..MAX_ID, else a 422."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


def BoundedDecimal(low: int, high: int, *, places: int = 2,
                   **kwargs: Any) -> fields.Decimal:
    """A Decimal sent as a string ("12.50") within [low, high].

    The range is checked by a plain validator: apispec would otherwise write Decimal bounds
    into the OpenAPI document in a form JSON Schema validators reject."""

    def within(value: Decimal) -> None:
        if not (low <= value <= high) or not value.is_finite():
            raise ValidationError(f"Must be between {low} and {high}.")

    metadata = {**kwargs.pop("metadata", {}), "type": "string", "format": "decimal",
                "description": kwargs.pop("description",
                                          f"Decimal string between {low} and {high}.")}
    if pattern := _decimal_pattern(low, high, places):
        metadata["pattern"] = pattern
    return fields.Decimal(places=places, as_string=True, allow_nan=False, validate=within,
                          metadata=metadata, **kwargs)


def _decimal_pattern(low: int, high: int, places: int) -> str | None:
    """The regular expression of decimal strings in [0, high] with at most `places` decimals,
    for the published schema, where a pattern states the range exactly (high = 10^k or
    10^k - 1)."""
    digits = len(str(high))
    fraction, zeros = rf"(\.\d{{1,{places}}})?", rf"(\.0{{1,{places}}})?"
    if low != 0:
        return None
    if high == 10 ** digits - 1:
        return rf"^(\d{{1,{digits - 1}}}{fraction}|\d{{{digits}}}{zeros})$"
    if high == 10 ** (digits - 1):
        return rf"^(\d{{1,{digits - 1}}}{fraction}|{high}{zeros})$"
    return None


def DecimalString(**kwargs: Any) -> fields.Decimal:
    """A Decimal answered as a string ("12.50"), documented as such (apispec says number)."""
    metadata = {**kwargs.pop("metadata", {}), "type": "string", "format": "decimal"}
    return fields.Decimal(as_string=True, metadata=metadata, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: `true` or `false` only. marshmallow's Boolean also takes 1, 0, "yes",
    "on" ..., which the published schema (`type: boolean`) does not allow."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        raise self.make_error("invalid", input=value)


class QueryBoolean(fields.Boolean):
    """A boolean query argument: the strings `true` or `false` only (as OpenAPI clients send)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value in ("true", "false"):
            return value == "true"
        raise self.make_error("invalid", input=value)


# Areas of the canonical IANA zone names; the legacy aliases (GMT0, US/Eastern, Etc/GMT+1 ...)
# are left out, so the published enum is one name per zone and clients can generate it.
_ZONE_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
               "Australia/", "Europe/", "Indian/", "Pacific/")


def iana_time_zones() -> list[str]:
    """Canonical IANA zone names ("Europe/Berlin") the server's tz database knows, and UTC."""
    from zoneinfo import available_timezones

    return [*sorted(z for z in available_timezones() if z.startswith(_ZONE_AREAS)), "UTC"]


def TimeZoneField(**kwargs: Any) -> fields.String:
    """An IANA time zone name ("Europe/Berlin"), one of the published enum."""
    return fields.String(validate=validate.OneOf(iana_time_zones()), **kwargs)


# The documented shape of a computed {"lat", "lng"} value (fields.Function/Method carry no type).
LATLNG_DOC: dict[str, Any] = {
    "type": "object", "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}}}


def ToolCodes(**kwargs: Any) -> fields.List:
    """Reusable tool codes (e.g. "ladder-3m"): up to 50, each 1..40 characters; stored trimmed,
    sorted and without repeats (``tool_codes``)."""
    return fields.List(fields.String(validate=validate.Length(1, 40)),
                       validate=validate.Length(max=50), **kwargs)


def tool_codes(codes: list[str]) -> list[str]:
    return sorted({c.strip() for c in codes if c.strip()})


class Computed(fields.Function):
    """A value computed from the object alone (`Computed(lambda wo: ...)`), written out only.

    marshmallow's Function field inspects its function's signature on every value it writes
    (to offer a context argument); that costs more than the lambdas here and is paid once per
    row and field: about 2 ms of a technician's day or a page of the queue."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        compute = self.serialize_func
        assert compute is not None  # always given: the field is written out only
        return compute(obj)
