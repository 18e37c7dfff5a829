"""GET /metrics: Prometheus text with request latency per endpoint and status, outbox depth and
age, plan runs by status and work orders by state; only for this host or with the token."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import assert_error


def scrape(client: Any, **kwargs: Any) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def latency_count(samples: dict, endpoint: str, status: str, method: str = "GET") -> float:
    key = ("fieldops_http_request_duration_seconds_count",
           (("endpoint", endpoint), ("method", method), ("status", status)))
    return samples.get(key, 0.0)


def test_request_latency_by_endpoint_and_status(client: Any) -> None:
    before = scrape(client.flask_client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/no-such-thing").status_code == 404
    assert client.get("/api/v1/me").status_code == 401
    after = scrape(client.flask_client)
    assert latency_count(after, "/healthz", "200") - latency_count(before, "/healthz", "200") == 3
    assert latency_count(after, "unmatched", "404") - latency_count(before, "unmatched", "404") \
        == 1
    assert latency_count(after, "/api/v1/me", "401") - latency_count(before, "/api/v1/me",
                                                                     "401") == 1
    bucket = ("fieldops_http_request_duration_seconds_bucket",
              (("endpoint", "/healthz"), ("le", "+Inf"), ("method", "GET"), ("status", "200")))
    assert after[bucket] == latency_count(after, "/healthz", "200")


def test_queue_figures_come_from_the_database(client: Any, db_session: Any, make_user: Any,
                                              make_site: Any) -> None:
    from app.db import utcnow
    from app.dispatch.models import OptimizationRun
    from app.notifications.models import Notification
    from app.workorders import service as workorders

    before = scrape(client.flask_client)
    assert before[("fieldops_database_up", ())] == 1
    user = make_user("technician")
    now = utcnow()
    db_session.add_all([
        Notification(user_id=user.id, kind="test", title="t", body="b",
                     created_at=now - timedelta(seconds=600)),
        Notification(user_id=user.id, kind="test", title="t", body="b", created_at=now),
        Notification(user_id=user.id, kind="test", title="t", body="b", status="sent",
                     created_at=now - timedelta(days=3)),
        OptimizationRun(plan_date=date(2026, 12, 1), status="failed", time_limit_s=1,
                        inputs_digest="0" * 64),
    ])
    workorders.new_work_order(db_session, site=make_site(), asset=None, title="Lift stuck",
                              description="Between floors.", actor=None, priority="P2",
                              type="corrective")
    db_session.commit()

    after = scrape(client.flask_client)
    assert after[("fieldops_outbox_pending", ())] - before[("fieldops_outbox_pending", ())] == 2
    age = after[("fieldops_outbox_oldest_pending_age_seconds", ())]
    assert 600 <= age < 600 + 120
    runs = ("fieldops_plan_runs", (("status", "failed"),))
    assert after[runs] - before[runs] == 1
    assert ("fieldops_plan_runs", (("status", "applied"),)) in after  # zero series exist too
    new = ("fieldops_work_orders", (("status", "new"),))
    assert after[new] - before[new] == 1
    assert ("fieldops_work_orders", (("status", "on_hold"),)) in after


def test_metrics_refused_to_other_hosts_without_the_token(app: Any, client: Any) -> None:
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert_error(client.flask_client.get("/metrics", environ_overrides=remote), 403,
                 "forbidden")
    # Relayed by a proxy on this host: the client is not local.
    assert_error(client.flask_client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}),
                 403, "forbidden")
    app.config["METRICS_TOKEN"] = "s3cret-metrics-token"
    try:
        assert_error(client.flask_client.get(
            "/metrics", environ_overrides=remote,
            headers={"Authorization": "Bearer wrong"}), 403, "forbidden")
        samples = scrape(client.flask_client, environ_overrides=remote,
                         headers={"Authorization": "Bearer s3cret-metrics-token"})
        assert ("fieldops_database_up", ()) in samples
    finally:
        app.config["METRICS_TOKEN"] = None
