"""CSV exports of list endpoints: same filters and authorization as the JSON list, every page
streamed, stable documented columns, Chinese intact, formulas defused."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.conftest import assert_error


def read_csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheets read the UTF-8 (Chinese) correctly
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def orders(make_work_order: Any, make_customer: Any, make_site: Any, make_asset: Any) -> Any:
    customer = make_customer()
    asset = make_asset(site=make_site(customer=customer))
    made = [make_work_order(asset=asset, priority="P1", title="冷水机组高压报警"),
            make_work_order(asset=asset, priority="P1", title="=HYPERLINK(\"http://x\")"),
            make_work_order(asset=asset, priority="P3", title="Door sensor")]
    made += [make_work_order(priority="P1", title=f"Other account {n}") for n in range(3)]
    return customer, made


def test_the_queue_as_csv_keeps_its_filters_and_streams_every_page(app, login, orders,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE_MAX", 2)  # five P1 orders -> three pages
    dispatcher = login("dispatcher")
    response = dispatcher.get("/api/v1/work-orders?priority=P1&format=csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.is_streamed
    header, *rows = read_csv(response)
    assert header[:4] == ["id", "number", "version", "status"]  # the documented order
    assert {"title", "priority", "scheduled_start", "sla"} <= set(header)
    assert len(rows) == 5  # the P3 order is filtered out, all pages are there
    titles = [row[header.index("title")] for row in rows]
    assert "冷水机组高压报警" in titles
    assert "'=HYPERLINK(\"http://x\")" in titles  # not run as a formula
    assert len({len(row) for row in rows}) == 1 and len(rows[0]) == len(header)
    json_total = dispatcher.get("/api/v1/work-orders?priority=P1").get_json()
    assert {r[header.index("number")] for r in rows} == {o["number"] for o in json_total}


def test_accept_text_csv_and_the_customers_own_rows_only(login, make_user, orders):
    customer, made = orders
    own = login(make_user("customer", customer_id=customer.id))
    response = own.get("/api/v1/work-orders", headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    header, *rows = read_csv(response)
    assert sorted(r[header.index("number")] for r in rows) == sorted(o.number for o in made[:3])


def test_refusals_stay_json(client, login):
    assert_error(client.get("/api/v1/work-orders?format=csv"), 401)
    assert_error(login("dispatcher").get("/api/v1/work-orders?format=csv&priority=P9"), 422)
