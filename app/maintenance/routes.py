"""Maintenance under /api/v1/maintenance: plans, the generator, occurrences, checklists;
and a work order's checklist. Admins and dispatchers manage; technicians read; customers see
the occurrences of their own assets."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import ANY_ROLE, STAFF, actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db
from app.maintenance import schemas, service
from app.maintenance.models import ChecklistTemplate, Inspection, MaintenancePlan
from app.workorders import service as workorders

blp = Blueprint("maintenance", __name__, url_prefix="/api/v1",
                description="Preventive maintenance plans, occurrences and checklists.")

PLANNERS = (Role.admin, Role.dispatcher)


@blp.route("/maintenance/plans")
class Plans(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.MaintenancePlanQuery, location="query")
    @blp.response(200, schemas.MaintenancePlan(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[MaintenancePlan]:
        """Maintenance plans, filterable by active and asset."""
        return fetch_page(db.session, service.list_plans(db.session, actor=actor(), **query),
                          pagination_parameters)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.MaintenancePlanCreate)
    @blp.response(201, schemas.MaintenancePlan)
    @blp.alt_response(422, schema=ErrorSchema, description="Target, schedule or references "
                      "not valid.")
    def post(self, body: dict[str, Any]) -> MaintenancePlan:
        """Create a plan: one target (asset, equipment model, customer or site), the work
        (checklist, skills, duration, parts) and the schedule (calendar, meter or both)."""
        plan = service.create_plan(db.session, body, actor=actor())
        db.session.commit()
        return plan


@blp.route("/maintenance/plans/<id:plan_id>")
class PlanById(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(200, schemas.MaintenancePlan)
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan.")
    def get(self, plan_id: int) -> MaintenancePlan:
        """One plan."""
        return service.get_plan(db.session, plan_id, actor=actor())

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.MaintenancePlanUpdate)
    @blp.response(200, schemas.MaintenancePlan)
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan.")
    @blp.alt_response(422, schema=ErrorSchema, description="Not valid.")
    def patch(self, body: dict[str, Any], plan_id: int) -> MaintenancePlan:
        """Edit a plan; orders already generated stay as they are."""
        plan = service.update_plan(db.session, service.get_plan(db.session, plan_id,
                                                                actor=actor()), body,
                                   actor=actor())
        db.session.commit()
        return plan


@blp.route("/maintenance/generate")
class Generate(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.PmGenerateRequest)
    @blp.response(200, schemas.PmGenerateOut)
    def post(self, body: dict[str, Any]) -> Any:
        """Run the generator now (it also runs periodically): the preventive orders due in
        each plan's horizon, created once each."""
        report = service.generate_preventive_orders(db.session, plan_ids=body.get("plan_ids"))
        db.session.commit()
        return report


@blp.route("/maintenance/occurrences")
class Occurrences(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.PlanOccurrenceQuery, location="query")
    @blp.response(200, schemas.PlanOccurrence(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Occurrences by due date with their state (planned, overdue, done, skipped,
        cancelled); overdue=true lists the late ones. Customers see their own assets'."""
        page = fetch_page(db.session, service.list_occurrences(db.session, actor=actor(),
                                                               **query),
                          pagination_parameters)
        return service.views(db.session, page)


@blp.route("/maintenance/occurrences/<id:occurrence_id>/skip")
class SkipOccurrence(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.SkipOccurrence)
    @blp.response(200, schemas.PlanOccurrence)
    @blp.alt_response(404, schema=ErrorSchema, description="No such occurrence.")
    @blp.alt_response(409, schema=ErrorSchema, description="already_skipped, occurrence_done "
                      "or the order cannot be cancelled from its status.")
    def post(self, body: dict[str, Any], occurrence_id: int) -> Any:
        """Skip one occurrence with a reason; its open order is cancelled."""
        view = service.skip_occurrence(db.session, occurrence_id, reason=body["reason"],
                                       actor=actor())
        db.session.commit()
        return view


@blp.route("/maintenance/checklist-templates")
class Templates(MethodView):
    @require_roles(*STAFF)
    @blp.arguments(schemas.ChecklistTemplateQuery, location="query")
    @blp.response(200, schemas.ChecklistTemplate(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[ChecklistTemplate]:
        """Checklists (newest versions unless all_versions)."""
        stmt = service.list_templates(db.session, actor=actor(),
                                      equipment_model_id=query.get("equipment_model_id"),
                                      code=query.get("code"),
                                      latest_only=not query["all_versions"])
        return fetch_page(db.session, stmt, pagination_parameters)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ChecklistTemplateCreate)
    @blp.response(201, schemas.ChecklistTemplate)
    @blp.alt_response(409, schema=ErrorSchema, description="checklist_code_taken.")
    @blp.alt_response(422, schema=ErrorSchema, description="Items not valid.")
    def post(self, body: dict[str, Any]) -> ChecklistTemplate:
        """A new checklist (version 1), for an equipment model or for plans."""
        template = service.create_template(db.session, actor=actor(), **body)
        db.session.commit()
        return template


@blp.route("/maintenance/checklist-templates/<id:template_id>")
class TemplateById(MethodView):
    @require_roles(*STAFF)
    @blp.response(200, schemas.ChecklistTemplate)
    @blp.alt_response(404, schema=ErrorSchema, description="No such checklist.")
    def get(self, template_id: int) -> ChecklistTemplate:
        """One checklist version with its items."""
        return service.get_template(db.session, template_id, actor=actor())


@blp.route("/maintenance/checklist-templates/<id:template_id>/versions")
class TemplateVersions(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ChecklistVersionCreate)
    @blp.response(201, schemas.ChecklistTemplate)
    @blp.alt_response(404, schema=ErrorSchema, description="No such checklist.")
    @blp.alt_response(422, schema=ErrorSchema, description="Items not valid.")
    def post(self, body: dict[str, Any], template_id: int) -> ChecklistTemplate:
        """A new version of the checklist; orders holding an older version keep it."""
        template = service.add_template_version(db.session, template_id,
                                                name=body.get("name"), items=body["items"],
                                                actor=actor())
        db.session.commit()
        return template


@blp.route("/work-orders/<id:work_order_id>/checklist")
class WorkOrderChecklist(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.Inspection)
    @blp.alt_response(404, schema=ErrorSchema, description="No such work order, or it has no "
                      "checklist (no_checklist).")
    def get(self, work_order_id: int) -> Inspection:
        """The work order's checklist with the answers so far and the required items left."""
        work_order = workorders.get_work_order_for(db.session, work_order_id, actor=actor())
        return service.require_inspection(db.session, work_order)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.AttachChecklist)
    @blp.response(200, schemas.Inspection)
    @blp.alt_response(404, schema=ErrorSchema, description="No such work order or checklist.")
    @blp.alt_response(409, schema=ErrorSchema, description="work_order_closed, "
                      "checklist_started.")
    def put(self, body: dict[str, Any], work_order_id: int) -> Inspection:
        """Give a work order a checklist (its completion then waits for the required items)."""
        work_order = workorders.get_work_order_for(db.session, work_order_id, actor=actor())
        inspection = service.attach_checklist(db.session, work_order, actor=actor(), **body)
        db.session.commit()
        return inspection


@blp.route("/maintenance/plans/<id:plan_id>/forecasts")
class PlanForecasts(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(200, schemas.AssetForecastOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan.")
    def get(self, plan_id: int) -> Any:
        """A meter plan's forecast per asset: when the next threshold is reached (Theil–Sen
        over the recent readings, with earliest and latest dates)."""
        return service.plan_forecasts(db.session, service.get_plan(db.session, plan_id,
                                                                   actor=actor()))


@blp.route("/maintenance/reliability/assets/<id:asset_id>")
class AssetReliability(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ReliabilityQuery, location="query")
    @blp.response(200, schemas.ReliabilityOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such asset.")
    def get(self, query: dict[str, Any], asset_id: int) -> Any:
        """MTBF, MTTR, failures by code and PM compliance of one asset over the last days."""
        return service.asset_reliability(db.session, asset_id, actor=actor(),
                                         days=query["days"])


@blp.route("/maintenance/reliability/equipment-models/<id:model_id>")
class ModelReliability(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ReliabilityQuery, location="query")
    @blp.response(200, schemas.ReliabilityOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such equipment model.")
    def get(self, query: dict[str, Any], model_id: int) -> Any:
        """The same figures over every asset of an equipment model."""
        return service.model_reliability(db.session, model_id, actor=actor(),
                                         days=query["days"])


@blp.route("/maintenance/reliability/rising")
class RisingFailureRates(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.RisingQuery, location="query")
    @blp.response(200, schemas.RisingAssetOut(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Assets failing clearly more often in the recent half of the period."""
        return service.rising_failure_rates(db.session, actor=actor(), days=query["days"])
