"""Issue 13, item 10: a technician reads customers, sites, assets, labels and meters only of
work orders assigned to them (anything else is a 404, as for another account), and records
meter readings only there; warehouse notes on a work order are internal."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.workorders.conftest import make_work_order  # noqa: F401  (fixture)

API = "/api/v1"


@pytest.fixture
def scope(make_user, make_site, make_asset, make_work_order):  # noqa: F811
    tech = make_user("technician")
    mine_site, other_site = make_site(), make_site()
    mine, other = make_asset(site=mine_site), make_asset(site=other_site)
    make_work_order(asset=mine, status="scheduled", assignee=tech)
    # Another technician's job on the other account: still not this technician's.
    make_work_order(asset=other, status="scheduled", assignee=make_user("technician"))
    return tech, mine, other


def test_technician_reads_only_what_their_jobs_name(login, scope):
    tech, mine, other = scope
    phone = login(tech)
    for path in (f"/customers/{other.site.customer_id}", f"/sites/{other.site_id}",
                 f"/assets/{other.id}", f"/assets/by-tag/{other.tag}",
                 f"/assets/{other.id}/label.png", f"/assets/{other.id}/label.svg",
                 f"/assets/{other.id}/meter-readings"):
        assert_error(phone.get(API + path), 404, "not_found")
    for path in (f"/customers/{mine.site.customer_id}", f"/sites/{mine.site_id}",
                 f"/assets/{mine.id}", f"/assets/by-tag/{mine.tag}",
                 f"/assets/{mine.id}/label.png", f"/assets/{mine.id}/meter-readings"):
        assert phone.get(API + path).status_code == 200, path
    assert [c["id"] for c in phone.get(f"{API}/customers").get_json()] == \
        [mine.site.customer_id]
    assert [s["id"] for s in phone.get(f"{API}/sites").get_json()] == [mine.site_id]
    assert [a["id"] for a in phone.get(f"{API}/assets").get_json()] == [mine.id]
    near = f"lat={48.1374}&lng={11.5755}&radius_m=5000"
    assert [s["id"] for s in phone.get(f"{API}/sites/nearby?{near}").get_json()] == \
        [mine.site_id]
    assert [a["id"] for a in phone.get(f"{API}/assets/nearby?{near}").get_json()] == [mine.id]


def test_technician_records_meters_only_on_their_jobs_assets(login, scope):
    tech, mine, other = scope
    phone = login(tech)
    reading = {"meter": "hours", "value": "1200"}
    assert_error(phone.post(f"{API}/assets/{other.id}/meter-readings", json=reading), 404)
    assert login("dispatcher").get(f"{API}/assets/{other.id}/meter-readings").get_json() == []
    assert phone.post(f"{API}/assets/{mine.id}/meter-readings", json=reading).status_code == 201


def test_office_and_warehouse_still_read_every_account(login, scope):
    _tech, _mine, other = scope
    for role in ("admin", "dispatcher", "warehouse"):
        assert login(role).get(f"{API}/assets/{other.id}").status_code == 200, role


def test_warehouse_notes_are_never_customer_visible(login, make_work_order):  # noqa: F811
    order = make_work_order()
    store = login("warehouse")
    assert_error(store.post(f"{API}/work-orders/{order.id}/notes",
                            json={"text": "Part shipped", "internal": False}), 403, "forbidden")
    r = store.post(f"{API}/work-orders/{order.id}/notes",
                   json={"text": "Part shipped", "internal": True})
    assert r.status_code == 201 and r.get_json()["internal"] is True
    # The dispatcher may still write to the customer.
    r = login("dispatcher").post(f"{API}/work-orders/{order.id}/notes",
                                 json={"text": "We come tomorrow", "internal": False})
    assert r.status_code == 201 and r.get_json()["internal"] is False
