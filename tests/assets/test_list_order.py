"""The customer and site lists (the API's pages, the console's pickers) are read in name
order from an index (migration 0122namesorder), not sorted whole: on country demo data
(20,000 sites) SQLite sorted every site for a page of 50, 6.9 ms, ten times the city's."""

from __future__ import annotations

from typing import Any

import pytest

from app.assets import service
from tests.conftest import query_plan


@pytest.mark.parametrize(("lister", "index"), [(service.list_sites, "ix_sites_name"),
                                               (service.list_customers, "ix_customers_name")])
def test_the_list_by_name_comes_from_an_index(db_session: Any, make_user: Any, lister: Any,
                                              index: str) -> None:
    plan = query_plan(db_session, lister(db_session, actor=make_user("dispatcher")))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
