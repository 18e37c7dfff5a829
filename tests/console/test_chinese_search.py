"""Chinese text searches in lists, on SpatiaLite and on PostGIS (the suite runs on both): the
console's queue and users filters and the API's `q` filters find Chinese names and titles,
also by a part of a word, and nothing else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.console.test_pages import _log_in


def _titles(page: Any) -> str:
    return str(page.get_data(as_text=True))


def test_chinese_text_filters_in_the_console_and_the_api(
        app: Any, login: Any, make_user: Any, make_customer: Any, make_site: Any,
        make_asset: Any, db_session: Any) -> None:
    from app.inventory import service as inventory
    from app.workorders import service as workorders

    customer = make_customer(name="上海浦东冷链物流有限公司")
    other = make_customer(name="Stadtwerke München")
    site = make_site(customer=customer, name="浦东一号冷库", city="上海")
    asset = make_asset(site=site)
    chinese = workorders.new_work_order(db_session, site=site, asset=asset,
                                        title="冷库温度过高", description="压缩机报警 E42",
                                        actor=None)
    german_asset = make_asset(site=make_site(customer=other))
    german = workorders.new_work_order(db_session, site=german_asset.site, asset=german_asset,
                                       title="Kältemaschine Störung", description="Alarm",
                                       actor=None)
    inventory.create_part(db_session, sku="ZH-VALVE-1", name="膨胀阀", unit_cost=Decimal("40"),
                          actor=None)
    db_session.commit()
    make_user("dispatcher", full_name="张伟")
    # The console's queue and users filters.
    dispatcher, _ = _log_in(app, make_user("dispatcher"))
    found = _titles(dispatcher.get("/queue?q=温度"))
    assert chinese.number in found and german.number not in found
    assert chinese.number in _titles(dispatcher.get("/queue?q=E42"))
    assert chinese.number not in _titles(dispatcher.get("/queue?q=漏水"))
    admin, _ = _log_in(app, make_user("admin"))
    users = _titles(admin.get("/admin/users?q=张"))
    assert "<td>张伟</td>" in users and "<td>Test admin</td>" not in users
    # The API's list filters.
    api = login("admin")

    def names(path: str, key: str) -> list[str]:
        answer = api.get(path)
        assert answer.status_code == 200, answer.get_json()
        return [row[key] for row in answer.get_json()]

    assert names("/api/v1/work-orders?q=温度", "title") == ["冷库温度过高"]
    assert names("/api/v1/customers?q=浦东", "name") == ["上海浦东冷链物流有限公司"]
    assert names("/api/v1/sites?q=冷库", "name") == ["浦东一号冷库"]
    assert names("/api/v1/parts?q=膨胀", "name") == ["膨胀阀"]
    assert names("/api/v1/users?q=张", "full_name") == ["张伟"]
    assert names("/api/v1/work-orders?q=冷库温度过高的", "title") == []
