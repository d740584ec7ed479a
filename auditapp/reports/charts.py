"""Inline SVG charts of the PDF reports: pure functions from plain data to an SVG string.

Every chart:

* carries ``font-family`` = ``REPORT_FONT_STACK`` on its root (WeasyPrint does not cascade the
  HTML font into inline SVG, see ``fonts.py``) and uses weights 400/700 only;
* prints its labels in the report language(s) through a ``Labeller`` (``lang=both``: Chinese
  above, English below in a smaller grey line);
* stays readable in black and white: series differ by shape (bar, diamond, tick, open circle) and
  line dash as well as by colour, and the values are printed beside the marks;
* escapes every text it prints (dealer names and checklist wording come from the database).

Sizes are in CSS pixels (1/96 in); the default width is the A4 content width of the templates
(210 mm − 2 × 15 mm ≈ 680 px).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape as _xml_escape

from markupsafe import Markup

from .fonts import REPORT_FONT_STACK
from .labels import Labeller

CONTENT_WIDTH: Final = 680

INK: Final = "#1d2733"
MUTED: Final = "#5f6b7a"
RULE: Final = "#c9d1db"
NAVY: Final = "#1f3a5f"
REGION_GREY: Final = "#8793a3"
NATION_INK: Final = "#111111"
LOSS: Final = "#b4432f"
BAND_INK: Final = {"green": "#23633e", "amber": "#8a5d00", "red": "#a3271b", None: MUTED}
ZONES: Final = (  # background of every 0–100 scale: the bands of DESIGN 9
    (0.0, 70.0, "#f9e7e4"),
    (70.0, 85.0, "#fbf1d8"),
    (85.0, 100.0, "#e5f1e8"),
)

LABEL_SIZE: Final = 10.5
SUB_SIZE: Final = 9.0
SMALL_SIZE: Final = 9.0


def band_of(score: float | None) -> str | None:
    """The band of a score (DESIGN 9: green ≥ 85, amber ≥ 70, red below)."""
    if score is None:
        return None
    return "green" if score >= 85 else "amber" if score >= 70 else "red"


def fmt(value: float | None, signed: bool = False) -> str:
    """One decimal, "–" for nothing; ``signed`` adds "+" and uses a true minus sign."""
    if value is None:
        return "–"
    rounded = round(float(value), 1)
    if rounded == 0:
        return "0.0"  # neither "-0.0" nor "+0.0"
    text = f"{abs(rounded):.1f}"
    if rounded < 0:
        return f"−{text}"
    return f"+{text}" if signed else text


# --- SVG primitives ---------------------------------------------------------------------------------

def _esc(text: str) -> str:
    return _xml_escape(str(text), {'"': "&quot;"})


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, size: float = LABEL_SIZE, anchor: str = "start",
          fill: str = INK, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
            f'fill="{fill}"{weight}>{_esc(text)}</text>')


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = RULE, width: float = 1,
          dash: str | None = None) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}" '
            f'stroke-width="{_num(width)}"{dash_attr}/>')


def _rect(x: float, y: float, w: float, h: float, fill: str, stroke: str | None = None) -> str:
    stroke_attr = f' stroke="{stroke}" stroke-width="0.8"' if stroke else ""
    return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(max(w, 0))}" height="{_num(h)}" '
            f'fill="{fill}"{stroke_attr}/>')


def _svg(width: float, height: float, body: Sequence[str], label: str) -> Markup:
    # The stack holds double quotes, hence the single-quoted attribute; REPORT_FONT_STACK has no
    # spaces after its commas, which WeasyPrint's SVG code needs (see fonts.py).
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{_num(width)}" '
        f'height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f"font-family='{REPORT_FONT_STACK}' role=\"img\" aria-label=\"{_esc(label)}\">"
        + "".join(body) + "</svg>"
    )


def text_width(text: str, size: float) -> float:
    """A generous estimate of the advance width of text in the report font."""
    width = 0.0
    for char in text:
        code = ord(char)
        if code >= 0x2E80 or 0xFF00 <= code <= 0xFFEF:
            width += 1.0
        elif char == " ":
            width += 0.26
        elif char in "il.,:;'|!()[]":
            width += 0.28
        elif char.isupper() or char in "mwMW—–%":
            width += 0.68
        else:
            width += 0.54
    return width * size


def wrap(text: str, size: float, max_width: float, max_lines: int = 2) -> list[str]:
    """Greedy line breaking by words (Latin) or characters (CJK), with "…" when cut."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if ord(char) >= 0x2E80:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        elif char == " ":
            if word:
                tokens.append(word)
            tokens.append(" ")
            word = ""
        else:
            word += char
    if word:
        tokens.append(word)
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = current + token
        if current and text_width(candidate.rstrip(), size) > max_width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and text_width(last + "…", size) > max_width:
            last = last[:-1]
        kept[-1] = last.rstrip() + "…"
        return kept
    return lines or [""]


def _label_lines(lab: Labeller, pair: tuple[str, str], width: float,
                 both_lines: int = 1) -> list[tuple[str, float, str]]:
    """(text, size, colour) lines of a label: one language (up to two lines), or Chinese above
    English (``both_lines`` lines each)."""
    zh, en = pair
    if lab.lang == "zh":
        return [(line, LABEL_SIZE, INK) for line in wrap(zh, LABEL_SIZE, width)]
    if lab.lang == "en":
        return [(line, LABEL_SIZE, INK) for line in wrap(en, LABEL_SIZE, width)]
    return ([(line, LABEL_SIZE, INK) for line in wrap(zh, LABEL_SIZE, width, both_lines)]
            + [(line, SUB_SIZE, MUTED) for line in wrap(en, SUB_SIZE, width, both_lines)])


LINE_GAP: Final = 2.0


def _lines_height(lines: Sequence[tuple[str, float, str]]) -> float:
    return sum(size for _, size, _ in lines) + LINE_GAP * (len(lines) - 1)


def _draw_label(lines: list[tuple[str, float, str]], x: float, center_y: float,
                anchor: str = "start", bold_first: bool = False) -> list[str]:
    y = center_y - _lines_height(lines) / 2
    out = []
    for index, (text, size, colour) in enumerate(lines):
        y += size
        out.append(_text(x, y - 1.2, text, size, anchor, colour, bold=bold_first and index == 0))
        y += LINE_GAP
    return out


def _zones(x0: float, scale: float, y0: float, y1: float) -> list[str]:
    return [_rect(x0 + lo * scale, y0, (hi - lo) * scale, y1 - y0, colour) for lo, hi, colour in ZONES]


def _diamond(cx: float, cy: float, r: float, fill: str, stroke: str = "#ffffff") -> str:
    points = f"{_num(cx)},{_num(cy - r)} {_num(cx + r)},{_num(cy)} {_num(cx)},{_num(cy + r)} {_num(cx - r)},{_num(cy)}"
    return f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="0.8"/>'


def _circle(cx: float, cy: float, r: float, fill: str, stroke: str, width: float = 1.2) -> str:
    return (f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{_num(width)}"/>')


# --- series -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    """One compared figure of a chart row: the row's key, its legend label key, and its mark."""

    field: str
    legend: str
    mark: str  # "bar" | "dot" | "diamond" | "tick" | "ring"


DEALER_SERIES: Final = (Series("score", "legend_dealer", "bar"), Series("region", "legend_region", "diamond"),
                        Series("nation", "legend_nation", "tick"))
REGION_SERIES: Final = (Series("score", "legend_region", "bar"), Series("nation", "legend_nation", "tick"))

_LINE_STYLE: Final = {  # profile and trend lines: colour, width, dash
    "dot": (NAVY, 1.8, None),
    "bar": (NAVY, 1.8, None),
    "diamond": (REGION_GREY, 1.3, "5 3"),
    "tick": (NATION_INK, 1.1, "1.5 2.5"),
    "ring": (NATION_INK, 1.1, "1.5 2.5"),
}


def _mark(mark: str, x: float, cy: float, row_h: float) -> str:
    if mark == "bar":
        return ""  # drawn separately (it needs the origin)
    if mark == "dot":
        return _circle(x, cy, 4.6, NAVY, "#ffffff", 0.8)
    if mark == "diamond":
        return _diamond(x, cy, 5.2, REGION_GREY)
    if mark == "tick":
        return _line(x, cy - row_h * 0.32, x, cy + row_h * 0.32, NATION_INK, 2.0)
    if mark == "ring":
        return _circle(x, cy, 3.6, "#ffffff", NATION_INK, 1.3)
    raise ValueError(f"unknown mark {mark!r}")


KO_INK: Final = "#a3271b"  # the knock-out badge of the tables (report.css .ko-badge)
UNCLEAR: Final = "#c3cad3"  # a change whose interval includes 0
BADGE_SIZE: Final = 7.5


def _ko_badge(lab: Labeller, x: float, cy: float, count: int | None = None) -> tuple[list[str], float]:
    """The knock-out badge of the tables as SVG, starting at x: (elements, width)."""
    text = lab.plain("ko") + (f" ×{count}" if count else "")
    width = text_width(text, BADGE_SIZE) + 6
    return ([f'<rect x="{_num(x)}" y="{_num(cy - 6)}" width="{_num(width)}" height="12" rx="1.6" '
             f'fill="{KO_INK}"/>',
             _text(x + width / 2, cy + 2.7, text, BADGE_SIZE, "middle", "#ffffff", bold=True)], width)


def _legend_mark(mark: str, x: float, cy: float, lab: Labeller) -> tuple[list[str], float]:
    """A legend's sample mark starting at x: (elements, width)."""
    if mark == "bar":
        return [_rect(x, cy - 4, 14, 8, NAVY)], 14
    if mark == "unclear":
        return [_rect(x, cy - 4, 14, 8, UNCLEAR)], 14
    if mark == "whisker":
        return [_line(x, cy, x + 18, cy, INK, 1.2), _line(x, cy - 4, x, cy + 4, INK, 1.2),
                _line(x + 18, cy - 4, x + 18, cy + 4, INK, 1.2)], 18
    if mark == "ko":
        return _ko_badge(lab, x, cy)
    if mark == "tick":
        return [_line(x + 7, cy - 6, x + 7, cy + 6, NATION_INK, 2.0)], 14
    return [_mark(mark, x + 7, cy, 16)], 14


def _legend(lab: Labeller, items: Sequence[tuple[str, str]], x: float, y: float,
            zones: bool = False) -> list[str]:
    """One legend line centred on y: (mark, label key) pairs, then the band zones if asked."""
    out = []
    for mark, key in items:
        sample, mark_w = _legend_mark(mark, x, y, lab)
        out += sample
        label = lab.plain(key)
        out.append(_text(x + mark_w + 4, y + 3.5, label, SMALL_SIZE, fill=INK))
        x += mark_w + 4 + text_width(label, SMALL_SIZE) + 16
    if zones:
        x += 8
        label = lab.plain("band")
        out.append(_text(x, y + 3.5, label, SMALL_SIZE, fill=MUTED))
        x += text_width(label, SMALL_SIZE) + 6
        for (_low, _high, colour), text in zip(ZONES, ("< 70", "70–85", "≥ 85")):
            out.append(_rect(x, y - 4, 14, 8, colour, stroke=RULE))
            out.append(_text(x + 18, y + 3.5, text, SMALL_SIZE, fill=MUTED))
            x += 18 + text_width(text, SMALL_SIZE) + 10
    return out


# --- comparison charts: bars (MOTs) and profile (dimensions) ----------------------------------------

def _knockouts(row: Mapping[str, Any]) -> int | bool:
    """A row's knock-out count (``True``: knocked out, count unknown; 0: none)."""
    value = row.get("knockouts")
    if value is True:
        return True
    return int(value or 0)


def comparison_chart(rows: Sequence[Mapping[str, Any]], lab: Labeller, series: Sequence[Series] = DEALER_SERIES,
                     kind: str = "bars", width: float = CONTENT_WIDTH, short: bool = True) -> Markup:
    """Rows of {title: {zh, en}, <series fields>: score | None} on a 0–100 scale.

    ``kind="bars"``: the first series is a bar, the others marks on it (a bullet chart);
    ``kind="profile"``: every series is a mark and each is joined across the rows by its own line
    (a SERVQUAL "snake" profile). The printed values and the difference between the first two
    series stand in columns on the right.

    A row may carry ``knockouts``: the number of visits in which a knock-out zeroed that section
    (``True`` when the count is not known). Such a row gets the knock-out badge at the end of its
    label, and the chart a legend line for it.
    """
    if kind not in ("bars", "profile"):
        raise ValueError(f"kind must be 'bars' or 'profile', not {kind!r}")
    both = lab.lang == "both"
    marks = [s.mark for s in series]
    if kind == "profile":
        marks = ["dot" if m == "bar" else "ring" if m == "tick" else m for m in marks]
    label_w = 168.0
    value_w = 50.0
    value_cols = len(series) + (1 if len(series) > 1 else 0)
    plot_x0 = label_w + 14
    plot_x1 = width - value_cols * value_w - 14
    scale = (plot_x1 - plot_x0) / 100
    row_h = 24.0 if both else 23.0
    head_h = 24.0 if both else 16.0
    top = head_h + 4
    plot_bottom = top + row_h * len(rows)
    axis_h = 16.0
    legend_y = plot_bottom + axis_h + 14
    knocked_out = [_knockouts(row) for row in rows]
    ko_legend_y = legend_y + 18 if any(knocked_out) else None
    height = (ko_legend_y or legend_y) + 10

    out: list[str] = []
    # column heads
    heads = [lab.pair(s.legend) for s in series]
    if len(series) > 1:
        heads.append(lab.pair("delta_region" if series[1].field == "region" else "delta_nation"))
    for index, pair in enumerate(heads):
        x = plot_x1 + 14 + value_w * (index + 1) - 4
        lines = _label_lines(lab, pair, value_w - 4)
        out += _draw_label([(t, s, MUTED) for t, s, _ in lines], x, head_h / 2 + 1, anchor="end")
    out.append(_line(0, head_h + 2, width, head_h + 2, RULE, 0.8))

    out += _zones(plot_x0, scale, top, plot_bottom)
    for tick in range(0, 101, 20):
        x = plot_x0 + tick * scale
        out.append(_line(x, top, x, plot_bottom, "#ffffff", 0.8))
        out.append(_text(x, plot_bottom + 12, str(tick), SMALL_SIZE, "middle", MUTED))

    points: dict[str, list[tuple[float, float]]] = {s.field: [] for s in series}
    for index, row in enumerate(rows):
        cy = top + row_h * (index + 0.5)
        if index:
            out.append(_line(0, top + row_h * index, plot_x0 - 6, top + row_h * index, "#e3e7ec", 0.6))
        title_w = label_w
        if knocked_out[index]:
            count = None if knocked_out[index] is True else int(knocked_out[index])
            # right-aligned at the end of the label column, the title wraps before it
            badge_w = _ko_badge(lab, 0, cy, count)[1]
            out += _ko_badge(lab, label_w - badge_w, cy, count)[0]
            title_w = label_w - badge_w - 6
        out += _draw_label(_label_lines(lab, lab.text_pair(row["title"], short), title_w), 0, cy)
        first = row[series[0].field]
        if kind == "bars":
            if first is not None:
                out.append(_rect(plot_x0, cy - 5.5, max(0.0, min(100.0, first)) * scale, 11, NAVY))
            else:
                out.append(_text(plot_x0 + 6, cy + 3.5, lab.plain("not_scored"), SMALL_SIZE, fill=MUTED))
        for s in series:
            value = row[s.field]
            if value is None:
                continue
            points[s.field].append((plot_x0 + max(0.0, min(100.0, value)) * scale, cy))
        # value columns
        for col, s in enumerate(series):
            value = row[s.field]
            x = plot_x1 + 14 + value_w * (col + 1) - 4
            if col == 0:
                out.append(_text(x, cy + 3.8, fmt(value), LABEL_SIZE, "end", BAND_INK[band_of(value)], bold=True))
            else:
                out.append(_text(x, cy + 3.8, fmt(value), LABEL_SIZE, "end", INK))
        if len(series) > 1:
            x = plot_x1 + 14 + value_w * (len(series) + 1) - 4
            a, b = row[series[0].field], row[series[1].field]
            diff = None if a is None or b is None else a - b
            colour = INK if diff is None or round(diff, 1) >= 0 else LOSS
            out.append(_text(x, cy + 3.8, fmt(diff, signed=True), LABEL_SIZE, "end", colour))
    if kind == "profile":
        for s, mark in zip(series, marks):
            pts = points[s.field]
            if len(pts) > 1:
                colour, line_w, dash = _LINE_STYLE[mark]
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                path = " ".join(f"{_num(x)},{_num(y)}" for x, y in pts)
                out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                           f'stroke-width="{_num(line_w)}"{dash_attr}/>')
    for s, mark in reversed(list(zip(series, marks))):  # marks on top of the lines, first series last
        if kind == "bars" and mark == "bar":
            continue
        out += [_mark(mark, x, y, row_h) for x, y in points[s.field]]
    out.append(_line(plot_x0, plot_bottom, plot_x1, plot_bottom, RULE, 0.8))
    out += _legend(lab, [(m, s.legend) for s, m in zip(series, marks)], plot_x0 - 2, legend_y, zones=True)
    if ko_legend_y is not None:
        out += _legend(lab, [("ko", "ko_section_legend")], plot_x0 - 2, ko_legend_y)
    title = lab.plain("mot_title" if kind == "bars" else "dim_title")
    return _svg(width, height, out, title)


# --- trend --------------------------------------------------------------------------------------------

def trend_chart(trend: Sequence[Mapping[str, Any]], lab: Labeller, width: float = 330,
                height: float = 170, series: Sequence[Series] = DEALER_SERIES) -> Markup:
    """Score per wave (oldest first): dealer (solid, values printed), region (dashed), nation (dotted)."""
    left, right, top = 30.0, 14.0, 14.0
    bottom = height - 44
    plot_w = width - left - right
    out: list[str] = []
    scale = (bottom - top) / 100
    for lo, hi, colour in ZONES:
        out.append(_rect(left, bottom - hi * scale, plot_w, (hi - lo) * scale, colour))
    for tick in range(0, 101, 25):
        y = bottom - tick * scale
        out.append(_line(left, y, left + plot_w, y, "#ffffff", 0.8))
        out.append(_text(left - 5, y + 3, str(tick), SMALL_SIZE, "end", MUTED))
    count = len(trend)
    step = plot_w / max(count, 1)
    xs = [left + step * (index + 0.5) for index in range(count)]
    for x, row in zip(xs, trend):
        out.append(_text(x, bottom + 13, row["wave"]["code"], SMALL_SIZE, "middle", INK))
        n = row.get("n")
        if n:
            out.append(_text(x, bottom + 24, f"n = {n}", SMALL_SIZE - 0.5, "middle", MUTED))
    marks = {"bar": "dot", "tick": "ring"}
    for s in reversed(series):
        mark = marks.get(s.mark, s.mark)
        colour, line_w, dash = _LINE_STYLE[mark]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        # A wave without a figure breaks the line: segments join consecutive waves only.
        segments: list[list[tuple[float, float]]] = [[]]
        for x, row in zip(xs, trend):
            if row[s.field] is None:
                segments.append([])
            else:
                segments[-1].append((x, bottom - max(0.0, min(100.0, row[s.field])) * scale))
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(f"{_num(x)},{_num(y)}" for x, y in segment)
                out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                           f'stroke-width="{_num(line_w)}"{dash_attr}/>')
        out += [_mark(mark, x, y, 16) for segment in segments for x, y in segment]
    first, others = series[0], series[1:]
    for x, row in zip(xs, trend):
        value = row[first.field]
        if value is not None:
            y = bottom - max(0.0, min(100.0, value)) * scale
            # Above the point, unless a comparison mark sits just above it: then below.
            above = [row[s.field] for s in others if row[s.field] is not None]
            below = any(0 <= other - value < 14 for other in above)
            label_y = y + 15 if below else y - 7
            out.append(_text(x, label_y, fmt(value), LABEL_SIZE, "middle", BAND_INK[band_of(value)], bold=True))
    out.append(_line(left, bottom, left + plot_w, bottom, RULE, 0.8))
    out += _legend(lab, [(marks.get(s.mark, s.mark), s.legend) for s in series], left - 4, height - 6)
    return _svg(width, height, out, lab.plain("trend_title"))


# --- interval strip (leaderboard rows) ------------------------------------------------------------

def interval_strip(mean: float | None, lo: float | None, hi: float | None, width: float = 118,
                   height: float = 16) -> Markup:
    """A 0–100 strip with the band zones, the 90% interval (clipped) and the mean."""
    pad = 3.0
    scale = (width - 2 * pad) / 100
    cy = height / 2
    out = _zones(pad, scale, 2, height - 2)
    for tick in (50,):
        out.append(_line(pad + tick * scale, 2, pad + tick * scale, height - 2, "#ffffff", 0.8))
    if lo is not None and hi is not None:
        x0 = pad + max(0.0, min(100.0, lo)) * scale
        x1 = pad + max(0.0, min(100.0, hi)) * scale
        out.append(_line(x0, cy, x1, cy, NAVY, 1.6))
        if lo >= 0:
            out.append(_line(x0, cy - 4, x0, cy + 4, NAVY, 1.2))
        if hi <= 100:
            out.append(_line(x1, cy - 4, x1, cy + 4, NAVY, 1.2))
    if mean is not None:
        out.append(_diamond(pad + max(0.0, min(100.0, mean)) * scale, cy, 4.6, NAVY))
    label = f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"
    return _svg(width, height, out, label)


# --- movers -------------------------------------------------------------------------------------------

def _change_interval(mover: Mapping[str, Any]) -> tuple[float, float] | None:
    lo, hi = mover.get("lo"), mover.get("hi")
    return None if lo is None or hi is None else (float(lo), float(hi))


def is_clear_change(mover: Mapping[str, Any]) -> bool:
    """A mover's ``clear`` flag, or else: clear unless its interval includes 0 (DESIGN 4)."""
    if mover.get("clear") is not None:
        return bool(mover["clear"])
    interval = _change_interval(mover)
    return interval is None or not interval[0] <= 0 <= interval[1]


def _axis_step(extent: float, ticks_per_side: int = 4) -> int:
    """The smallest round step that reaches ``extent`` in at most ``ticks_per_side`` ticks."""
    for step in (5, 10, 20, 25, 50):
        if math.ceil(extent / step) <= ticks_per_side:
            return step
    return 50


def movers_chart(movers: Sequence[Mapping[str, Any]], lab: Labeller, width: float = CONTENT_WIDTH) -> Markup:
    """Change of each dealer's score since the previous wave, as bars left (down) or right (up).

    A mover is {dealer: {code, name}, previous, current, change, previous_wave} and may carry
    ``lo``/``hi``: the 90% interval of the change, drawn as a whisker over the bar; ``clear``:
    ``False`` for "no clear change" (default: the interval includes 0), drawn in grey; and
    ``n_previous``/``n_current``: the visits on each side, printed under the two scores.
    """
    both = lab.lang == "both"
    label_w = 212.0
    code_w = 46.0
    values_w = 112.0
    text_room = 40.0  # beyond the axis ends, for the printed change
    head_h = 28.0 if both else 18.0
    plot_x0, plot_x1 = label_w + 12, width - values_w - 12
    centre = (plot_x0 + plot_x1) / 2
    extent = [5.0]
    for mover in movers:
        extent.append(abs(mover["change"]))
        interval = _change_interval(mover)
        if interval:
            extent += [abs(interval[0]), abs(interval[1])]
    step = _axis_step(max(extent))
    span = math.ceil(max(extent) / step) * step  # a whole number of steps: 0 is a tick
    scale = ((plot_x1 - plot_x0) / 2 - text_room) / span
    with_n = any(m.get("n_previous") is not None or m.get("n_current") is not None for m in movers)

    # Rows are as tall as their labels: a long dealer name wraps instead of running over the rules.
    labels = [_label_lines(lab, lab.text_pair(m["dealer"]["name"]), label_w - code_w, both_lines=2)
              for m in movers]
    values_h = LABEL_SIZE + (LINE_GAP + SMALL_SIZE if with_n else 0)
    base_h = 31.0 if both else 23.0
    heights = [max(base_h, _lines_height(lines) + 9, values_h + 9) for lines in labels]
    top = head_h + 4
    bottom = top + sum(heights)
    legend = []
    if any(_change_interval(m) for m in movers):
        legend.append(("whisker", "change_interval"))
    if any(not is_clear_change(m) for m in movers):
        legend.append(("unclear", "no_clear_change"))
    height = bottom + 22 + (18 if legend else 0)

    out: list[str] = []
    previous_wave = movers[0]["previous_wave"] if movers else ""
    current_zh, current_en = lab.pair("current")
    head = (f"{previous_wave} → {current_zh}", f"{previous_wave} → {current_en}")
    out += _draw_label([(t, s, MUTED) for t, s, _ in _label_lines(lab, head, values_w)],
                       width - 4, head_h / 2 + 1, anchor="end")
    out += _draw_label([(t, s, MUTED) for t, s, _ in _label_lines(lab, lab.pair("change"), 120)],
                       centre, head_h / 2 + 1, anchor="middle")
    out.append(_line(0, head_h + 2, width, head_h + 2, RULE, 0.8))
    for tick in range(-span, span + 1, step):
        x = centre + tick * scale
        out.append(_line(x, top, x, bottom, "#e6e9ee" if tick else INK, 0.6 if tick else 1.0))
        label = "0" if tick == 0 else f"+{tick}" if tick > 0 else f"−{-tick}"
        out.append(_text(x, bottom + 12, label, SMALL_SIZE, "middle", MUTED))
    y = top
    for index, (mover, lines, row_h) in enumerate(zip(movers, labels, heights)):
        cy = y + row_h / 2
        if index:
            out.append(_line(0, y, width, y, "#eef0f3", 0.6))
        y += row_h
        out.append(_text(0, cy + 3.5, mover["dealer"]["code"], SMALL_SIZE, fill=MUTED))
        out += _draw_label(lines, code_w, cy)
        change = mover["change"]
        clear = is_clear_change(mover)
        bar_w = abs(change) * scale
        bar_colour = (NAVY if change >= 0 else LOSS) if clear else UNCLEAR
        out.append(_rect(centre if change >= 0 else centre - bar_w, cy - 5.5, bar_w, 11, bar_colour))
        reach = change
        interval = _change_interval(mover)
        if interval:
            lo_x, hi_x = centre + interval[0] * scale, centre + interval[1] * scale
            out += [_line(lo_x, cy, hi_x, cy, INK, 1.2), _line(lo_x, cy - 4.5, lo_x, cy + 4.5, INK, 1.2),
                    _line(hi_x, cy - 4.5, hi_x, cy + 4.5, INK, 1.2)]
            reach = max(change, interval[1]) if change >= 0 else min(change, interval[0])
        text_colour = (INK if change >= 0 else LOSS) if clear else MUTED
        if change >= 0:
            out.append(_text(centre + reach * scale + 4, cy + 3.8, fmt(change, signed=True), LABEL_SIZE,
                             "start", text_colour, clear))
        else:
            out.append(_text(centre + reach * scale - 4, cy + 3.8, fmt(change, signed=True), LABEL_SIZE,
                             "end", text_colour, clear))
        scores_y = cy + 3.8 - ((LINE_GAP + SMALL_SIZE) / 2 if with_n else 0)
        out.append(_text(width - 4, scores_y, f"{fmt(mover['previous'])} → {fmt(mover['current'])}",
                         LABEL_SIZE, "end", INK))
        if with_n:
            n_text = "n = {} → {}".format(*("–" if mover.get(k) is None else mover[k]
                                             for k in ("n_previous", "n_current")))
            out.append(_text(width - 4, scores_y + LINE_GAP + SMALL_SIZE + 1, n_text, SMALL_SIZE - 0.5, "end", MUTED))
    if legend:
        out += _legend(lab, legend, 0, bottom + 34)
    return _svg(width, height, out, lab.plain("movers_title"))


__all__ = ["CONTENT_WIDTH", "DEALER_SERIES", "REGION_SERIES", "Series", "band_of", "comparison_chart", "fmt",
           "interval_strip", "is_clear_change", "movers_chart", "text_width", "trend_chart", "wrap"]
