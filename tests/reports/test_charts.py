"""The SVG charts' geometry and marks: movers (axis, row heights, intervals), knocked-out sections.

The charts are parsed as XML and checked by position, the way a reader would see them: a label
inside its row, a 0 on the axis, a whisker spanning the interval.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from auditapp.reports import charts
from auditapp.reports.labels import LABELS, Labeller

SVG = "{http://www.w3.org/2000/svg}"

# Dealer names as the demo has them: the long English ones ran over the row rules.
NAMES = [
    ("EA06", "宁波鄞州星途4S店", "Xingtu Motors Ningbo Yinzhou"),
    ("EA05", "苏州工业园星途4S店", "Xingtu Motors Suzhou Industrial Park"),
    ("EA01", "上海浦东星途4S店", "Xingtu Motors Shanghai Pudong"),
    ("EA09", "温州鹿城星途4S店", "Xingtu Motors Wenzhou Lucheng"),
]


def mover(code: str, zh: str, en: str, previous: float, current: float, **extra: Any) -> dict[str, Any]:
    return {"dealer": {"code": code, "name": {"zh": zh, "en": en}}, "previous": previous, "current": current,
            "change": current - previous, "previous_wave": "2026-Q2", **extra}


def demo_movers(**extra: Any) -> list[dict[str, Any]]:
    scores = [(0.0, 44.9), (58.0, 74.2), (77.3, 64.7), (90.0, 89.8)]
    return [mover(code, zh, en, a, b, **extra) for (code, zh, en), (a, b) in zip(NAMES, scores)]


def parse(svg: Any) -> ET.Element:
    return ET.fromstring(str(svg))


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def zero_line(root: ET.Element) -> ET.Element:
    """The movers' zero line: the one ink rule 1 px wide (whiskers are 1.2)."""
    lines = [line for line in root.iter(f"{SVG}line")
             if line.get("stroke") == charts.INK and line.get("stroke-width") == "1"]
    assert len(lines) == 1
    return lines[0]


def axis_labels(root: ET.Element) -> list[str]:
    """The tick labels under the movers' plot."""
    bottom = float(zero_line(root).get("y2"))
    return [t.text for t in texts(root) if abs(float(t.get("y")) - (bottom + 12)) < 0.01]


def as_number(label: str) -> int:
    return int(label.replace("−", "-").replace("+", ""))


# --- movers: axis -----------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [[44.9], [3.0, -2.0], [16.2, -12.5], [-55.9, 7.5], [100.0]])
def test_movers_axis_has_a_zero_tick_and_is_symmetric(changes: list[float]) -> None:
    movers = [mover("X1", "甲", "A", 50.0, 50.0 + change) for change in changes]
    labels = axis_labels(parse(charts.movers_chart(movers, Labeller("en"))))
    assert "0" in labels  # the demo's axis read −45, −25, −5, +15, +35
    values = [as_number(label) for label in labels]
    assert values == sorted(values) and values == [-v for v in reversed(values)]
    assert max(values) >= max(abs(c) for c in changes)  # the longest bar stays on the scale
    assert len(values) <= 9  # at most four ticks a side: readable at report size


def test_movers_axis_reaches_the_widest_interval() -> None:
    movers = [mover("X1", "甲", "A", 70.0, 74.0, lo=-18.0, hi=26.0)]
    values = [as_number(label) for label in axis_labels(parse(charts.movers_chart(movers, Labeller("en"))))]
    assert max(values) >= 26 and min(values) <= -26 and 0 in values


# --- movers: rows as tall as their labels ----------------------------------------------------------

def rows_and_labels(root: ET.Element) -> tuple[list[float], list[ET.Element]]:
    """Row boundaries (header rule, row rules, plot bottom) and the dealer-name texts."""
    rules = sorted(float(line.get("y1")) for line in root.iter(f"{SVG}line")
                   if line.get("stroke") in ("#eef0f3", charts.RULE) and line.get("y1") == line.get("y2")
                   and float(line.get("x1")) == 0)
    bottom = float(zero_line(root).get("y2"))
    names = [t for t in texts(root) if t.get("x") == "46"]
    return rules + [bottom], names


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_movers_labels_stay_inside_their_rows(lang: str) -> None:
    root = parse(charts.movers_chart(demo_movers(), Labeller(lang)))
    bounds, names = rows_and_labels(root)
    assert len(bounds) == len(NAMES) + 1  # the header rule, a rule between rows, the plot bottom
    assert len(names) >= len(NAMES)
    header, *between, bottom = bounds
    rows = list(zip([header + 2] + between, between + [bottom]))
    for name in names:
        baseline, size = float(name.get("y")), float(name.get("font-size"))
        inside = [top for top, bottom in rows if top <= baseline - size * 0.8 and baseline + size * 0.25 <= bottom]
        assert inside, f"{name.text!r} at {baseline} crosses a row rule {bounds}"


def test_movers_print_whole_bilingual_names() -> None:
    root = parse(charts.movers_chart(demo_movers(), Labeller("both")))
    printed = " ".join(t.text or "" for t in texts(root))
    assert "…" not in printed  # "Xingtu Motors Suzhou Industrial…" was cut
    for _, zh, en in NAMES:
        assert zh in printed
        for word in en.split():
            assert word in printed


# --- movers: intervals and "no clear change" -------------------------------------------------------

def test_clear_change_follows_the_interval() -> None:
    assert charts.is_clear_change({"change": 5.0})  # no interval: nothing to contradict the bar
    assert charts.is_clear_change({"change": 16.2, "lo": 3.1, "hi": 29.3})
    assert charts.is_clear_change({"change": -12.5, "lo": -20.0, "hi": -0.4})
    assert not charts.is_clear_change({"change": 4.2, "lo": -3.0, "hi": 11.4})
    assert not charts.is_clear_change({"change": 4.2, "lo": 0.0, "hi": 8.4})  # 0 inside (at the edge)
    assert not charts.is_clear_change({"change": 16.2, "lo": 3.1, "hi": 29.3, "clear": False})  # the data decides


def bar_of(root: ET.Element, cy_text: ET.Element) -> ET.Element:
    """The change bar on the row of a printed change (11 px tall, centred on the row)."""
    y = float(cy_text.get("y")) - 3.8
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "11" and abs(float(r.get("y")) + 5.5 - y) < 0.01]
    assert len(bars) == 1
    return bars[0]


def test_movers_draw_the_interval_and_grey_an_unclear_change() -> None:
    movers = [mover("A1", "甲", "Clear up", 58.0, 74.2, lo=4.0, hi=28.4, n_previous=2, n_current=3),
              mover("A2", "乙", "Unclear", 81.9, 86.1, lo=-3.0, hi=11.4, n_previous=3, n_current=2)]
    chart = charts.movers_chart(movers, Labeller("en"))
    root = parse(chart)
    printed = {t.text: t for t in texts(root)}
    clear, unclear = printed["+16.2"], printed["+4.2"]
    assert bar_of(root, clear).get("fill") == charts.NAVY and clear.get("font-weight") == "700"
    assert bar_of(root, unclear).get("fill") == charts.UNCLEAR and clear.get("fill") != unclear.get("fill")
    # the whisker: a horizontal line on the row from lo to hi, on the chart's own scale
    centre = float(zero_line(root).get("x1"))
    bar = bar_of(root, clear)
    scale = float(bar.get("width")) / 16.2
    row_y = float(clear.get("y")) - 3.8
    whiskers = [(float(line.get("x1")), float(line.get("x2"))) for line in root.iter(f"{SVG}line")
                if line.get("y1") == line.get("y2") and abs(float(line.get("y1")) - row_y) < 0.01]
    assert any(abs(x1 - (centre + 4.0 * scale)) < 0.02 and abs(x2 - (centre + 28.4 * scale)) < 0.02
               for x1, x2 in whiskers)
    # the printed change sits beyond the whisker, not on it
    assert float(clear.get("x")) > centre + 28.4 * scale
    # n on both sides, and a legend for the whisker and the grey bar
    assert "n = 2 → 3" in printed and "n = 3 → 2" in printed
    assert LABELS["change_interval"][1] in printed and LABELS["no_clear_change"][1] in printed


def test_movers_without_intervals_draw_no_legend() -> None:
    root = parse(charts.movers_chart(demo_movers(), Labeller("en")))
    printed = [t.text for t in texts(root)]
    assert LABELS["change_interval"][1] not in printed and LABELS["no_clear_change"][1] not in printed
    assert not any(text.startswith("n = ") for text in printed)


# --- knocked-out sections in the MOT chart ------------------------------------------------------------

SECTIONS = [
    {"title": {"zh": "展厅接待", "en": "Showroom greeting"}, "score": 75.7, "region": 90.2, "nation": 89.1},
    {"title": {"zh": "报价成交", "en": "Quotation and negotiation"}, "score": 70.2, "region": 88.0,
     "nation": 90.7, "knockouts": 2},
    {"title": {"zh": "跟踪回访", "en": "Follow-up"}, "score": 52.2, "region": 71.6, "nation": 73.7,
     "knockouts": 0},
]


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_mot_chart_marks_a_knocked_out_section(lang: str) -> None:
    lab = Labeller(lang)
    root = parse(charts.comparison_chart(SECTIONS, lab))
    printed = [t.text for t in texts(root)]
    badge = f"{lab.plain('ko')} ×2"
    assert printed.count(badge) == 1  # on the knocked-out row only
    assert lab.plain("ko_section_legend") in printed
    # the badge sits on the row of "Quotation and negotiation", right of its label
    title = "报价成交" if lang != "en" else "Quotation and negotiation"
    label = next(t for t in texts(root) if t.text == title)
    mark = next(t for t in texts(root) if t.text == badge)
    assert abs(float(mark.get("y")) - float(label.get("y"))) < 24
    assert float(mark.get("x")) > float(label.get("x")) + charts.text_width(title, charts.LABEL_SIZE)


def test_mot_chart_without_knockouts_has_no_mark() -> None:
    rows = [{k: v for k, v in row.items() if k != "knockouts"} for row in SECTIONS]
    for chart in (charts.comparison_chart(rows, Labeller("en")),
                  charts.comparison_chart(rows, Labeller("en"), charts.REGION_SERIES, kind="profile")):
        printed = [t.text for t in texts(parse(chart))]
        assert not any(text and text.startswith("KO") for text in printed)
        assert LABELS["ko_section_legend"][1] not in printed


def test_knocked_out_count_unknown_prints_the_badge_alone() -> None:
    rows = [dict(SECTIONS[0], knockouts=True)]
    printed = [t.text for t in texts(parse(charts.comparison_chart(rows, Labeller("en"))))]
    assert "KO" in printed and not any("×" in (text or "") for text in printed)


def test_chart_labels_of_knockouts_are_bilingual() -> None:
    for key in ("ko_section_legend", "change_interval", "no_clear_change"):
        zh, en = LABELS[key]
        assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]", en)
