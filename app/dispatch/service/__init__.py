"""Dispatch business rules, split by concept; import from here."""

from app.dispatch.service.availability import Availability, availability_on
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
    "Availability", "add_exception", "availability_on", "create_technician", "create_territory",
    "delete_exception", "get_technician", "get_technician_for_user", "get_territory",
    "list_exceptions", "list_technicians", "list_territories", "record_position",
    "replace_shifts", "replace_skills", "update_technician", "update_territory",
]
