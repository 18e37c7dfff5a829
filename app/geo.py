"""Points on the wire and in the database; distance and radius search on both spatial databases.

Storage is `geometry(POINT, 4326)` on both dialects. Each function hides one dialect difference:

- PostGIS: distances on the spheroid via `geography`; radius search with `ST_DWithin` on a GiST
  expression index over `geography(column)` (see `point_indexes`).
- SpatiaLite: ellipsoidal `ST_Distance(a, b, 1)`; radius search pre-filtered through the R*Tree
  (`SpatialIndex` virtual table) with the bounding box of the circle, then exact distance.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from geoalchemy2 import Geometry, WKBElement, WKTElement
from marshmallow import fields, validate
from sqlalchemy import (
    Float,
    Index,
    Integer,
    String,
    Table,
    case,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from app.schema import Schema

SRID = 4326
EARTH_RADIUS_M = 6_371_008.8
# Shortest length of one degree of latitude (at the equator): bounding boxes err on the big side.
_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LNG_EQUATOR = 111_320.0


def point_type(*, nullable: bool = False) -> Geometry:
    """The column type of every location in FieldOps."""
    return Geometry(geometry_type="POINT", srid=SRID, spatial_index=True, nullable=nullable)


def polygon_type() -> Geometry:
    """Areas (territories)."""
    return Geometry(geometry_type="POLYGON", srid=SRID, spatial_index=True)


def point_indexes(table_name: str, column: str) -> list[Index]:
    """Extra indexes per dialect; the GiST/R*Tree on the geometry itself comes with the type."""
    return [
        Index(
            f"ix_{table_name}_{column}_geog",
            func.geography(literal_column(column)),
            postgresql_using="gist",
        ).ddl_if(dialect="postgresql")
    ]


class LatLng(Schema):
    """A coordinate on the wire: {"lat": 48.137, "lng": 11.575}, WGS84 degrees."""

    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))


class PointField(fields.Nested):
    """A stored point on the wire as {"lat", "lng"} (loads the same shape)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(LatLng, **kwargs)

    # marshmallow names this parameter differently in Field and Nested; we follow Nested.
    def _serialize(self, nested_obj: Any, attr: Any, obj: Any,  # type: ignore[override]
                   **kwargs: Any) -> Any:
        if nested_obj is not None and not isinstance(nested_obj, dict):
            nested_obj = to_latlng(nested_obj)
        return super()._serialize(nested_obj, attr, obj, **kwargs)


def to_point(lat: float, lng: float) -> WKTElement:
    """Database value for a coordinate (x = longitude, y = latitude)."""
    return WKTElement(f"POINT({lng!r} {lat!r})", srid=SRID)


def to_latlng(value: Any) -> dict[str, float] | None:
    """{"lat", "lng"} from a stored point (WKB/EWKB as returned by either dialect)."""
    if value is None:
        return None
    if isinstance(value, WKTElement):
        lng, lat = value.data.split("(", 1)[1].rstrip(")").split()
        return {"lat": float(lat), "lng": float(lng)}
    raw = value.data if isinstance(value, WKBElement) else value
    data = bytes.fromhex(raw) if isinstance(raw, str) else bytes(raw)
    order = "<" if data[0] == 1 else ">"
    (geom_type,) = struct.unpack(order + "I", data[1:5])
    offset = 9 if geom_type & 0x20000000 else 5  # EWKB carries a 4-byte SRID
    lng, lat = struct.unpack(order + "dd", data[offset : offset + 16])
    return {"lat": lat, "lng": lng}


def latitude_longitude(column: Any) -> tuple[ColumnElement[float], ColumnElement[float]]:
    """The stored point's latitude and longitude as plain floats, read by the database
    (ST_Y / ST_X on both dialects): the same doubles `to_latlng` decodes from the point's
    WKB, without building and parsing a geometry value per row."""
    return func.ST_Y(column, type_=Float), func.ST_X(column, type_=Float)


def to_polygon(vertices: list[dict[str, float]]) -> WKTElement:
    """Database value for an area given as [{"lat", "lng"}, ...] (closed automatically)."""
    ring = [(v["lng"], v["lat"]) for v in vertices]
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    coords = ", ".join(f"{x!r} {y!r}" for x, y in ring)
    return WKTElement(f"POLYGON(({coords}))", srid=SRID)


def polygon_vertices(value: Any) -> list[dict[str, float]] | None:
    """[{"lat", "lng"}, ...] of a stored polygon's outer ring (without the closing vertex)."""
    if value is None:
        return None
    if isinstance(value, WKTElement):
        body = value.data.split("((", 1)[1].split(")", 1)[0]
        pairs = [tuple(map(float, p.split())) for p in body.split(",")]
    else:
        raw = value.data if isinstance(value, WKBElement) else value
        data = bytes.fromhex(raw) if isinstance(raw, str) else bytes(raw)
        order = "<" if data[0] == 1 else ">"
        (geom_type,) = struct.unpack(order + "I", data[1:5])
        offset = 9 if geom_type & 0x20000000 else 5
        (_rings, count) = struct.unpack(order + "II", data[offset : offset + 8])
        offset += 8
        pairs = [struct.unpack(order + "dd", data[offset + 16 * i : offset + 16 * (i + 1)])
                 for i in range(count)]
    return [{"lat": lat, "lng": lng} for lng, lat in pairs[:-1]]


def point_in_polygon(lat: float, lng: float, vertices: list[dict[str, float]]) -> bool:
    """Ray casting on the plane of degrees (fine for city-sized areas away from the poles)."""
    inside = False
    n = len(vertices)
    for i in range(n):
        a, b = vertices[i], vertices[(i + 1) % n]
        if (a["lat"] > lat) != (b["lat"] > lat):
            cross = a["lng"] + (lat - a["lat"]) * (b["lng"] - a["lng"]) / (b["lat"] - a["lat"])
            if lng < cross:
                inside = not inside
    return inside


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (pure Python; for checks and small in-memory sets)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# SpatiaLite's R*Tree query interface (a virtual table).
_SPATIAL_INDEX = table(
    "SpatialIndex", column("ROWID", Integer), column("f_table_name", String),
    column("f_geometry_column", String), column("search_frame"),
)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _sql_point(dialect: str, lat: Any, lng: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.ST_SetSRID(func.ST_MakePoint(lng, lat), SRID)
    return func.MakePoint(lng, lat, SRID)


def distance_m(session: Session, column: InstrumentedAttribute[Any] | ColumnElement[Any],
               lat: Any, lng: Any) -> ColumnElement[float]:
    """SQL expression: geodesic distance in metres from the column's point to (lat, lng)."""
    dialect = _dialect(session)
    target = _sql_point(dialect, lat, lng)
    if dialect == "postgresql":
        return func.ST_Distance(func.geography(column), func.geography(target))
    return func.ST_Distance(column, target, 1)


def _in_index_box(column: InstrumentedAttribute[Any], lat: float, lng: float,
                  radius_m: float) -> ColumnElement[bool]:
    """SpatiaLite: the row is among the R*Tree's candidates in the radius's bounding box."""
    min_lng, min_lat, max_lng, max_lat = bounding_box(lat, lng, radius_m)
    owner: Table = column.expression.table  # type: ignore[attr-defined]
    candidates = select(_SPATIAL_INDEX.c.ROWID).where(
        _SPATIAL_INDEX.c.f_table_name == owner.name,
        _SPATIAL_INDEX.c.f_geometry_column == column.expression.name,  # type: ignore[attr-defined]
        _SPATIAL_INDEX.c.search_frame == func.BuildMbr(min_lng, min_lat, max_lng, max_lat, SRID),
    )
    rowid: ColumnElement[int] = literal_column(f"{owner.name}.ROWID")
    return rowid.in_(candidates.scalar_subquery())


def within_radius(session: Session, column: InstrumentedAttribute[Any], lat: Any, lng: Any,
                  radius_m: Any) -> ColumnElement[bool]:
    """SQL filter: the column's point lies within radius_m of (lat, lng), through the index."""
    dialect = _dialect(session)
    target = _sql_point(dialect, lat, lng)
    if dialect == "postgresql":
        return func.ST_DWithin(func.geography(column), func.geography(target), radius_m)
    return _in_index_box(column, lat, lng, radius_m) & (
        func.ST_Distance(column, target, 1) <= radius_m
    )


def nearness(session: Session, column: InstrumentedAttribute[Any], lat: Any, lng: Any,
             radius_m: Any) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    """(filter, key) for "nearest first within radius_m" that costs little per candidate:
    on PostGIS the indexed ST_DWithin and the exact distance; on SpatiaLite the R*Tree's
    bounding box and a flat-earth squared distance (arithmetic on X/Y, no geodesic per
    candidate), within 1 % of the exact one at city scale. The caller keeps a few more than
    it needs by this key and orders those by `distance_m`, so the answer stays exact while
    the cost no longer grows with every point in the radius."""
    dialect = _dialect(session)
    if dialect == "postgresql":
        return (within_radius(session, column, lat, lng, radius_m),
                distance_m(session, column, lat, lng))
    in_box = _in_index_box(column, lat, lng, radius_m)
    kx = _M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat))
    dx = (func.X(column) - lng) * kx
    dy = (func.Y(column) - lat) * _M_PER_DEG_LAT_MIN
    key = dx * dx + dy * dy  # squared metres, flat earth
    margin = (radius_m * 1.01 + 1.0) ** 2
    return in_box & (key <= margin), key


# Smaller radii tried first by `search_radius`, as fractions of the one asked for.
SEARCH_TIERS = (1 / 64, 1 / 16, 1 / 4)
_M_PER_DEG_LAT_MAX = 111_694.0


def search_radius(session: Session, column: InstrumentedAttribute[Any], lat: float,
                  lng: float, radius_m: float, *, need: int,
                  where: list[ColumnElement[bool]]) -> float:
    """The smallest of a few radii (SEARCH_TIERS of radius_m, else radius_m) whose circle
    surely holds `need` rows matching `where`: a box inscribed in it holds them. One statement
    whose CASE stops at the first tier that has them, and whose counts stop at `need` rows, so
    its cost follows `need`, not the rows in the radius. The nearest `need` within radius_m
    then lie within the radius returned. PostGIS: `_knn_radius`, from the GiST index's
    nearest-first scan."""
    if need <= 0:
        return radius_m
    if _dialect(session) == "postgresql":
        return _knn_radius(session, column, lat, lng, radius_m, need=need, where=where)
    owner: Table = column.expression.table  # type: ignore[attr-defined]
    rowid: ColumnElement[int] = literal_column(f"{owner.name}.ROWID")
    whens = []
    for tier in SEARCH_TIERS:
        r = radius_m * tier
        half = r * 0.70  # < r / sqrt(2), with room for flat earth against the ellipsoid
        dlat = half / _M_PER_DEG_LAT_MAX
        dlng = half / (_M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(min(89.0, abs(lat)))))
        if abs(lat) + dlat >= 89.0 or abs(lng) + dlng >= 180.0:
            continue  # near a pole or the antimeridian: the full radius
        inside = select(_SPATIAL_INDEX.c.ROWID).where(
            _SPATIAL_INDEX.c.f_table_name == owner.name,
            _SPATIAL_INDEX.c.f_geometry_column == column.expression.name,  # type: ignore[attr-defined]
            _SPATIAL_INDEX.c.search_frame == func.BuildMbr(lng - dlng, lat - dlat, lng + dlng,
                                                           lat + dlat, SRID))
        capped = (select(literal(1).label("one")).select_from(owner)
                  .where(rowid.in_(inside.scalar_subquery()), *where).limit(need).subquery())
        found = select(func.count()).select_from(capped).scalar_subquery()
        whens.append((found >= need, r))
    if not whens:
        return radius_m
    chosen = session.scalar(select(case(*whens, else_=radius_m)))
    return float(chosen) if chosen is not None else radius_m


# Geodesic (WGS84) over great-circle (PostGIS's sphere) distance stays within
# 6335 / 6371 .. 6400 / 6371 (the ellipsoid's radii of curvature against the mean radius):
# a circle of the sphere distance times this, plus a metre for rounding, holds the same points.
_SPHERE_SLACK = 1.01


def _knn_radius(session: Session, column: InstrumentedAttribute[Any], lat: float, lng: float,
                radius_m: float, *, need: int, where: list[ColumnElement[bool]]) -> float:
    """PostGIS: the radius that surely holds the `need` nearest rows matching `where`, from
    the distance of the need-th nearest one by the GiST index's nearest-first (KNN) scan on
    geography(column): it reads `need` rows, not every row in radius_m, so the caller's exact
    (ellipsoid) distances are computed for about `need` rows however dense the area. The KNN
    distance is the sphere's; _SPHERE_SLACK covers the ellipsoid's. radius_m when fewer than
    `need` rows lie within it (`knn_statement` and `radius_holding`)."""
    return radius_holding(session.scalar(knn_statement(column, lat, lng, radius_m, need - 1,
                                                       where)), radius_m)


def knn_statement(column: InstrumentedAttribute[Any], lat: Any, lng: Any, radius_m: Any,
                  skip: Any, where: list[ColumnElement[bool]]) -> Any:
    """PostGIS: the sphere distance of the (skip + 1)-th nearest row matching `where` within
    the index box of radius_m (`_knn_radius`); values or bound parameters (a statement built
    once). The scan is bounded by the index box of radius_m (`&& _ST_Expand`, the index
    condition ST_DWithin itself adds), not by ST_DWithin: the planner estimates ST_DWithin's
    exact test at a few rows and then prefers reading the whole circle and sorting it (1,600
    sites on country data) to the ordered scan. Rows in the box but outside the circle are
    farther than radius_m, so they can only give radius_m back."""
    owner: Table = column.expression.table  # type: ignore[attr-defined]
    point = func.geography(_sql_point("postgresql", lat, lng))
    geography = func.geography(column)
    knn = geography.op("<->", return_type=Float)(point)
    return (select(knn).select_from(owner)
            .where(geography.op("&&")(func._ST_Expand(point, radius_m)), *where)
            .order_by(knn).offset(skip).limit(1))


def radius_holding(kth: float | None, radius_m: float) -> float:
    """The search radius from `knn_statement`'s distance (None: fewer rows than needed)."""
    if kth is None:
        return radius_m
    return min(radius_m, float(kth) * _SPHERE_SLACK + 1.0)


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) enclosing the circle; never smaller than it."""
    dlat = radius_m / _M_PER_DEG_LAT_MIN
    far_lat = min(89.999, abs(lat) + dlat)
    dlng = min(180.0, radius_m / (_M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(far_lat))))
    return (max(-180.0, lng - dlng), max(-90.0, lat - dlat),
            min(180.0, lng + dlng), min(90.0, lat + dlat))


def spatial_version(session: Session) -> str:
    """Version of the spatial extension, for /healthz."""
    if _dialect(session) == "postgresql":
        return str(session.scalar(select(func.postgis_lib_version())))
    return str(session.scalar(select(func.spatialite_version())))


def polygon_is_valid(session: Session, vertices: list[dict[str, float]]) -> bool:
    """The database's own OGC validity test (ST_IsValid, GEOS on both dialects): a ring that
    crosses or touches itself is not a valid area."""
    wkt = to_polygon(vertices).data
    if _dialect(session) == "postgresql":
        shape = func.ST_GeomFromText(wkt, SRID)
    else:
        shape = func.GeomFromText(wkt, SRID)
    return bool(session.scalar(select(func.ST_IsValid(shape))))
