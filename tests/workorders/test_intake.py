"""Fault reports: by tag, id or site of one's own account, duplicate merging, public variant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.errors import Conflict, Forbidden, RateLimited, Unprocessable
from app.workorders import service
from app.workorders.models import FaultReport, WorkOrder, WorkOrderEvent


def _count(db_session, model):
    return db_session.scalar(select(func.count()).select_from(model))


def test_a_report_by_tag_opens_a_work_order_with_model_skills(
        db_session, make_user, make_asset, make_skill, make_equipment_model, make_site):
    hvac = make_skill("hvac-test")
    model = make_equipment_model(skills={hvac: 3}, default_duration_min=90)
    customer = make_user("customer")
    site = make_site(customer=customer_account(db_session, customer))
    asset = make_asset(site=site, equipment_model=model, criticality=5)
    outcome = service.report_fault(db_session, asset_tag=asset.tag.lower(),
                                   description="Compressor is loud\nand hot.", actor=customer,
                                   contact_name="Frau Huber")
    db_session.commit()
    wo = outcome.work_order
    assert not outcome.merged and outcome.tracking_number == wo.number
    assert (wo.customer_id, wo.site_id, wo.asset_id, wo.channel) == (
        customer.customer_id, site.id, asset.id, "customer")
    assert wo.priority == "P2" and wo.estimated_duration_min == 90
    assert [(s.skill_id, s.min_level) for s in wo.skills] == [(hvac.id, 3)]
    assert wo.title == f"{asset.tag}: Compressor is loud"
    report = db_session.scalar(select(FaultReport).where(FaultReport.work_order_id == wo.id))
    assert report.tracking_token_sha256 != outcome.tracking_token  # only a hash is kept


def customer_account(db_session, user):
    from app.assets.models import Customer

    return db_session.get(Customer, user.customer_id)


def test_a_second_report_on_the_same_asset_is_attached_not_duplicated(
        db_session, make_user, make_asset, make_site):
    customer = make_user("customer")
    asset = make_asset(site=make_site(customer=customer_account(db_session, customer)))
    first = service.report_fault(db_session, asset_id=asset.id, description="Leaking",
                                 actor=customer)
    db_session.commit()
    before = _count(db_session, WorkOrder)
    second = service.report_fault(db_session, asset_tag=asset.tag, description="Still leaking",
                                  actor=customer)
    db_session.commit()
    assert second.merged and second.work_order.id == first.work_order.id
    assert _count(db_session, WorkOrder) == before
    entry = db_session.scalar(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == first.work_order.id,
        WorkOrderEvent.kind == "customer_report"))
    assert entry.data["description"] == "Still leaking" and entry.internal is False


def test_a_report_after_the_order_is_completed_opens_a_new_one(
        db_session, make_user, make_asset, make_site, make_work_order):
    customer = make_user("customer")
    asset = make_asset(site=make_site(customer=customer_account(db_session, customer)))
    done = make_work_order(asset=asset, status="completed")
    outcome = service.report_fault(db_session, asset_id=asset.id, description="Again",
                                   actor=customer)
    assert not outcome.merged and outcome.work_order.id != done.id


def test_foreign_and_unknown_tags_get_the_same_answer_and_write_nothing(
        db_session, make_user, make_asset):
    customer = make_user("customer")
    foreign = make_asset()  # another account's asset
    before = _count(db_session, WorkOrder)
    answers = []
    for tag in (foreign.tag, "NO-SUCH-TAG"):
        with pytest.raises(Unprocessable) as refused:
            service.report_fault(db_session, asset_tag=tag, description="x", actor=customer)
        answers.append((refused.value.message, refused.value.error, refused.value.errors))
    assert answers[0] == answers[1]
    with pytest.raises(Unprocessable):
        service.report_fault(db_session, asset_id=foreign.id, description="x", actor=customer)
    with pytest.raises(Unprocessable):
        service.report_fault(db_session, site_id=foreign.site_id, description="x",
                             actor=customer)
    assert _count(db_session, WorkOrder) == before


def test_time_windows_in_the_past_or_reversed_are_refused(db_session, make_user, make_asset,
                                                          make_site):
    customer = make_user("customer")
    asset = make_asset(site=make_site(customer=customer_account(db_session, customer)))
    now = utcnow()
    for window in ({"start": now - timedelta(hours=3), "end": now - timedelta(hours=1)},
                   {"start": now + timedelta(hours=3), "end": now + timedelta(hours=1)}):
        with pytest.raises(Unprocessable):
            service.report_fault(db_session, asset_id=asset.id, description="x",
                                 actor=customer, time_windows=[window])
    ok = service.report_fault(db_session, asset_id=asset.id, description="x", actor=customer,
                              time_windows=[{"start": now + timedelta(days=1),
                                             "end": now + timedelta(days=1, hours=4)}])
    assert [(w.start_at, w.end_at) for w in ok.work_order.time_windows] == [
        (now + timedelta(days=1), now + timedelta(days=1, hours=4))]


def test_staff_cannot_file_customer_reports(db_session, make_user, make_asset):
    with pytest.raises(Forbidden):
        service.report_fault(db_session, asset_id=make_asset().id, description="x",
                             actor=make_user("dispatcher"))


def test_the_public_label_report_needs_only_the_tag(db_session, make_asset):
    asset = make_asset()
    outcome = service.report_fault_by_label(db_session, tag=asset.tag, description="Smoke!")
    assert outcome.work_order.channel == "qr_label" and outcome.report.reporter_user_id is None
    retired = make_asset(status="retired")
    with pytest.raises(Unprocessable):
        service.report_fault_by_label(db_session, tag=retired.tag, description="x")


def test_the_public_rate_limit_counts_per_address_and_window(db_session):
    now = utcnow()
    for n in range(1, 4):
        assert service.count_public_request(db_session, client_address="10.0.0.1", limit=3,
                                            window_seconds=60, now=now) == n
    with pytest.raises(RateLimited):
        service.count_public_request(db_session, client_address="10.0.0.1", limit=3,
                                     window_seconds=60, now=now)
    assert service.count_public_request(db_session, client_address="10.0.0.2", limit=3,
                                        window_seconds=60, now=now) == 1
    assert service.count_public_request(db_session, client_address="10.0.0.1", limit=3,
                                        window_seconds=60, now=now + timedelta(seconds=61)) == 1


def test_rating_once_and_only_after_completion(db_session, make_work_order, make_user):
    work_order = make_work_order(status="on_site")
    customer = make_user("customer", customer_id=work_order.customer_id)
    with pytest.raises(Conflict) as early:
        service.rate_work_order(db_session, work_order, score=5, comment=None, actor=customer)
    assert early.value.error == "not_completed"
    work_order.status = "completed"
    db_session.commit()
    service.rate_work_order(db_session, work_order, score=4, comment="Quick and tidy.",
                            actor=customer)
    db_session.commit()
    with pytest.raises(Conflict) as twice:
        service.rate_work_order(db_session, work_order, score=1, comment=None, actor=customer)
    assert twice.value.error == "already_rated"
    assert service.ratings_summary(db_session, customer_id=work_order.customer_id) == {
        "count": 1, "average": 4.0, "by_score": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}
    other = make_user("customer")
    with pytest.raises(Forbidden):
        service.rate_work_order(db_session, work_order, score=1, comment=None, actor=other)
