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
    return fields.Decimal(places=places, as_string=True, allow_nan=False, validate=within,
                          metadata=metadata, **kwargs)


def DecimalString(**kwargs: Any) -> fields.Decimal:
    """A Decimal answered as a string ("12.50"), documented as such (apispec says number)."""
    metadata = {**kwargs.pop("metadata", {}), "type": "string", "format": "decimal"}
    return fields.Decimal(as_string=True, metadata=metadata, **kwargs)
