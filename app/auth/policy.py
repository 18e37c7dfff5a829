"""The one policy table: who may call each operation, and on whose objects.

Keyed by operation ("METHOD /path" as in /openapi.json). `roles` is enforced for every request
by `require_roles` (app/auth/permissions.py), which reads this table; `scope` says, per role,
which objects that role reaches — anything else answers 404, exactly like a missing object,
so that its existence does not leak. The services apply the scopes (they own the queries);
tests/auth/test_policy_matrix.py calls every operation as every role on own and on foreign
objects and compares the answers with this table, and fails for an operation without an entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from app.auth.models import Role

ANONYMOUS = "anonymous"

# Scopes (per role; a role not named in `scope` reaches every object of the operation).
ACCOUNT = "own account"  # a customer: its own account's customers, sites, assets, orders
ASSIGNED = "assigned"  # a technician: work orders assigned to it, their customers and sites
SELF = "self"  # a technician: its own technician profile
OWN_VAN = "own van"  # a technician: its own van's stock, movements and reservations

A, D, W, T, C = Role.admin, Role.dispatcher, Role.warehouse, Role.technician, Role.customer
EVERYONE = (A, D, W, T, C)
OFFICE = (A, D)
STOCK_READERS = (A, D, W, T)
PUBLIC = (ANONYMOUS, *EVERYONE)

_CUSTOMER_AND_TECH = {C: ACCOUNT, T: ASSIGNED}


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    scope: Mapping[str, str] = field(default_factory=dict)


def _r(roles: tuple[str, ...], scope: Mapping[str, str] | None = None) -> Rule:
    return Rule(tuple(str(r) for r in roles),
                MappingProxyType({str(k): v for k, v in (scope or {}).items()}))


_WO = _r(EVERYONE, _CUSTOMER_AND_TECH)
_ASSET_READ = _r(EVERYONE, _CUSTOMER_AND_TECH)

POLICY: Mapping[str, Rule] = MappingProxyType({
    # auth
    "POST /api/v1/auth/login": _r(PUBLIC),
    "POST /api/v1/auth/refresh": _r(EVERYONE),  # with the refresh token as the bearer
    "GET /api/v1/me": _r(EVERYONE),
    "POST /api/v1/me/password": _r(EVERYONE),
    "POST /api/v1/me/sessions/revoke": _r(EVERYONE),
    "POST /api/v1/users/{user_id}/sessions/revoke": _r((A,)),
    "GET /api/v1/users": _r((A,)),
    "POST /api/v1/users": _r((A,)),
    "GET /api/v1/users/{user_id}": _r((A,)),
    "PATCH /api/v1/users/{user_id}": _r((A,)),
    "GET /api/v1/audit-log": _r((A,)),
    "GET /api/v1/api-keys": _r((A,)),
    "POST /api/v1/api-keys": _r((A,)),
    "GET /api/v1/api-keys/{key_id}": _r((A,)),
    "DELETE /api/v1/api-keys/{key_id}": _r((A,)),
    # work orders
    "GET /api/v1/work-orders": _WO,
    "POST /api/v1/work-orders": _r(OFFICE),
    "GET /api/v1/work-orders/{work_order_id}": _WO,
    "PATCH /api/v1/work-orders/{work_order_id}": _r(OFFICE),
    "POST /api/v1/work-orders/{work_order_id}/transitions": _WO,
    "GET /api/v1/work-orders/{work_order_id}/timeline": _WO,
    "POST /api/v1/work-orders/{work_order_id}/notes": _WO,
    "POST /api/v1/work-orders/{work_order_id}/rating": _r((C,), {C: ACCOUNT}),
    "GET /api/v1/ratings/summary": _r((A, D, C), {C: ACCOUNT}),
    "POST /api/v1/fault-reports": _r((C,), {C: ACCOUNT}),
    "POST /api/v1/public/fault-reports": _r(PUBLIC),
    "GET /api/v1/sla-policies": _r(OFFICE),
    "PUT /api/v1/sla-policies": _r((A,)),
    "GET /api/v1/business-calendars": _r(OFFICE),
    "POST /api/v1/business-calendars": _r((A,)),
    "GET /api/v1/work-orders/{work_order_id}/photos": _WO,
    "GET /api/v1/work-orders/{work_order_id}/photos/{photo_id}/file": _WO,
    # customers, sites, assets
    "GET /api/v1/customers": _ASSET_READ,
    "POST /api/v1/customers": _r(OFFICE),
    "GET /api/v1/customers/{customer_id}": _ASSET_READ,
    "PATCH /api/v1/customers/{customer_id}": _r(OFFICE),
    "GET /api/v1/sites": _ASSET_READ,
    "POST /api/v1/sites": _r(OFFICE),
    "GET /api/v1/sites/nearby": _ASSET_READ,
    "GET /api/v1/sites/{site_id}": _ASSET_READ,
    "PATCH /api/v1/sites/{site_id}": _r(OFFICE),
    "GET /api/v1/skills": _r(STOCK_READERS),
    "POST /api/v1/skills": _r((A,)),
    "GET /api/v1/skills/{skill_id}": _r(STOCK_READERS),
    "PATCH /api/v1/skills/{skill_id}": _r((A,)),
    "GET /api/v1/equipment-models": _r(EVERYONE),
    "POST /api/v1/equipment-models": _r(OFFICE),
    "GET /api/v1/equipment-models/{model_id}": _r(EVERYONE),
    "PATCH /api/v1/equipment-models/{model_id}": _r(OFFICE),
    "GET /api/v1/assets": _ASSET_READ,
    "POST /api/v1/assets": _r(OFFICE),
    "GET /api/v1/assets/nearby": _ASSET_READ,
    "GET /api/v1/assets/by-tag/{tag}": _ASSET_READ,
    "POST /api/v1/assets/import": _r(OFFICE),
    "GET /api/v1/assets/{asset_id}": _ASSET_READ,
    "PATCH /api/v1/assets/{asset_id}": _r(OFFICE),
    "GET /api/v1/assets/{asset_id}/label.png": _ASSET_READ,
    "GET /api/v1/assets/{asset_id}/label.svg": _ASSET_READ,
    "GET /api/v1/assets/{asset_id}/meter-readings": _ASSET_READ,
    "POST /api/v1/assets/{asset_id}/meter-readings": _r((A, D, T), {T: ASSIGNED}),
    # inventory
    "GET /api/v1/parts": _r(STOCK_READERS),
    "POST /api/v1/parts": _r((A, W)),
    "GET /api/v1/parts/low-stock": _r((A, D, W)),
    "GET /api/v1/parts/{part_id}": _r(STOCK_READERS),
    "PATCH /api/v1/parts/{part_id}": _r((A, W)),
    "GET /api/v1/parts/{part_id}/ledger": _r(STOCK_READERS, {T: OWN_VAN}),
    "GET /api/v1/stock-locations": _r(STOCK_READERS, {T: OWN_VAN}),
    "POST /api/v1/stock-locations": _r((A, W)),
    "GET /api/v1/stock-locations/{location_id}": _r(STOCK_READERS, {T: OWN_VAN}),
    "PATCH /api/v1/stock-locations/{location_id}": _r((A, W)),
    "GET /api/v1/stock-levels": _r(STOCK_READERS, {T: OWN_VAN}),
    "GET /api/v1/stock-movements": _r(STOCK_READERS, {T: OWN_VAN}),
    "POST /api/v1/stock-movements": _r((A, W, T), {T: OWN_VAN}),
    "GET /api/v1/stock-movements/{movement_id}": _r(STOCK_READERS, {T: OWN_VAN}),
    "GET /api/v1/reservations": _r(STOCK_READERS, {T: OWN_VAN}),
    "POST /api/v1/reservations": _r((A, W)),
    "GET /api/v1/reservations/{reservation_id}": _r(STOCK_READERS, {T: OWN_VAN}),
    "POST /api/v1/reservations/{reservation_id}/release": _r((A, W)),
    # dispatch
    "GET /api/v1/technicians": _r(OFFICE),
    "POST /api/v1/technicians": _r((A,)),
    "GET /api/v1/technicians/{technician_id}": _r((A, D, T), {T: SELF}),
    "PATCH /api/v1/technicians/{technician_id}": _r((A,)),
    "GET /api/v1/technicians/{technician_id}/availability": _r((A, D, T), {T: SELF}),
    "GET /api/v1/technicians/{technician_id}/exceptions": _r((A, D, T), {T: SELF}),
    "POST /api/v1/technicians/{technician_id}/exceptions": _r(OFFICE),
    "DELETE /api/v1/technicians/{technician_id}/exceptions/{exception_id}": _r(OFFICE),
    "GET /api/v1/territories": _r(OFFICE),
    "POST /api/v1/territories": _r((A,)),
    "GET /api/v1/territories/{territory_id}": _r(OFFICE),
    "PATCH /api/v1/territories/{territory_id}": _r((A,)),
    "GET /api/v1/work-orders/{work_order_id}/candidates": _r(OFFICE),
    "PUT /api/v1/work-orders/{work_order_id}/assignment": _r(OFFICE),
    "GET /api/v1/dispatch/plans": _r(OFFICE),
    "POST /api/v1/dispatch/plans": _r(OFFICE),
    "GET /api/v1/dispatch/plans/{run_id}": _r(OFFICE),
    "POST /api/v1/dispatch/plans/{run_id}/apply": _r(OFFICE),
    "POST /api/v1/dispatch/insertions": _r(OFFICE),
    "POST /api/v1/dispatch/replans": _r(OFFICE),
    "POST /api/v1/dispatch/releases": _r(OFFICE),
    "GET /api/v1/dispatch/board": _r(OFFICE),
    "GET /api/v1/dispatch/pick-lists": _r((A, D, W)),
    "POST /api/v1/dispatch/pick-lists/fulfilment": _r((A, W)),
    # mobile (the technician's phone): only jobs assigned to the caller
    "GET /mobile/v1/me/jobs": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/status": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/check-in": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/check-out": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/parts-used": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/complete": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/photos": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/me/location": _r((T,)),
    "PUT /mobile/v1/devices": _r((T,)),
    "POST /mobile/v1/sync": _r((T,), {T: ASSIGNED}),
    # everyone's own inbox, devices and language
    "GET /api/v1/me/notifications": _r(EVERYONE),
    "GET /api/v1/me/notifications/unread-count": _r(EVERYONE),
    "POST /api/v1/me/notifications/{notification_id}/read": _r(EVERYONE),
    "POST /api/v1/me/notifications/read-all": _r(EVERYONE),
    "PUT /api/v1/me/devices": _r(EVERYONE),
    "PUT /api/v1/me/locale": _r(EVERYONE),
    "GET /api/v1/events/stream": _r(OFFICE),
    # customer tracking links (the token is the credential)
    "GET /t/{token}": _r(PUBLIC),
    "GET /t/{token}.json": _r(PUBLIC),
    "DELETE /t/{token}": _r(PUBLIC),
    "GET /api/v1/work-orders/{work_order_id}/tracking": _WO,
    "POST /api/v1/work-orders/{work_order_id}/tracking/revoke": _r((A, D, C), {C: ACCOUNT}),
    # maintenance: plans, occurrences, checklists, failure codes, knowledge, reliability
    "GET /api/v1/maintenance/plans": _r(OFFICE),
    "POST /api/v1/maintenance/plans": _r(OFFICE),
    "GET /api/v1/maintenance/plans/{plan_id}": _r(OFFICE),
    "PATCH /api/v1/maintenance/plans/{plan_id}": _r(OFFICE),
    "GET /api/v1/maintenance/plans/{plan_id}/forecasts": _r(OFFICE),
    "POST /api/v1/maintenance/generate": _r(OFFICE),
    "GET /api/v1/maintenance/occurrences": _r(EVERYONE, {C: ACCOUNT}),
    "POST /api/v1/maintenance/occurrences/{occurrence_id}/skip": _r(OFFICE),
    "GET /api/v1/maintenance/checklist-templates": _r((A, D, W, T)),
    "POST /api/v1/maintenance/checklist-templates": _r(OFFICE),
    "GET /api/v1/maintenance/checklist-templates/{template_id}": _r((A, D, W, T)),
    "POST /api/v1/maintenance/checklist-templates/{template_id}/versions": _r(OFFICE),
    "GET /api/v1/work-orders/{work_order_id}/checklist": _WO,
    "PUT /api/v1/work-orders/{work_order_id}/checklist": _r(OFFICE),
    "GET /api/v1/maintenance/reliability/assets/{asset_id}": _r(OFFICE),
    "GET /api/v1/maintenance/reliability/equipment-models/{model_id}": _r(OFFICE),
    "GET /api/v1/maintenance/reliability/rising": _r(OFFICE),
    "GET /api/v1/maintenance/failure-codes": _r((A, D, W, T)),
    "POST /api/v1/maintenance/failure-codes": _r(OFFICE),
    "GET /api/v1/maintenance/articles": _r((A, D, T)),
    "POST /api/v1/maintenance/articles": _r(OFFICE),
    "GET /api/v1/maintenance/articles/{article_id}": _r((A, D, T)),
    "PATCH /api/v1/maintenance/articles/{article_id}": _r(OFFICE),
    "PUT /api/v1/maintenance/articles/{article_id}/rating": _r((A, D, T)),
    "POST /api/v1/maintenance/articles/{article_id}/solutions": _r((A, D, T)),
    "GET /api/v1/work-orders/{work_order_id}/suggested-articles": _r((A, D, T), {T: ASSIGNED}),
    "GET /mobile/v1/jobs/{job_id}/checklist": _r((T,), {T: ASSIGNED}),
    "POST /mobile/v1/jobs/{job_id}/checklist": _r((T,), {T: ASSIGNED}),
    "GET /mobile/v1/jobs/{job_id}/articles": _r((T,), {T: ASSIGNED}),
    # reports
    "GET /api/v1/reports/kpis": _r((A, D, C), {C: ACCOUNT}),
    "GET /api/v1/reports/kpis/series": _r((A, D, C), {C: ACCOUNT}),
    "GET /api/v1/work-orders/{work_order_id}/service-report.pdf": _r(
        (A, D, T, C), _CUSTOMER_AND_TECH),
    # integrations: webhooks (admins), inbound e-mail and automation rules (office)
    "GET /api/v1/webhooks/event-types": _r((A,)),
    "GET /api/v1/webhooks": _r((A,)),
    "POST /api/v1/webhooks": _r((A,)),
    "GET /api/v1/webhooks/{subscription_id}": _r((A,)),
    "PATCH /api/v1/webhooks/{subscription_id}": _r((A,)),
    "DELETE /api/v1/webhooks/{subscription_id}": _r((A,)),
    "POST /api/v1/webhooks/{subscription_id}/secret": _r((A,)),
    "POST /api/v1/webhooks/{subscription_id}/ping": _r((A,)),
    "GET /api/v1/webhooks/{subscription_id}/deliveries": _r((A,)),
    "POST /api/v1/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver": _r((A,)),
    "GET /api/v1/inbound-emails": _r(OFFICE),
    "GET /api/v1/inbound-emails/{inbound_id}": _r(OFFICE),
    "POST /api/v1/inbound-emails/{inbound_id}/file": _r(OFFICE),
    "POST /api/v1/inbound-emails/{inbound_id}/reject": _r(OFFICE),
    "GET /api/v1/automation-rules": _r(OFFICE),
    "POST /api/v1/automation-rules": _r(OFFICE),
    "GET /api/v1/automation-rules/{rule_id}": _r(OFFICE),
    "PATCH /api/v1/automation-rules/{rule_id}": _r(OFFICE),
    "DELETE /api/v1/automation-rules/{rule_id}": _r(OFFICE),
    "GET /api/v1/automation-rules/{rule_id}/firings": _r(OFFICE),
})

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_PLACEHOLDER = r"{\1}"


@lru_cache(maxsize=1024)
def operation(method: str, flask_rule: str) -> str:
    """The table's key for a Flask URL rule: `/x/<id:x_id>` -> `METHOD /x/{x_id}`."""
    return f"{method.upper()} {_CONVERTER.sub(_PLACEHOLDER, flask_rule)}"


def rule_for(method: str, flask_rule: str) -> Rule | None:
    return POLICY.get(operation(method, flask_rule))
