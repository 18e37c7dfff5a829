"""URL converters shared by every blueprint."""

from werkzeug.routing import IntegerConverter

# Primary keys are 32-bit `integer` columns on PostgreSQL; larger path ids cannot exist.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive database id; anything else is a 404, never a driver error."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def id_schema(_converter: IdConverter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}

