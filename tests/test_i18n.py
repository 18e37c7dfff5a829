"""Languages: zh-CN and en catalogues (Flask-Babel); the `error` key never changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import assert_error


def test_error_messages_follow_accept_language_and_keep_their_key(client: Any) -> None:
    zh = assert_error(client.get("/api/v1/me/notifications",
                                 headers={"Accept-Language": "zh-CN,zh;q=0.9"}), 401)
    en = assert_error(client.get("/api/v1/me/notifications",
                                 headers={"Accept-Language": "en-GB"}), 401)
    assert zh["error"] == en["error"] == "unauthorized"
    assert zh["message"] == "需要身份验证：请发送 Bearer 令牌。"
    assert en["message"] == "Authentication required: send a bearer token."
    assert assert_error(client.get("/no/such/page", headers={"Accept-Language": "zh"}),
                        404, "not_found")["message"].startswith("服务器上找不到")


def test_the_profile_language_wins_over_the_browser(login: Any) -> None:
    user = login("technician")
    changed = user.put("/api/v1/me/locale", json={"locale": "zh_CN"})
    assert changed.status_code == 200 and changed.get_json() == {"locale": "zh_CN"}
    refused = user.post("/api/v1/me/notifications/999999999/read",
                        headers={"Accept-Language": "en"})
    assert assert_error(refused, 404, "not_found")["message"] == "没有此通知。"
    assert_error(user.put("/api/v1/me/locale", json={"locale": "fr"}), 422)


def test_catalogues_compile_from_the_committed_po_files(tmp_path: Any) -> None:
    """A fresh clone has only .po files: the app compiles them (as `make setup` does)."""
    import shutil

    from app.i18n import TRANSLATIONS_DIR, compile_catalogues

    for po in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"):
        target = tmp_path / po.relative_to(TRANSLATIONS_DIR)
        target.parent.mkdir(parents=True)
        shutil.copy(po, target)
    written = {str(p.relative_to(tmp_path)) for p in compile_catalogues(tmp_path)}
    assert {"en/LC_MESSAGES/messages.mo", "zh_CN/LC_MESSAGES/messages.mo",
            "zh_Hans_CN/LC_MESSAGES/messages.mo"} <= written
    assert compile_catalogues(tmp_path) == []  # up to date: nothing rewritten
    assert all(Path(tmp_path, w).stat().st_size > 100 for w in written)


def test_every_message_has_a_chinese_translation() -> None:
    from babel.messages.pofile import read_po

    from app.i18n import TRANSLATIONS_DIR

    with (TRANSLATIONS_DIR / "zh_CN/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in template if m.id and not (catalog.get(m.id) and
                                                       catalog.get(m.id).string)]
    assert missing == []


def test_inbox_titles_follow_the_readers_language(db_session: Any, login: Any) -> None:
    from app.notifications.service import queue_notification

    reader = login("dispatcher")
    queue_notification(db_session, user_ids=[reader.user.id], kind="sla_breached",
                       title="WO-2026-000009: resolution SLA breached", body="P1 Leak",
                       data={"number": "WO-2026-000009", "clock": "resolution",
                             "priority": "P1", "wo_title": "Leak",
                             "due_at": "2026-11-30T10:00+00:00"})
    db_session.commit()
    zh = reader.get("/api/v1/me/notifications", headers={"Accept-Language": "zh-CN"})
    en = reader.get("/api/v1/me/notifications", headers={"Accept-Language": "en"})
    assert zh.get_json()[0]["title"] == "WO-2026-000009：解决 SLA 已超时"
    assert zh.get_json()[0]["body"] == "P1 Leak — 解决 截止 2026-11-30T10:00+00:00"
    assert en.get_json()[0]["title"] == "WO-2026-000009: resolution SLA breached"
    assert zh.get_json()[0]["kind"] == en.get_json()[0]["kind"] == "sla_breached"


def test_a_route_push_reads_in_the_technicians_language(db_session: Any, login: Any) -> None:
    """The day's route push (dispatch releases) has catalogue texts; an empty route keeps its
    translated title and its queued body."""
    from app.notifications.service import queue_notification

    reader = login("technician")
    queue_notification(db_session, user_ids=[reader.user.id], kind="route_released",
                       title="Your route for Mon 07 Dec is ready",
                       body="3 jobs, first at 08:30 (Klinikum)",
                       data={"date": "2026-12-07", "jobs": 3, "first": "08:30",
                             "site": "Klinikum"})
    queue_notification(db_session, user_ids=[reader.user.id], kind="route_changed",
                       title="Your route for Mon 07 Dec changed",
                       body="No jobs left on your route.", data={"date": "2026-12-07"})
    db_session.commit()
    zh = reader.get("/api/v1/me/notifications", headers={"Accept-Language": "zh-CN"})
    items = {i["kind"]: i for i in zh.get_json()}
    assert items["route_released"]["title"] == "2026-12-07 的路线已就绪"
    assert items["route_released"]["body"] == "共 3 个工单，第一个 08:30（Klinikum）"
    assert items["route_changed"]["title"] == "2026-12-07 的路线已变更"
    assert items["route_changed"]["body"] == "No jobs left on your route."
