"""The region report's first page answers a manager's first questions (DESIGN 9), read back from the PDF."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_render import assert_in_order, flat, needs_poppler, texts_for

from auditapp.reports.labels import LABELS, LANGS
from auditapp.reports.render import ReportRenderer


def page_text(pdf: bytes, tmp_path: Path, name: str, first: int, last: int | None = None) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", "-f", str(first), "-l", str(last or first), "-enc", "UTF-8",
                           str(path), "-"], capture_output=True, text=True, check=True).stdout


def label(lang: str, key: str) -> list[str]:
    zh, en = LABELS[key]
    return texts_for(lang, {"zh": zh, "en": en})


@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_first_page_shows_rank_among_regions_breaches_standard_issues_and_overdue_decisions(
        renderer: ReportRenderer, region_data: dict[str, Any], lang: str, tmp_path: Path) -> None:
    first = flat(page_text(renderer.region_report_pdf(region_data, lang), tmp_path, f"p1-{lang}", 1))
    # Every region of the wave, in rank order, with its score and the printed change.
    assert_in_order(first, [f"{r['region']['code']}" for r in region_data["regions"]])
    assert "NORTH" in first and "80.0" in first and "+1.7" in first and "−3.9" in first
    # The compliance breach: dealer, the visit's local date, what it cost.
    breach = region_data["breaches"][0]
    assert_in_order(first, [breach["dealer"]["code"], breach["visited_on"], "34.5"])
    for text in label(lang, "breaches_title"):
        assert flat(text) in first
    # The item not met at 4 of the 5 dealers, marked as a standard or training issue.
    for text in label(lang, "standard_title") + label(lang, "standard_tag"):
        assert flat(text) in first
    assert "4/5" in first and "EA001,EA002,EA003,EA004" in first
    # The overdue decision: dealer and the date it was due; side by side (both) it may take the top of
    # page 2, but always before the leaderboard, which starts on a page of its own.
    pdf = renderer.region_report_pdf(region_data, lang)
    before_board = first if lang != "both" else flat(page_text(pdf, tmp_path, f"p12-{lang}", 1, 2))
    overdue = before_board[before_board.index(flat(label(lang, "overdue_title")[0])):]
    assert_in_order(overdue, ["EA001", "2026-08-20", "2026-09-03"])
    assert not any(flat(text) in before_board for text in label(lang, "leaderboard_title"))


def test_no_breach_and_no_standard_issue_say_so(renderer: ReportRenderer, region_data: dict[str, Any]) -> None:
    region_data.update(breaches=[], standard_issues=[])
    region_data["open_disputes"].update(overdue=0, overdue_list=[])
    html = renderer.region_report_html(region_data, "en")
    assert LABELS["no_breaches"][1] in html and LABELS["no_standard_issues"][1] in html
    assert LABELS["overdue_title"][1] not in html  # the headline card says "0 past the decision deadline"


@needs_poppler
def test_movers_show_only_comparable_dealers_and_list_the_others_apart(
        renderer: ReportRenderer, region_data: dict[str, Any], tmp_path: Path) -> None:
    pdf = renderer.region_report_pdf(region_data, "en")
    path = tmp_path / "movers.pdf"
    path.write_bytes(pdf)
    text = flat(subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout)
    start = text.index(flat(LABELS["movers_title"][1]))
    movers = text[start:text.index(flat(LABELS["dispute_stats_title"][1]), start)]
    # The too-few list names the dealers with one visit on a side; the chart does not carry them.
    too_few = movers.index(flat(LABELS["too_few_title"][1]))
    chart = movers[:too_few]
    for row in region_data["movers"]:
        assert row["dealer"]["code"] in chart
    for row in region_data["movers_too_few_visits"]:
        assert row["dealer"]["code"] not in chart and row["dealer"]["code"] in movers[too_few:]
    # n on both sides, and the printed change equals the difference of the printed scores.
    assert "n=4→3" in chart and "74.4→48.6" in chart and "−25.8" in chart
    assert flat(LABELS["no_clear_change"][1]) in chart
