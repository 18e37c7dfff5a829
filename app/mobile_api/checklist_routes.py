"""The job's checklist and knowledge articles on the phone: read the checklist, answer items
one by one (also offline through /mobile/v1/sync, operation `checklist_item`, with the same
Idempotency-Key rules); articles suggested for the job."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.blueprint import Blueprint
from app.errors import ErrorSchema
from app.extensions import db
from app.maintenance import schemas as maintenance_schemas
from app.maintenance import service as maintenance
from app.maintenance.models import Inspection
from app.mobile_api import operations, service
from app.mobile_api.idempotent import idempotent

blp = Blueprint("mobile_checklists", __name__, url_prefix="/mobile/v1",
                description="The technician's checklists.")


@blp.route("/jobs/<id:job_id>/checklist")
class JobChecklist(MethodView):
    @require_roles(Role.technician)
    @blp.response(200, maintenance_schemas.Inspection)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job, or it has no "
                      "checklist (no_checklist).")
    def get(self, job_id: int) -> Inspection:
        """The job's checklist: items, answers so far, required items left."""
        job = service.get_job(db.session, job_id, actor=actor())
        return maintenance.require_inspection(db.session, job)

    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(maintenance_schemas.ChecklistAnswer)
    @blp.response(200, maintenance_schemas.ChecklistResult)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job, or no checklist.")
    @blp.alt_response(409, schema=ErrorSchema, description="not_on_site: check in first.")
    @blp.alt_response(422, schema=ErrorSchema, description="The answer does not fit the item, "
                      "or the photo is not of this job.")
    def post(self, body: dict[str, Any], job_id: int) -> Any:
        """Answer one item (again to correct it). A failed item or a reading out of limits
        raises a corrective work order at once (corrective_work_order_id)."""
        return operations.run("checklist_item", db.session, job_id, body, actor())


@blp.route("/jobs/<id:job_id>/articles")
class JobArticles(MethodView):
    @require_roles(Role.technician)
    @blp.response(200, maintenance_schemas.ArticleOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    def get(self, job_id: int) -> Any:
        """Knowledge articles for this job: its equipment model, failure codes and the words
        of the fault description, best first."""
        job = service.get_job(db.session, job_id, actor=actor())
        return maintenance.suggest_articles(db.session, job)
