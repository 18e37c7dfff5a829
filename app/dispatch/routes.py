from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.db import fetch_page
from app.dispatch import schemas, service
from app.dispatch.models import ShiftException, Technician, Territory
from app.dispatch.service import Availability
from app.errors import ErrorSchema
from app.extensions import db

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1",
                description="Technicians, shifts, territories, candidates, plans.")

PLANNERS = (Role.admin, Role.dispatcher)


@blp.route("/technicians")
class Technicians(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.TechnicianQuery, location="query")
    @blp.response(200, schemas.Technician(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Technician]:
        """Technicians with skills and shifts; filter by skill and minimum level, territory."""
        return fetch_page(db.session, service.list_technicians(db.session, **query),
                          pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(schemas.TechnicianCreate)
    @blp.response(201, schemas.Technician)
    @blp.alt_response(409, schema=ErrorSchema, description="The user has a profile already.")
    def post(self, body: dict[str, Any]) -> Technician:
        """Create the dispatch profile of a technician user (admin)."""
        tech = service.create_technician(db.session, body, actor=actor())
        db.session.commit()
        return tech


@blp.route("/technicians/<id:technician_id>")
class TechnicianById(MethodView):
    @require_roles(*PLANNERS, Role.technician)
    @blp.response(200, schemas.Technician)
    def get(self, technician_id: int) -> Technician:
        """One technician (a technician may read only its own profile)."""
        return service.get_technician(db.session, technician_id, actor=actor())

    @require_roles(Role.admin)
    @blp.arguments(schemas.TechnicianUpdate)
    @blp.response(200, schemas.Technician)
    def patch(self, body: dict[str, Any], technician_id: int) -> Technician:
        """Edit a technician; `skills` and `shifts` replace the lists (admin)."""
        tech = service.update_technician(
            db.session, service.get_technician(db.session, technician_id, actor=actor()), body,
            actor=actor())
        db.session.commit()
        return tech


@blp.route("/technicians/<id:technician_id>/availability")
class TechnicianAvailability(MethodView):
    @require_roles(*PLANNERS, Role.technician)
    @blp.arguments(schemas.AvailabilityQuery, location="query")
    @blp.response(200, schemas.AvailabilityOut)
    def get(self, query: dict[str, Any], technician_id: int) -> Availability:
        """Working windows on a date: weekly shift, minus leave/sickness, plus overtime."""
        tech = service.get_technician(db.session, technician_id, actor=actor())
        return service.availability_on(db.session, tech, query["date"])


@blp.route("/technicians/<id:technician_id>/exceptions")
class TechnicianExceptions(MethodView):
    @require_roles(*PLANNERS, Role.technician)
    @blp.response(200, schemas.ShiftExceptionOut(many=True))
    @blp.paginate()
    def get(self, technician_id: int, pagination_parameters: Any) -> list[ShiftException]:
        """Leave, sickness, training and overtime of a technician."""
        tech = service.get_technician(db.session, technician_id, actor=actor())
        return fetch_page(db.session, service.list_exceptions(db.session, tech),
                          pagination_parameters)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ExceptionCreate)
    @blp.response(201, schemas.ShiftExceptionOut)
    @blp.alt_response(409, schema=ErrorSchema, description="Overlaps one of the same kind.")
    def post(self, body: dict[str, Any], technician_id: int) -> ShiftException:
        """Record leave, sickness, training or overtime (admin, dispatcher)."""
        tech = service.get_technician(db.session, technician_id, actor=actor())
        row = service.add_exception(db.session, tech, body, actor=actor())
        db.session.commit()
        return row


@blp.route("/technicians/<id:technician_id>/exceptions/<id:exception_id>")
class TechnicianExceptionById(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(204)
    def delete(self, technician_id: int, exception_id: int) -> None:
        """Remove an exception (admin, dispatcher)."""
        tech = service.get_technician(db.session, technician_id, actor=actor())
        service.delete_exception(db.session, tech, exception_id, actor=actor())
        db.session.commit()


@blp.route("/territories")
class Territories(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(200, schemas.Territory(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Territory]:
        """Service territories with their boundaries."""
        return fetch_page(db.session, service.list_territories(db.session),
                          pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(schemas.TerritoryCreate)
    @blp.response(201, schemas.Territory)
    @blp.alt_response(409, schema=ErrorSchema, description="Name taken.")
    def post(self, body: dict[str, Any]) -> Territory:
        """Create a territory from its boundary corners (admin)."""
        territory = service.create_territory(db.session, body, actor=actor())
        db.session.commit()
        return territory


@blp.route("/territories/<id:territory_id>")
class TerritoryById(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(200, schemas.Territory)
    def get(self, territory_id: int) -> Territory:
        """One territory."""
        return service.get_territory(db.session, territory_id)

    @require_roles(Role.admin)
    @blp.arguments(schemas.TerritoryUpdate)
    @blp.response(200, schemas.Territory)
    def patch(self, body: dict[str, Any], territory_id: int) -> Territory:
        """Rename a territory or redraw its boundary (admin)."""
        territory = service.update_territory(
            db.session, service.get_territory(db.session, territory_id), body, actor=actor())
        db.session.commit()
        return territory
