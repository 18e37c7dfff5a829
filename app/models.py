"""Imports every package's models so Alembic and the drift check see the whole schema."""

from typing import Any

from geoalchemy2 import alembic_helpers

from app.assets import models as assets_models  # noqa: F401
from app.auth import models as auth_models  # noqa: F401
from app.dispatch import models as dispatch_models  # noqa: F401
from app.extensions import db
from app.integrations import models as integrations_models  # noqa: F401
from app.inventory import models as inventory_models  # noqa: F401
from app.maintenance import models as maintenance_models  # noqa: F401
from app.mobile_api import models as mobile_api_models  # noqa: F401
from app.notifications import models as notifications_models  # noqa: F401
from app.workorders import models as workorders_models  # noqa: F401

metadata = db.metadata

# Tables the spatial extensions own (SpatiaLite metadata, R*Tree indexes; PostGIS catalogues).
_EXTENSION_TABLE_PREFIXES = (
    "idx_", "spatial_ref_sys", "geometry_columns", "views_geometry", "virts_geometry",
    "spatialite_history", "sql_statements_log", "SpatialIndex", "ElementaryGeometries", "KNN",
    "data_licenses", "vector_layers", "raster_coverages", "wms_", "rl2map", "SE_",
    "ISO_metadata", "stored_", "vector_coverages", "sqlite_", "topology", "layer",
)


def include_in_migrations(obj: Any, name: str | None, obj_type: str, reflected: bool,
                          compare_to: Any) -> bool:
    """What Alembic compares: our tables, not the spatial extensions' own."""
    if obj_type == "table" and name and name.startswith(_EXTENSION_TABLE_PREFIXES):
        return False
    if obj_type == "index" and name and name.endswith("_geog"):
        return False  # PostGIS-only expression indexes, declared with ddl_if (see app.geo)
    if obj_type == "index" and name == "ix_work_orders_sla_queue":
        return False  # expressions PostgreSQL reflects reworded; tests/workorders/test_queue_index
    return bool(alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to))
