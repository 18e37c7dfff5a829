"""Dispatch business rules, split by concept; import from here."""

from app.dispatch.service.assignment import assign_technician
from app.dispatch.service.availability import Availability, availability_on
from app.dispatch.service.board import (
    Board,
    PickList,
    day_board,
    fulfil_pick_list,
    pick_lists,
)
from app.dispatch.service.candidates import Candidate, candidates_for
from app.dispatch.service.compare import current_day_kpis
from app.dispatch.service.day_route import (
    DayRoute,
    Stop,
    live_arrival,
    technician_route,
    technician_routes,
)
from app.dispatch.service.insertions import Insertion, insert_emergency
from app.dispatch.service.plans import (
    Solver,
    abandoned_runs,
    apply_run,
    expire_abandoned_runs,
    get_run,
    list_runs,
    pooled_replanner,
    pooled_solver,
    request_plan,
    run_in_background,
    solves_inline,
    submit_run,
)
from app.dispatch.service.problem import DayClock, build_day_problem, day_clock, local_day
from app.dispatch.service.releases import Release, release_day
from app.dispatch.service.replans import request_replan
from app.dispatch.service.technicians import (
    add_exception,
    create_technician,
    create_territory,
    delete_exception,
    get_technician,
    get_technician_for_user,
    get_territory,
    list_exceptions,
    list_technicians,
    list_territories,
    record_position,
    replace_shifts,
    replace_skills,
    update_technician,
    update_territory,
)

__all__ = [
    "Availability",
    "Board",
    "Candidate",
    "DayClock",
    "DayRoute",
    "Insertion",
    "PickList",
    "Release",
    "Solver",
    "Stop",
    "abandoned_runs",
    "add_exception",
    "apply_run",
    "assign_technician",
    "availability_on",
    "build_day_problem",
    "candidates_for",
    "create_technician",
    "create_territory",
    "current_day_kpis",
    "day_board",
    "day_clock",
    "delete_exception",
    "expire_abandoned_runs",
    "fulfil_pick_list",
    "get_run",
    "get_technician",
    "get_technician_for_user",
    "get_territory",
    "insert_emergency",
    "list_exceptions",
    "list_runs",
    "list_technicians",
    "list_territories",
    "live_arrival",
    "local_day",
    "pick_lists",
    "pooled_replanner",
    "pooled_solver",
    "record_position",
    "release_day",
    "replace_shifts",
    "replace_skills",
    "request_plan",
    "request_replan",
    "run_in_background",
    "solves_inline",
    "submit_run",
    "technician_route",
    "technician_routes",
    "update_technician",
    "update_territory",
]

# Registers the hook that takes an order back to the queue off the applied plans.
from app.dispatch.service import unplanned as _unplanned  # noqa: F401
