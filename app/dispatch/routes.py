from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.blueprint import Blueprint
from app.db import begin_writing, fetch_page, utcnow
from app.dispatch import schemas, service
from app.dispatch.models import ShiftException, Technician, Territory
from app.dispatch.runner import plan_replanner, plan_run_launcher, plan_solver
from app.dispatch.service import Availability
from app.errors import ErrorSchema
from app.extensions import db
from app.workorders.schemas import WorkOrderOut

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
        return service.get_technician(db.session, technician_id, actor=actor(), shown=True)

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


# --- candidates and assignment -----------------------------------------------------------

@blp.route("/work-orders/<id:work_order_id>/candidates")
class WorkOrderCandidates(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.CandidatesQuery, location="query")
    @blp.response(200, schemas.CandidateOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such work order.")
    @blp.alt_response(409, schema=ErrorSchema, description="The work order is finished.")
    def get(self, query: dict[str, Any], work_order_id: int) -> list[Any]:
        """Who should go? Every active technician ranked, each with the reasons: skills,
        territory, earliest free slot, travel from where they will be, load, van parts.
        Technicians who cannot do the job come last, with why."""
        return service.candidates_for(db.session, work_order_id, now=utcnow(),
                                      day=query.get("date"), actor=actor())


@blp.route("/work-orders/<id:work_order_id>/assignment")
class WorkOrderAssignment(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.AssignmentIn)
    @blp.response(200, WorkOrderOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such work order.")
    @blp.alt_response(409, schema=ErrorSchema, description=(
        "missing_skill (without override), slot_overlap, no_free_slot, version_conflict, "
        "not_assignable."))
    def put(self, body: dict[str, Any], work_order_id: int) -> Any:
        """Assign a technician by hand; the assignee is notified. A missing skill needs
        `override: true` and a reason, which the timeline records."""
        wo = service.assign_technician(db.session, work_order_id, now=utcnow(), actor=actor(),
                                       **body)
        db.session.commit()
        return wo


# --- day plans ---------------------------------------------------------------------------

def _settle_abandoned_runs() -> None:
    """Before a run is read: runs whose worker stopped become failed (committed at once, so
    the answer and the database agree)."""
    now = utcnow()
    if not service.abandoned_runs(db.session, now=now):
        return  # the usual case: the request stays a read
    begin_writing(db.session)
    if service.expire_abandoned_runs(db.session, now=now):
        db.session.commit()


@blp.route("/dispatch/plans")
class Plans(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.PlanQuery, location="query")
    @blp.response(200, schemas.PlanRunOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """Plan runs, newest first; filter by date and status. Runs whose worker stopped
        (no result long after their time limit) are reported as failed."""
        _settle_abandoned_runs()
        return fetch_page(db.session, service.list_runs(db.session, day=query.get("date"),
                                                        status=query.get("status")),
                          pagination_parameters)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.PlanCreate)
    @blp.response(201, schemas.PlanRunOut, description="Solved within the request.")
    @blp.alt_response(202, schema=schemas.PlanRunOut,
                      description="Queued: poll GET /dispatch/plans/<id>.")
    @blp.alt_response(422, schema=ErrorSchema, description="Time limit too long.")
    def post(self, body: dict[str, Any]) -> Any:
        """Run the optimizer over the day's open work orders (skills, shifts and breaks,
        customer windows, SLA and priority, start points, load balance, van parts and
        warehouse pick-ups). Nothing changes until the run is applied."""
        run = service.request_plan(db.session, day=body["date"],
                                   time_limit_s=body["time_limit_s"],
                                   keep_assigned=body["keep_assigned"],
                                   technician_ids=body.get("technician_ids"),
                                   work_order_ids=body.get("work_order_ids"), actor=actor(),
                                   launch=plan_run_launcher())
        return _started(run, body["time_limit_s"])


def _started(run: Any, time_limit_s: float) -> tuple[Any, int]:
    """Commit a requested plan run; solve it now (201) when short enough, else leave it to
    the background launcher (202)."""
    # Decided before the commit: a background worker starts on commit and may already
    # have claimed the run (status "running") when the response is built.
    run_id, inline = run.id, service.solves_inline(time_limit_s)
    db.session.commit()
    if not inline:
        return run, 202
    # Solved while the client waits, but outside this request's transaction.
    service.run_in_background(db.session.get_bind(), run_id, solve=plan_solver(),
                              replan=plan_replanner())
    return service.get_run(db.session, run_id, fresh=True), 201


@blp.route("/dispatch/plans/<id:run_id>")
class PlanById(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(200, schemas.PlanRunOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such run.")
    def get(self, run_id: int) -> Any:
        """A run: status (poll until done), KPIs, proposed routes with ETAs, unassigned. A run
        whose worker stopped is failed, with why, once its time limit plus a grace period
        has passed."""
        _settle_abandoned_runs()
        return service.get_run(db.session, run_id)


@blp.route("/dispatch/plans/<id:run_id>/apply")
class PlanApply(MethodView):
    @require_roles(*PLANNERS)
    @blp.response(200, schemas.PlanRunOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such run.")
    @blp.alt_response(409, schema=ErrorSchema, description=(
        "plan_stale (work orders changed since the run), plan_not_ready, "
        "plan_already_applied."))
    @blp.arguments(schemas.PlanApply, required=False)
    def post(self, body: dict[str, Any], run_id: int) -> Any:
        """Assign and schedule every planned visit in one transaction. With `dispatch: true`
        the day is released at once: the jobs become dispatched and each technician gets one
        push for the route. A route already released gets its new jobs dispatched and one
        "route changed" push."""
        run = service.apply_run(db.session, run_id, actor=actor(),
                                dispatch=body.get("dispatch", False))
        db.session.commit()
        return run


@blp.route("/dispatch/replans")
class Replans(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ReplanCreate)
    @blp.response(201, schemas.PlanRunOut, description="Solved within the request.")
    @blp.alt_response(202, schema=schemas.PlanRunOut,
                      description="Queued: poll GET /dispatch/plans/<id>.")
    @blp.alt_response(409, schema=ErrorSchema, description="day_over.")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="Time limit too long, or a locked order not open that day.")
    def post(self, body: dict[str, Any]) -> Any:
        """Re-plan the day: the rest of a released day from now and where the technicians
        are, keeping started and locked visits, moving as few planned visits as possible
        (`move_cost` per visit moved to another technician, and per hour beyond
        `time_tolerance_min`). The result is a plan run: apply it, and only the technicians
        whose released route changed get a "route changed" push."""
        run = service.request_replan(db.session, day=body["date"],
                                     now=body["now"] or utcnow(),
                                     time_limit_s=body["time_limit_s"],
                                     move_cost=body["move_cost"],
                                     time_tolerance_min=body["time_tolerance_min"],
                                     locked_ids=body["locked_work_order_ids"], actor=actor(),
                                     launch=plan_run_launcher())
        return _started(run, body["time_limit_s"])


@blp.route("/dispatch/releases")
class Releases(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ReleaseIn)
    @blp.response(201, schemas.ReleaseOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such technician.")
    @blp.alt_response(409, schema=ErrorSchema, description="nothing_to_release.")
    def post(self, body: dict[str, Any]) -> Any:
        """Release a day (or one technician's day) to the phones: every scheduled job becomes
        dispatched (timeline entry each) and each technician gets ONE push for the route."""
        release = service.release_day(db.session, body["date"],
                                      technician_id=body.get("technician_id"), actor=actor())
        db.session.commit()
        return release


@blp.route("/dispatch/insertions")
class Insertions(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.InsertionCreate)
    @blp.response(201, schemas.InsertionOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such work order.")
    @blp.alt_response(409, schema=ErrorSchema,
                      description="not_insertable (not an unassigned new order), "
                                  "no_window_today.")
    def post(self, body: dict[str, Any]) -> Any:
        """Insert an urgent job into today's applied plan with least disruption: started
        visits stay fixed. Shows who takes it, its ETA and which visits moved; the result
        is a run to apply."""
        insertion = service.insert_emergency(db.session, body["work_order_id"], now=utcnow(),
                                             actor=actor())
        db.session.commit()
        return insertion


@blp.route("/dispatch/board")
class DispatchBoard(MethodView):
    @require_roles(*PLANNERS)
    @blp.arguments(schemas.DayQuery, location="query")
    @blp.response(200, schemas.BoardOut)
    def get(self, query: dict[str, Any]) -> Any:
        """The day at a glance: per technician the ordered visits with planned and actual
        times, status and position, the live ETA from the last GPS fix and a running_late
        flag (window or SLA will be missed); the unassigned queue by SLA urgency."""
        return service.day_board(db.session, query["date"], actor=actor(), now=utcnow())


@blp.route("/dispatch/pick-lists")
class PickLists(MethodView):
    @require_roles(*PLANNERS, Role.warehouse)
    @blp.arguments(schemas.DayQuery, location="query")
    @blp.response(200, schemas.PickListOut(many=True))
    def get(self, query: dict[str, Any]) -> list[Any]:
        """Per technician: parts to load for the day's jobs minus what the van holds, each
        line with the warehouse to pick from."""
        return service.pick_lists(db.session, query["date"])


@blp.route("/dispatch/pick-lists/fulfilment")
class PickListFulfilment(MethodView):
    @require_roles(Role.admin, Role.warehouse)
    @blp.arguments(schemas.PickListFulfil)
    @blp.response(200, schemas.PickListOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such technician.")
    @blp.alt_response(409, schema=ErrorSchema, description=(
        "nothing_to_pick, no_van, insufficient_stock."))
    def post(self, body: dict[str, Any]) -> Any:
        """Turn a technician's pick list into transfers to the van (reservations move with
        the stock), all lines or none; answers the list afterwards (nothing left to pick)."""
        plist = service.fulfil_pick_list(db.session, body["date"], body["technician_id"],
                                         actor=actor())
        db.session.commit()
        return plist
