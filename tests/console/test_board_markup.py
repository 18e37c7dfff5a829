"""The board's bars are written in Python (`board_gantt.bars_markup`), not by Jinja: every
text in them must still be escaped as the template escaped it. No browser needed."""

from __future__ import annotations

from html.parser import HTMLParser

from app.console.board_gantt import Bar, Words, bar_styles, bars_markup

WORDS = Words(states={"late": "running <late>", "proposed": "proposed & new"},
              late_reasons={}, travel="travel", idle="idle", time=str)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs), ""))

    def handle_data(self, data: str) -> None:
        if self.found:
            tag, attrs, text = self.found[-1]
            self.found[-1] = (tag, attrs, text + data)


def _parse(markup: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = _Elements()
    parser.feed(markup)
    return [(tag, attrs, text.strip()) for tag, attrs, text in parser.found]


def test_bars_escape_every_text_and_mark_late_movable_and_proposed_jobs() -> None:
    hostile = '<script>alert("x")</script> & \'quoted\''
    bars = [
        Bar("shift", 7.14, 60.71, title="shift"),
        Bar("job", 10.0, 5.5, label="WO-1<b>", title=hostile, job={
            "id": 7, "version": 3, "number": 'WO-1"<b>', "late": True, "highlight": True,
            "movable": True, "state": "late"}),
        Bar("job", 20.0, 5.0, label="WO-2", title="done", job={
            "id": 8, "version": 1, "number": "WO-2", "late": False, "highlight": False,
            "movable": False, "state": "done"}),
        Bar("proposed", 30.0, 2.5, label="WO-3 <new>", title="would start here"),
    ]
    markup = str(bars_markup(2, bars, "/work-orders/<x>/", WORDS))
    assert "<script>" not in markup and "<b>" not in markup and "<late>" not in markup
    elements = _parse(markup)
    assert [(tag, attrs["class"]) for tag, attrs, _text in elements] == [
        ("span", "bar shift"), ("a", "bar job state-late late highlight"),
        ("a", "bar job state-done"), ("span", "bar proposed highlight")]
    _tag, late, text = elements[1]
    assert late["title"] == hostile and late["id"] == "bar-2-2"
    assert late["href"] == "/work-orders/<x>/7" and late["data-job"] == "7:3"
    assert late["draggable"] == "true" and late["data-number"] == 'WO-1"<b>'
    assert (late["data-left"], late["data-width"]) == ("10.0", "5.5")
    assert text == "WO-1<b> · running <late>"
    _tag, done, text = elements[2]
    assert "draggable" not in done and "data-job" not in done and text == "WO-2"
    assert elements[3][2] == "WO-3 <new> · proposed & new"


def test_bar_styles_place_each_bar_and_the_now_line_by_row_and_index() -> None:
    rows = [{"bars": [Bar("shift", 7.14, 60.71), Bar("idle", 33.93, 3.5)], "now": 25.0},
            {"bars": [Bar("shift", 0.0, 100.0)], "now": None}]
    assert bar_styles(rows) == ("#bar-1-1{left:7.14%;width:60.71%}"
                                "#bar-1-2{left:33.93%;width:3.5%}#now-1{left:25.0%}"
                                "#bar-2-1{left:0.0%;width:100.0%}")
