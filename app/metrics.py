"""Prometheus metrics: request latency per endpoint and status, and the state of the queues.

Request latency is a histogram observed in every web process; under gunicorn set
`PROMETHEUS_MULTIPROC_DIR` (an empty directory, before start) so that the workers' values are
written there and every scrape sums them (prometheus_client's multiprocess mode;
gunicorn.conf.py marks exited workers dead). The queue figures (outbox depth and age, plan runs
by status, work orders by state) are read from the database at scrape time, so any worker
answers the same.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

REQUEST_LATENCY = Histogram(
    "fieldops_http_request_duration_seconds",
    "Time from the request's arrival in the application to its response.",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
_LOCAL_ADDRESSES = {"127.0.0.1", "::1"}
_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def init_metrics(app: Flask) -> None:
    app.after_request(_observe_request)


def _observe_request(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        rule = request.url_rule
        REQUEST_LATENCY.labels(
            method=request.method,
            endpoint=rule.rule if rule is not None else "unmatched",
            status=str(response.status_code),
        ).observe(time.perf_counter() - started)
    return response


def metrics_allowed() -> bool:
    """From this host (not relayed by a proxy, which would make every client look local), or
    with the configured bearer token."""
    token = current_app.config.get("METRICS_TOKEN")
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(
            auth.removeprefix("Bearer ").encode(), token.encode()):
        return True
    proxied = any(name in request.headers for name in _PROXY_HEADERS)
    return request.remote_addr in _LOCAL_ADDRESSES and not proxied


class QueueCollector(Collector):
    """Reads the queue figures from the database when scraped."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("fieldops_database_up",
                               "1 when the database answered the metrics queries.")
        try:
            families = list(self._queue_families())
        except Exception:  # a scrape reports a database outage, it does not fail with it
            from app.db_lifecycle import close_request_session

            close_request_session()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _queue_families(self) -> Iterable[GaugeMetricFamily]:
        from app.db import utcnow
        from app.dispatch.models import OptimizationRun, RunStatus
        from app.notifications.models import Notification, NotificationStatus
        from app.workorders.models import Status, WorkOrder

        pending, oldest = self.session.execute(
            select(func.count(), func.min(Notification.created_at))
            .where(Notification.status == NotificationStatus.pending)).one()
        depth = GaugeMetricFamily("fieldops_outbox_pending",
                                  "Notifications waiting in the outbox to be delivered.")
        depth.add_metric([], pending)
        yield depth
        age = GaugeMetricFamily("fieldops_outbox_oldest_pending_age_seconds",
                                "Age of the oldest notification still pending (0 when none).")
        if oldest is not None and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        age.add_metric([], max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0)
        yield age
        yield self._by_status("fieldops_plan_runs", "Optimizer plan runs by status.",
                              OptimizationRun.status, [s.value for s in RunStatus])
        yield self._by_status("fieldops_work_orders", "Work orders by state.",
                              WorkOrder.status, [s.value for s in Status])
        self.session.rollback()  # read-only; end the transaction now

    def _by_status(self, name: str, doc: str, column: Any,
                   known: list[str]) -> GaugeMetricFamily:
        counts = dict(self.session.execute(
            select(column, func.count()).group_by(column)).tuples().all())
        family = GaugeMetricFamily(name, doc, labels=["status"])
        for status in [*known, *sorted(set(counts) - set(known))]:
            family.add_metric([status], counts.get(status, 0))
        return family


def render_metrics(session: Any) -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    queues = CollectorRegistry()
    queues.register(QueueCollector(session))
    body = generate_latest(process_registry) + generate_latest(queues)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
