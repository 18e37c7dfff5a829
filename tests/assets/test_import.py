"""CSV import: all rows or nothing; every bad row reported with its line number."""

import io
import json

import pytest
from sqlalchemy import func, select

from app.assets.models import Asset, Site
from tests.conftest import assert_error

HEADER = ("customer_account,site_name,address_line,city,lat,lng,tag,manufacturer,model,"
          "parent_tag,status,criticality,install_date,warranty_end\n")


@pytest.fixture
def catalogue(make_customer, make_equipment_model):
    customer = make_customer(account_number="C-IMPORT")
    model = make_equipment_model(manufacturer="Trane", model="RTAF")
    return customer, model


def _upload(api, text, encoding="utf-8"):
    return api.post("/api/v1/assets/import", data={
        "file": (io.BytesIO(text.encode(encoding)), "assets.csv")},
        content_type="multipart/form-data")


def _count(db_session, model):
    return db_session.scalar(select(func.count()).select_from(model))


def test_good_file_creates_sites_assets_and_hierarchy(login, catalogue, db_session):
    csv = HEADER + (
        "C-IMPORT,Werk Nord,Ingolstädter Straße 1,München,48.20,11.58,PLANT-1,Trane,RTAF,,,4,"
        "2021-01-01,2026-01-01\n"
        "C-IMPORT,Werk Nord,,,,,CH-1,Trane,RTAF,PLANT-1,down,5,,\n"
        "C-IMPORT,Werk Süd,Tegernseer Landstraße 5,München,48.10,11.58,CH-2,Trane,RTAF,,,,,\n")
    r = _upload(login("dispatcher"), csv)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"rows": 3, "sites_created": 2, "assets_created": 3}
    api = login("dispatcher")
    child = api.get("/api/v1/assets/by-tag/CH-1").get_json()
    parent = api.get("/api/v1/assets/by-tag/PLANT-1").get_json()
    assert child["parent_id"] == parent["id"] and child["site_id"] == parent["site_id"]
    assert child["status"] == "down" and child["status_history"][0]["reason"] == "imported"
    assert child["site"]["location"] == {"lat": 48.2, "lng": 11.58}


def test_bad_rows_are_all_listed_and_nothing_is_written(login, catalogue, db_session,
                                                         make_asset):
    make_asset(tag="TAKEN-1")
    before = (_count(db_session, Asset), _count(db_session, Site))
    csv = HEADER + (
        "C-IMPORT,Werk Nord,Straße 1,München,48.2,11.58,OK-1,Trane,RTAF,,,,,\n"
        "C-NOPE,Werk X,Straße 1,München,48.2,11.58,BAD-1,Trane,RTAF,,,,,\n"
        "C-IMPORT,Werk Nord,,,,,TAKEN-1,Trane,RTAF,,,,,\n"
        "C-IMPORT,Werk Nord,,,,,BAD-3,Acme,Nothing,,broken,9,2020-13-01,\n"
        "C-IMPORT,Werk Ost,Straße 2,München,95,11.58,BAD-4,Trane,RTAF,,,,,\n"
        "C-IMPORT,Werk Nord,,,,,OK-1,Trane,RTAF,,,,,\n"
        "C-IMPORT,Werk Süd,Straße 3,München,48.1,11.5,BAD-6,Trane,RTAF,OK-1,,,,\n"
        "C-IMPORT,Werk Nord,,,,,CYC-A,Trane,RTAF,CYC-B,,,,\n"
        "C-IMPORT,Werk Nord,,,,,CYC-B,Trane,RTAF,CYC-A,,,,\n")
    body = assert_error(_upload(login("admin"), csv), 422, "invalid_rows")
    rows = {row["line"]: row["errors"] for row in body["errors"]["rows"]}
    assert set(rows) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "customer_account" in rows[3]
    assert "tag" in rows[4]
    assert {"model", "status", "criticality", "install_date"} <= set(rows[5])
    assert "lat" in rows[6]
    assert "Duplicate of line 2" in rows[7]["tag"][0]
    assert "another site" in rows[8]["parent_tag"][0]
    assert "Cycle" in rows[9]["parent_tag"][0] and "Cycle" in rows[10]["parent_tag"][0]
    assert (_count(db_session, Asset), _count(db_session, Site)) == before


@pytest.mark.parametrize("payload, error", [
    ("customer_account,site_name\nC-IMPORT,x\n", "invalid_columns"),
    (HEADER.replace("tag,", "tagg,"), "invalid_columns"),
    (HEADER, "empty_file"),
])
def test_bad_headers_and_empty_files(login, catalogue, payload, error):
    body = assert_error(_upload(login("admin"), payload), 422, error)
    if error == "invalid_columns":
        assert body["errors"]


def test_wrong_encoding_is_refused(login, catalogue):
    csv = HEADER + "C-IMPORT,Werk Süd,Straße 1,München,48.2,11.58,ENC-1,Trane,RTAF,,,,,\n"
    assert_error(_upload(login("admin"), csv, encoding="utf-16"), 422, "invalid_encoding")
    assert_error(_upload(login("admin"), csv, encoding="latin-1"), 422, "invalid_encoding")


def test_missing_file_field_is_422(login):
    r = login("admin").post("/api/v1/assets/import", data={}, content_type="multipart/form-data")
    assert_error(r, 422)


@pytest.mark.parametrize("role", ["warehouse", "technician", "customer"])
def test_only_writers_import(login, role):
    assert_error(_upload(login(role), HEADER), 403)


def test_ten_thousand_rows_in_one_request(login, catalogue, db_session):
    lines = [HEADER]
    for n in range(10_000):
        site = n // 50
        place = f",Straße {site},München,{48 + site * 0.001:.4f},11.5" if n % 50 == 0 else ",,,,"
        lines.append(f"C-IMPORT,Site {site}{place},BULK-{n:05d},Trane,RTAF,"
                     f"{f'BULK-{n - 1:05d}' if n % 50 else ''},,,,\n")
    r = _upload(login("admin"), "".join(lines))
    assert r.status_code == 201, json.dumps(r.get_json())[:500]
    assert r.get_json() == {"rows": 10_000, "sites_created": 200, "assets_created": 10_000}
    last = login("admin").get("/api/v1/assets/by-tag/BULK-09999").get_json()
    assert last["parent_id"] is not None
