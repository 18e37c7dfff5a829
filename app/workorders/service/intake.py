"""Fault reports from customers (logged in, or anonymous through an asset's QR label)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, contains_eager

from app.assets.models import Asset, Site
from app.auth.models import Role, User
from app.db import table_of, utcnow
from app.errors import Forbidden, RateLimited, Unprocessable
from app.notifications.service import queue_notification
from app.workorders.models import (
    OPEN_STATES,
    Channel,
    FaultReport,
    RateLimitWindow,
    WorkOrder,
)
from app.workorders.service.editing import check_time_windows, new_work_order
from app.workorders.service.sla import active_dispatchers
from app.workorders.service.timeline import record_event

# The same answer for an unknown tag and another account's tag, so tags cannot be probed.
_UNKNOWN_TAG = "No asset with this tag is known to your account."

# A report's statements, built once (their cache keys with them). The asset's row is
# locked: two reports of the same machine at once open one order, not two (PostgreSQL;
# SQLite serialises writers anyway). The customer's asset by tag, locked as it is read, its
# site with it (the site is read next):
_CUSTOMER_ASSET_BY_TAG = (select(Asset).join(Site).options(contains_eager(Asset.site))
                          .where(Site.customer_id == bindparam("customer_id"),
                                 Asset.tag == bindparam("tag"))
                          .with_for_update(of=Asset))
# a labelled asset's row locked
_LOCK_ASSET = select(Asset.id).where(Asset.id == bindparam("asset_id")).with_for_update()
# the asset's oldest open order, which a new report joins
_OPEN_ORDER_OF_ASSET = (select(WorkOrder)
                        .where(WorkOrder.asset_id == bindparam("asset_id"),
                               WorkOrder.status.in_(OPEN_STATES))
                        .order_by(WorkOrder.created_at, WorkOrder.id).limit(1))


@dataclass(frozen=True)
class FaultReportOutcome:
    work_order: WorkOrder
    merged: bool
    tracking_token: str
    report: FaultReport

    @property
    def tracking_number(self) -> str:
        return self.work_order.number


def _priority_for(asset: Asset | None) -> str:
    """Customers do not choose priorities; critical equipment starts one step higher."""
    return "P2" if asset is not None and asset.criticality >= 4 else "P3"


def _title(description: str, asset: Asset | None) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else "Fault"
    where = f"{asset.tag}: " if asset is not None else ""
    return (where + first_line)[:200]


def _file(session: Session, *, site: Site, asset: Asset | None, description: str,
          contact_name: str | None, contact_phone: str | None,
          time_windows: list[tuple[datetime, datetime]], channel: str,
          actor: User | None, asset_locked: bool = False) -> FaultReportOutcome:
    """File the report; `asset_locked`: the caller read the asset with its row locked."""
    token = secrets.token_urlsafe(24)
    contact = {k: v for k, v in (("name", contact_name), ("phone", contact_phone)) if v}
    existing = None
    if asset is not None:
        if not asset_locked:
            session.execute(_LOCK_ASSET, {"asset_id": asset.id})
        existing = session.scalar(_OPEN_ORDER_OF_ASSET, {"asset_id": asset.id})
    if existing is not None:
        work_order, merged = existing, True
        record_event(session, work_order, "customer_report", actor=actor, data={
            "description": description, "contact": contact, "channel": channel,
            "time_windows": [[a.isoformat(), b.isoformat()] for a, b in time_windows]})
        kind, title = "fault_report_attached", f"{work_order.number}: another fault report"
    else:
        work_order, merged = new_work_order(
            session, site=site, asset=asset, title=_title(description, asset),
            description=description, actor=actor, channel=channel,
            priority=_priority_for(asset), time_windows=time_windows,
            contact_name=contact_name, contact_phone=contact_phone), False
        kind, title = "fault_reported", f"{work_order.number}: new fault report"
    report = FaultReport(work_order_id=work_order.id, channel=channel,
                         reporter_user_id=actor.id if actor else None, merged=merged,
                         description=description, contact=contact,
                         tracking_token_sha256=hashlib.sha256(token.encode()).hexdigest())
    session.add(report)
    dispatchers = active_dispatchers(session)  # as users: the notifications read them
    queue_notification(session, user_ids=[u.id for u in dispatchers], users=dispatchers,
                       kind=kind, title=title, body=description[:500],
                       data={"work_order_id": work_order.id, "number": work_order.number},
                       work_order_id=work_order.id)
    return FaultReportOutcome(work_order, merged, token, report)


def report_fault(session: Session, *, description: str, actor: User,
                 asset_tag: str | None = None, asset_id: int | None = None,
                 site_id: int | None = None, contact_name: str | None = None,
                 contact_phone: str | None = None,
                 time_windows: list[dict[str, datetime]] | None = None) -> FaultReportOutcome:
    """A customer reports a fault on an asset (by tag or id) or a site of its own account; a
    report on an asset with an open work order is attached to that order instead."""
    if actor.role != Role.customer or actor.customer_id is None:
        raise Forbidden("Fault reports come from customer users.")
    windows = check_time_windows(time_windows or [])
    asset: Asset | None = None
    if asset_tag is not None or asset_id is not None:
        if asset_id is None:
            assert asset_tag is not None  # one of the two names the asset
            asset = session.scalar(_CUSTOMER_ASSET_BY_TAG, {
                "customer_id": actor.customer_id, "tag": asset_tag.strip().upper()})
        else:
            stmt = (select(Asset).join(Site).options(contains_eager(Asset.site))
                    .where(Site.customer_id == actor.customer_id, Asset.id == asset_id)
                    .with_for_update(of=Asset))
            if asset_tag is not None:
                stmt = stmt.where(Asset.tag == asset_tag.strip().upper())
            asset = session.scalar(stmt)
        if asset is None:
            field = "asset_tag" if asset_tag is not None else "asset_id"
            raise Unprocessable(_UNKNOWN_TAG, errors={field: ["Unknown."]},
                                error="unknown_asset")
        site = asset.site
        if site_id is not None and site_id != site.id:
            raise Unprocessable("The asset is not at that site.",
                                errors={"site_id": ["Not the asset's site."]})
    else:
        found = session.get(Site, site_id) if site_id is not None else None
        if found is None or found.customer_id != actor.customer_id:
            raise Unprocessable("Name an asset (tag or id) or a site of your account.",
                                errors={"site_id": ["Unknown."]}, error="unknown_site")
        site = found
    return _file(session, site=site, asset=asset, description=description,
                 contact_name=contact_name, contact_phone=contact_phone, time_windows=windows,
                 channel=Channel.customer, actor=actor, asset_locked=True)


def report_fault_by_label(session: Session, *, tag: str, description: str,
                          contact_name: str | None = None, contact_phone: str | None = None,
                          time_windows: list[dict[str, datetime]] | None = None
                          ) -> FaultReportOutcome:
    """Anyone holding the QR label may report a fault on that one asset (no login)."""
    windows = check_time_windows(time_windows or [])
    asset = find_labelled_asset(session, tag)
    if asset is None:
        raise Unprocessable("This label is not recognised.", errors={"tag": ["Unknown."]},
                            error="unknown_asset")
    return _file(session, site=asset.site, asset=asset, description=description,
                 contact_name=contact_name, contact_phone=contact_phone, time_windows=windows,
                 channel=Channel.qr_label, actor=None)


def find_labelled_asset(session: Session, tag: str) -> Asset | None:
    """The asset a public label names; retired machines and inactive sites take no reports."""
    asset = session.scalar(select(Asset).where(Asset.tag == tag.strip().upper()))
    if asset is None or asset.status == "retired" or not asset.site.is_active:
        return None
    return asset


# --- rate limit -----------------------------------------------------------------------------


def count_public_request(session: Session, *, client_address: str, limit: int,
                         window_seconds: int, bucket: str = "fault-report",
                         now: datetime | None = None, refuse: bool = True) -> int:
    """Count one anonymous request of this client address in the current fixed window and
    refuse beyond `limit` (or only report the count, refuse=False). The counter is a database
    row (atomic upsert), so every web process shares it; the caller commits it before handling
    the request, so refused requests (e.g. probing tags) count too."""
    now = now or utcnow()
    epoch = int(now.timestamp()) // window_seconds * window_seconds
    window_start = datetime.fromtimestamp(epoch, UTC)
    key = f"{bucket}:{client_address}"[:120]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = table_of(RateLimitWindow)
    upsert = insert(table).values(key=key, window_start=window_start, hits=1) \
        .on_conflict_do_update(index_elements=["key", "window_start"],
                               set_={"hits": table.c.hits + 1}).returning(table.c.hits)
    hits = int(session.execute(upsert).scalar_one())
    if hits > limit and refuse:
        retry_after = epoch + window_seconds - int(now.timestamp())
        raise RateLimited("Too many reports from your address; try again later.",
                          retry_after_seconds=max(1, retry_after))
    return hits


def purge_rate_limit_windows(session: Session, *, older_than: timedelta,
                             now: datetime | None = None) -> int:
    """Housekeeping for the periodic tick: drop counters of long-past windows."""
    cutoff = (now or utcnow()) - older_than
    result: Any = session.execute(delete(RateLimitWindow)
                                  .where(RateLimitWindow.window_start < cutoff))
    return int(result.rowcount or 0)
