"""Issue 13, item 14: the database is the real guard. The stock level's conditional UPDATE is
called directly, with quantities the service pre-check would have refused; and the ratings
summary's account filter is what keeps one customer from another's ratings."""

from __future__ import annotations

import pytest


def test_conditional_take_never_goes_below_zero(db_session, make_part, make_warehouse,
                                                receive, level_of):
    from app.inventory.service import levels

    part, warehouse = make_part(), make_warehouse()
    receive(part, warehouse, 2)
    assert levels.take(db_session, part.id, warehouse.id, 3) is False
    assert level_of(part, warehouse) == (2, 0)
    assert levels.take(db_session, part.id, warehouse.id, 2) is True
    assert level_of(part, warehouse) == (0, 0)
    assert levels.take(db_session, part.id, warehouse.id, 1) is False
    assert level_of(part, warehouse) == (0, 0)


def test_conditional_take_and_hold_respect_reserved_units(db_session, make_part,
                                                          make_warehouse, receive, level_of):
    from app.inventory.service import levels

    part, warehouse = make_part(), make_warehouse()
    receive(part, warehouse, 5)
    assert levels.hold(db_session, part.id, warehouse.id, 3) is True
    assert levels.hold(db_session, part.id, warehouse.id, 3) is False  # only 2 free
    assert level_of(part, warehouse) == (5, 3)
    # 3 unreserved units are not there (2 are): refused, nothing changes.
    assert levels.take(db_session, part.id, warehouse.id, 3) is False
    assert level_of(part, warehouse) == (5, 3)
    # More reserved units than are reserved: refused.
    assert levels.take(db_session, part.id, warehouse.id, 4, from_reserved=4) is False
    assert levels.take(db_session, part.id, warehouse.id, 4, from_reserved=3) is True
    assert level_of(part, warehouse) == (1, 0)
    assert levels.take(db_session, part.id, warehouse.id, 2) is False
    assert level_of(part, warehouse) == (1, 0)


@pytest.fixture
def two_accounts_rated(db_session, make_site, make_asset, make_work_order, make_user):
    """Customer A rated 5 and 4; customer B rated 1."""
    from app.workorders import service

    accounts = []
    for scores in ((5, 4), (1,)):
        site = make_site()
        user = make_user("customer", customer_id=site.customer_id)
        for score in scores:
            order = make_work_order(asset=make_asset(site=site), status="completed")
            service.rate_work_order(db_session, order, score=score, actor=user)
        accounts.append(user)
    db_session.commit()
    return accounts


def test_ratings_summary_shows_a_customer_only_its_account(login, two_accounts_rated):
    a, b = two_accounts_rated
    mine = login(a).get("/api/v1/ratings/summary").get_json()
    assert mine["count"] == 2 and mine["average"] == 4.5 and mine["by_score"]["1"] == 0
    # Naming the other account changes nothing for a customer.
    asked = login(a).get(f"/api/v1/ratings/summary?customer_id={b.customer_id}").get_json()
    assert asked == mine
    theirs = login(b).get("/api/v1/ratings/summary").get_json()
    assert theirs["count"] == 1 and theirs["average"] == 1.0
    everyone = login("dispatcher").get("/api/v1/ratings/summary").get_json()
    assert everyone["count"] == 3
    filtered = login("dispatcher").get(
        f"/api/v1/ratings/summary?customer_id={b.customer_id}").get_json()
    assert filtered == theirs


def test_ratings_summary_service_filter(db_session, two_accounts_rated):
    from app.workorders import service

    a, b = two_accounts_rated
    assert service.ratings_summary(db_session, customer_id=a.customer_id)["count"] == 2
    assert service.ratings_summary(db_session, customer_id=b.customer_id)["count"] == 1
    assert service.ratings_summary(db_session)["count"] == 3


