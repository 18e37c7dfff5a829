"""Customers, sites, skills, equipment models and assets over HTTP: rules, roles, ownership."""

import pytest

from tests.conftest import assert_error
from tests.workorders.conftest import make_work_order  # noqa: F401  (fixture)

SITE = {"name": "Plant room", "address_line": "Leopoldstraße 10", "city": "München",
        "location": {"lat": 48.16, "lng": 11.586},
        "opening_hours": {"mon": [["07:00", "17:00"]], "sat": [["08:00", "12:00"]]}}


def test_dispatcher_creates_customer_site_model_and_asset(login, make_skill):
    api = login("dispatcher")
    make_skill("refrigeration")
    customer = api.post("/api/v1/customers", json={"account_number": "C-1", "name": "Isar AG",
                                                   "sla_tier": "gold"})
    assert customer.status_code == 201
    site = api.post("/api/v1/sites", json={**SITE, "customer_id": customer.get_json()["id"]})
    assert site.status_code == 201, site.get_json()
    assert site.get_json()["location"] == {"lat": 48.16, "lng": 11.586}
    model = api.post("/api/v1/equipment-models", json={
        "manufacturer": "Carrier", "model": "30XA", "category": "chiller",
        "skills": [{"skill": "refrigeration", "min_level": 3}]})
    assert model.status_code == 201
    assert model.get_json()["skills"] == [{"skill": "refrigeration", "min_level": 3}]
    asset = api.post("/api/v1/assets", json={
        "tag": "ch-0001", "site_id": site.get_json()["id"],
        "equipment_model_id": model.get_json()["id"], "criticality": 5,
        "install_date": "2020-05-01", "warranty_end": "2027-05-01"})
    assert asset.status_code == 201, asset.get_json()
    body = asset.get_json()
    assert body["tag"] == "CH-0001" and body["under_warranty"] is True
    assert body["customer_id"] == customer.get_json()["id"]


@pytest.mark.parametrize("role", ["warehouse", "technician", "customer"])
def test_only_admins_and_dispatchers_write_assets(login, make_site, make_equipment_model, role):
    api = login(role)
    site = make_site()
    body = {"tag": "X-100", "site_id": site.id, "equipment_model_id": make_equipment_model().id}
    assert_error(api.post("/api/v1/assets", json=body), 403, "forbidden")
    assert_error(api.post("/api/v1/customers", json={"account_number": "Z", "name": "Z"}), 403)
    assert_error(api.post("/api/v1/sites", json={**SITE, "customer_id": site.customer_id}), 403)


def test_warehouse_reads_assets(login, make_asset):
    asset = make_asset()
    api = login("warehouse")
    assert api.get(f"/api/v1/assets/{asset.id}").status_code == 200
    assert any(a["id"] == asset.id for a in api.get("/api/v1/assets?page_size=500").get_json())


def test_customer_sees_only_own_account(login, make_asset, make_site, make_customer):
    mine, theirs = make_customer(), make_customer()
    my_asset = make_asset(site=make_site(customer=mine))
    their_asset = make_asset(site=make_site(customer=theirs))
    api = login("customer", customer_id=mine.id)
    listed = {a["id"] for a in api.get("/api/v1/assets?page_size=500").get_json()}
    assert my_asset.id in listed and their_asset.id not in listed
    assert api.get(f"/api/v1/assets/{my_asset.id}").status_code == 200
    # another account's things answer 404, exactly like things that do not exist
    for path in (f"/api/v1/assets/{their_asset.id}", f"/api/v1/assets/by-tag/{their_asset.tag}",
                 f"/api/v1/assets/{their_asset.id}/label.png",
                 f"/api/v1/assets/{their_asset.id}/label.svg",
                 f"/api/v1/assets/{their_asset.id}/meter-readings",
                 f"/api/v1/sites/{their_asset.site_id}", f"/api/v1/customers/{theirs.id}"):
        assert_error(api.get(path), 404, "not_found")
    assert {c["id"] for c in api.get("/api/v1/customers").get_json()} == {mine.id}
    assert {s["customer_id"] for s in api.get("/api/v1/sites").get_json()} == {mine.id}


def test_by_tag_resolves_case_insensitively_with_history(login, make_asset, make_user,
                                                         make_work_order):  # noqa: F811
    asset = make_asset(tag="LIFT-7")
    tech = make_user("technician")  # technicians see the assets at their jobs' sites
    make_work_order(asset=asset, status="scheduled", assignee=tech)
    r = login(tech).get("/api/v1/assets/by-tag/lift-7")
    assert r.status_code == 200
    body = r.get_json()
    assert body["id"] == asset.id
    assert body["site"]["location"]["lat"] == pytest.approx(48.1374)
    assert_error(login(tech).get("/api/v1/assets/by-tag/NOPE-1"), 404)


def test_duplicate_tag_is_409_and_nothing_written(login, make_asset, make_site,
                                                  make_equipment_model):
    existing = make_asset(tag="DUP-1")
    api = login("dispatcher")
    r = api.post("/api/v1/assets", json={"tag": "dup-1", "site_id": existing.site_id,
                                          "equipment_model_id": existing.equipment_model_id})
    assert_error(r, 409, "duplicate_tag")
    assert len(api.get("/api/v1/assets?q=dup-1").get_json()) == 1


def test_unknown_model_and_site_are_422(login, make_site):
    api = login("dispatcher")
    site = make_site()
    assert_error(api.post("/api/v1/assets", json={"tag": "NEW-1", "site_id": site.id,
                                                  "equipment_model_id": 99999}), 422)
    assert_error(api.post("/api/v1/assets", json={"tag": "NEW-1", "site_id": 99999,
                                                  "equipment_model_id": 1}), 422)
    assert api.get("/api/v1/assets?q=NEW-1").get_json() == []


def test_parent_on_other_site_and_cycles_are_refused(login, make_asset, make_site):
    api = login("dispatcher")
    plant = make_asset()
    chiller = make_asset(site=plant.site, parent_id=plant.id)
    elsewhere = make_asset()
    r = api.patch(f"/api/v1/assets/{elsewhere.id}", json={"parent_id": plant.id})
    assert_error(r, 422, "parent_on_other_site")
    r = api.patch(f"/api/v1/assets/{plant.id}", json={"parent_id": chiller.id})
    assert_error(r, 422, "hierarchy_cycle")
    r = api.patch(f"/api/v1/assets/{plant.id}", json={"parent_id": plant.id})
    assert_error(r, 422, "hierarchy_cycle")
    detail = api.get(f"/api/v1/assets/{plant.id}").get_json()
    assert detail["parent_id"] is None
    assert [c["id"] for c in detail["children"]] == [chiller.id]


def test_status_changes_are_kept_with_who_and_why(login, make_asset):
    api = login("dispatcher")
    asset = make_asset()
    api.patch(f"/api/v1/assets/{asset.id}", json={"status": "down",
                                                  "status_reason": "compressor failed"})
    api.patch(f"/api/v1/assets/{asset.id}", json={"status": "operational"})
    history = api.get(f"/api/v1/assets/{asset.id}").get_json()["status_history"]
    assert [(h["from_status"], h["to_status"]) for h in history[-2:]] == [
        ("operational", "down"), ("down", "operational")]
    assert history[-2]["reason"] == "compressor failed"
    assert history[-2]["changed_by_id"] == api.user.id


@pytest.mark.parametrize("location", [{"lat": 91, "lng": 0}, {"lat": 0, "lng": -180.5},
                                      {"lat": "x", "lng": 1}, {"lat": 1}])
def test_site_point_out_of_range_is_422(login, make_customer, location):
    r = login("admin").post("/api/v1/sites", json={**SITE, "customer_id": make_customer().id,
                                                   "location": location})
    assert_error(r, 422, "validation_error")


@pytest.mark.parametrize("hours", [{"mon": [["17:00", "08:00"]]}, {"mon": [["8:00", "17:00"]]},
                                   {"mon": [["08:00"]]}, {"xyz": [["08:00", "09:00"]]}])
def test_opening_hours_that_end_before_they_start_are_422(login, make_customer, hours):
    r = login("admin").post("/api/v1/sites", json={**SITE, "customer_id": make_customer().id,
                                                   "opening_hours": hours})
    assert_error(r, 422, "validation_error")


def test_unknown_skill_on_equipment_model_is_422(login):
    r = login("admin").post("/api/v1/equipment-models", json={
        "manufacturer": "KONE", "model": "X", "category": "lift",
        "skills": [{"skill": "levitation", "min_level": 2}]})
    body = assert_error(r, 422, "validation_error")
    assert "levitation" in body["message"]


def test_skills_admin_only_write(login):
    assert_error(login("dispatcher").post("/api/v1/skills", json={"code": "hvac", "name": "H"}),
                 403)
    assert login("admin").post("/api/v1/skills", json={"code": "hvac",
                                                       "name": "HVAC"}).status_code == 201
    assert_error(login("admin").post("/api/v1/skills", json={"code": "hvac", "name": "H"}), 409)
    assert_error(login("customer").get("/api/v1/skills"), 403)


def test_meter_readings_only_count_up_unless_replaced(login, make_asset, make_user,
                                                      make_work_order):  # noqa: F811
    asset = make_asset()
    tech = make_user("technician")
    make_work_order(asset=asset, status="scheduled", assignee=tech)
    api = login(tech)
    url = f"/api/v1/assets/{asset.id}/meter-readings"
    assert api.post(url, json={"meter": "running_hours", "value": "1200.5"}).status_code == 201
    assert_error(api.post(url, json={"meter": "running_hours", "value": "1100"}), 422,
                 "meter_went_backwards")
    assert api.post(url, json={"meter": "cycles", "value": "5"}).status_code == 201
    replaced = api.post(url, json={"meter": "running_hours", "value": "3",
                                   "is_replacement": True})
    assert replaced.status_code == 201
    readings = api.get(url).get_json()
    assert [r["value"] for r in readings if r["meter"] == "running_hours"] == ["3.00", "1200.50"]
    assert_error(login("warehouse").post(url, json={"meter": "cycles", "value": "9"}), 403)
    assert_error(login("customer").post(url, json={"meter": "cycles", "value": "9"}), 403)


def test_list_filters(login, make_asset, make_site):
    api = login("dispatcher")
    site = make_site()
    down = make_asset(site=site, status="down")
    make_asset(site=site)
    r = api.get(f"/api/v1/assets?site_id={site.id}&status=down")
    assert [a["id"] for a in r.get_json()] == [down.id]
