"""The published contract and what is validated agree (issue 13, item 13): the X-Pagination
header as documented, PATCH needs a body, strict booleans, `q` matches literally, site time
zones are IANA names, territories are simple polygons."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import assert_error


def test_pagination_header_is_documented_as_the_json_string_it_is(login: Any,
                                                                  make_customer: Any) -> None:
    admin = login("admin")
    make_customer()
    response = admin.get("/api/v1/customers?page_size=1")
    metadata = json.loads(response.headers["X-Pagination"])
    assert metadata["page"] == 1 and metadata["total"] >= 1
    spec = admin.get("/openapi.json").get_json()
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["schema"]["type"] == "string"
    for field in ("total", "total_pages", "page", "next_page"):
        assert field in header["description"]


@pytest.mark.parametrize("path_template", [
    "/api/v1/customers/{customer}",
    "/api/v1/sites/{site}",
])
def test_patch_without_body_is_refused(login: Any, make_site: Any, path_template: str) -> None:
    site = make_site()
    path = path_template.format(customer=site.customer_id, site=site.id)
    admin = login("admin")
    assert_error(admin.patch(path), 422, "validation_error")
    assert_error(admin.patch(path, headers={"Content-Type": "application/json"}), 422)


@pytest.mark.parametrize("value", [1, 0, "true", "1", "yes"])
def test_body_booleans_are_strict(login: Any, make_customer: Any, value: Any) -> None:
    customer = make_customer()
    response = login("admin").patch(f"/api/v1/customers/{customer.id}",
                                    json={"is_active": value})
    body = assert_error(response, 422, "validation_error")
    assert "is_active" in json.dumps(body["errors"])


@pytest.mark.parametrize("value", ["1", "0", "yes", "on", "True"])
def test_query_booleans_are_strict(login: Any, value: str) -> None:
    assert_error(login("admin").get(f"/api/v1/users?is_active={value}"), 422)


def test_query_booleans_true_false_still_work(login: Any) -> None:
    admin = login("admin")
    assert admin.get("/api/v1/users?is_active=true").status_code == 200
    assert admin.get("/api/v1/users?is_active=false").status_code == 200


@pytest.mark.parametrize("path,make", [
    ("/api/v1/customers", "customer"),
    ("/api/v1/sites", "site"),
    ("/api/v1/users", "user"),
])
def test_q_matches_wildcards_literally(login: Any, make_customer: Any, make_site: Any,
                                       make_user: Any, path: str, make: str) -> None:
    admin = login("admin")
    if make == "user":
        make_user("dispatcher", full_name="Fifty% user")
    elif make == "customer":
        make_customer(name="Plain name")
        make_customer(name="Fifty% off")
    elif make == "site":
        make_site(name="Plain site")
        make_site(name="Fifty% site")
    for q, expect in (("%", 1), ("_", 0), ("\\", 0)):
        response = admin.get(path, query_string={"q": q, "page_size": 500})
        assert response.status_code == 200, response.get_json()
        assert len(response.get_json()) == expect, (q, response.get_json())


@pytest.mark.parametrize("zone", ["../../../../etc/localtime", "Mars/Olympus", "posix/../UTC",
                                  "/etc/localtime"])
def test_site_timezone_must_be_iana(login: Any, make_customer: Any, zone: str) -> None:
    admin = login("admin")
    customer = make_customer()
    body = {"customer_id": customer.id, "name": "S", "address_line": "A 1", "city": "M",
            "location": {"lat": 48.1, "lng": 11.5}, "timezone": zone}
    errors = assert_error(admin.post("/api/v1/sites", json=body), 422)["errors"]
    assert "timezone" in json.dumps(errors)
    body["timezone"] = "America/New_York"
    created = admin.post("/api/v1/sites", json=body)
    assert created.status_code == 201, created.get_json()
    site_id = created.get_json()["id"]
    assert_error(admin.patch(f"/api/v1/sites/{site_id}", json={"timezone": zone}), 422)


def test_self_intersecting_territory_refused(login: Any) -> None:
    admin = login("admin")
    bowtie = [{"lat": 48.0, "lng": 11.0}, {"lat": 48.1, "lng": 11.1},
              {"lat": 48.0, "lng": 11.1}, {"lat": 48.1, "lng": 11.0}]
    body = assert_error(admin.post("/api/v1/territories",
                                   json={"name": "Bowtie", "boundary": bowtie}), 422)
    assert "boundary" in body["errors"]
    square = [{"lat": 48.0, "lng": 11.0}, {"lat": 48.0, "lng": 11.1},
              {"lat": 48.1, "lng": 11.1}, {"lat": 48.1, "lng": 11.0}]
    created = admin.post("/api/v1/territories", json={"name": "Square", "boundary": square})
    assert created.status_code == 201, created.get_json()
    territory_id = created.get_json()["id"]
    assert_error(admin.patch(f"/api/v1/territories/{territory_id}",
                             json={"boundary": bowtie}), 422)
    assert admin.get(f"/api/v1/territories/{territory_id}").get_json()["boundary"] == square
