"""Hostile request inputs (issue 13, item 3): deeply nested JSON, huge integers, lone
surrogates and NUL bytes are answered with a clear 4xx in the one JSON error shape, never a 500,
on every JSON endpoint (login included, without logging in) and in query strings and paths."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assert_error

NESTED_1000 = "[" * 1000 + "]" * 1000
HUGE_INT = "1" * 4400


def _login_body(email_json: str) -> str:
    return f'{{"email": {email_json}, "password": "x"}}'


@pytest.mark.parametrize("raw", [
    NESTED_1000,
    '{"email": %s, "password": "x"}' % ("[" * 1000 + "]" * 1000),
    f'{{"email": "a@b.test", "password": {HUGE_INT}}}',
    _login_body('"a\\ud800@b.test"'),
    _login_body('"a\\u0000@b.test"'),
    "[" * 100_000,
], ids=["nested-body", "nested-field", "huge-int", "lone-surrogate", "nul", "deep-unclosed"])
def test_login_refuses_hostile_json_with_400(client: Any, raw: str) -> None:
    response = client.post("/api/v1/auth/login", data=raw,
                           headers={"Content-Type": "application/json"})
    body = assert_error(response, 400, "bad_request")
    assert "json" in body.get("errors", {}), body


@pytest.mark.parametrize("raw", [
    '{"name": "Acme", "account_number": "C-1\\u0000"}',
    '{"name": "Acme\\udfff", "account_number": "C-77"}',
    f'{{"name": "Acme", "account_number": "C-78", "sla_tier": {HUGE_INT}}}',
    '{"name": %s}' % ("{\"a\": " * 999 + "1" + "}" * 999),
], ids=["nul", "lone-surrogate", "huge-int", "nested"])
def test_json_body_refuses_hostile_values(login: Any, raw: str) -> None:
    admin = login("admin")
    response = admin.post("/api/v1/customers", data=raw,
                          headers={"Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")
    listed = admin.get("/api/v1/customers?q=Acme").get_json()
    assert listed == []  # nothing half-written


@pytest.mark.parametrize("path", [
    "/api/v1/customers?q=ab%00cd",
    "/api/v1/customers?q%00=x",
    "/api/v1/assets/by-tag/A-1%00",
])
def test_query_and_path_refuse_nul(login: Any, path: str) -> None:
    response = login("admin").get(path)
    body = assert_error(response, 400, "bad_request")
    assert "NUL" in body["message"]


def test_public_label_page_refuses_nul_in_path(client: Any) -> None:
    response = client.get("/r/FO-000001%00")
    assert_error(response, 400, "bad_request")


def test_ordinary_unicode_still_accepted(login: Any) -> None:
    admin = login("admin")
    response = admin.post("/api/v1/customers", json={
        "name": "Bäckerei 😀 München", "account_number": "C-UNI-1"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "Bäckerei 😀 München"


def test_header_value_with_nul_refused(login: Any) -> None:
    response = login("admin").get("/api/v1/customers", headers={"X-Request-Note": "a\x00b"})
    assert "header" in assert_error(response, 400, "bad_request")["message"]
