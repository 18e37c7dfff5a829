"""The console's clock times (``fmt_time``, cached per minute) read exactly as Babel writes
them, in each language and time zone, seconds and daylight-saving changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time
from flask_babel import force_locale

from app.console.web import fmt_time


def test_fmt_time_matches_babel_in_each_language_and_zone(app: Any) -> None:
    # a day across Amsterdam's autumn change (02:00 summer time -> 02:00 winter time), at
    # steps of 7 min 13 s so that seconds vary; the languages and zones alternate within one
    # process, so a cache that forgot either would answer with another one's text
    start = datetime(2026, 10, 24, 22, 0, 17, tzinfo=UTC)
    moments = [start + timedelta(seconds=433 * k) for k in range(200)]
    moments.append(datetime(2026, 10, 25, 0, 59, 59))  # naive values are UTC
    old = app.config.get("DISPATCH_TIMEZONE")
    seen: dict[str, set[str]] = {"en": set(), "zh_CN": set()}
    try:
        for value in moments:
            for zone in ("Europe/Amsterdam", "Asia/Shanghai", "America/St_Johns"):
                app.config["DISPATCH_TIMEZONE"] = zone
                for locale in ("en", "zh_CN"):
                    with app.test_request_context("/"), force_locale(locale):
                        got = fmt_time(value)
                    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
                    assert got == format_time(aware, "short", tzinfo=ZoneInfo(zone),
                                              locale=locale), (value, zone, locale)
                    seen[locale].add(got)
    finally:
        app.config["DISPATCH_TIMEZONE"] = old
    # both languages' own forms were written ("3:05 PM", "15:05")
    assert all(s.endswith(("AM", "PM")) for s in seen["en"])
    assert all(len(s) == 5 and s[2] == ":" for s in seen["zh_CN"])
    with app.test_request_context("/"):
        assert fmt_time(None) == "—"


def test_time_left_reads_in_each_language_with_words_translated_once(app: Any) -> None:
    """The queue's SLA cells: the words are translated once per page (TimeLeftWords) and
    filled per row, reading as before in English and Chinese."""
    from app.console.web import TimeLeftWords, time_left

    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    cases = [(now + timedelta(minutes=125), "2 h 05 min left", "剩余 2 小时 05 分钟", False),
             (now + timedelta(minutes=7), "7 min left", "剩余 7 分钟", False),
             (now - timedelta(minutes=40), "overdue 40 min", "已逾期 40 分钟", True),
             (None, "no SLA", None, False)]
    for locale, column in (("en", 1), ("zh_CN", 2)):
        with app.test_request_context("/"), force_locale(locale):
            words = TimeLeftWords()
            for case in cases:
                due, overdue = case[0], case[3]
                text, late = time_left(due, now, words)
                assert late is overdue
                assert text == time_left(due, now)[0]  # the same as translated per call
                if case[column] is not None:
                    assert text == case[column]
