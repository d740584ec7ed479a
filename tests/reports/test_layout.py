"""What the templates print for knock-outs, and layout rules seen in the demo's PDFs.

* the scorecard's headline sentence on what knock-outs cost (``knockout_summary``);
* knocked-out sections on the heat map (``section_knockouts``) and the MOT chart (``knockouts``);
* phrases a line must not split (区间, 不参与, 0.0–100.0) and headings kept with their tables.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from auditapp.reports.labels import KEEP_TOGETHER, LABELS, Labeller
from auditapp.reports.render import ReportRenderer

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")

FORCED_BUNDLE = {"zh": "是否存在强制搭售或隐性收费（如强制购买保险）？",
                 "en": "Was there a forced bundle or a hidden charge (e.g. insurance)?"}
NO_TEST_DRIVE = {"zh": "是否主动邀请试驾？", "en": "Was a test drive offered?"}


def explain_block(html: str) -> str:
    found = re.search(r'<div class="ko-explain">(.*?)</div>', html, flags=re.S)
    assert found, "no knock-out sentence"
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


# --- the knock-out headline of the scorecard --------------------------------------------------------

def test_one_knockout_is_explained_under_the_headline(renderer: ReportRenderer,
                                                      scorecard_data: dict[str, Any]) -> None:
    scorecard_data["score"]["mean"] = 44.9
    scorecard_data["knockout_summary"] = [{"item_text": FORCED_BUNDLE, "points": 21.66, "visit_number": 3}]
    en = explain_block(renderer.dealer_scorecard_html(scorecard_data, "en"))
    assert en == '44.9: 21.7 points lost to one knock-out ("Was there a forced bundle or a hidden charge?", visit 3)'
    zh = explain_block(renderer.dealer_scorecard_html(scorecard_data, "zh"))
    assert zh == "44.9：因 1 项否决项失去 21.7 分（“是否存在强制搭售或隐性收费？”，暗访 3）"
    both = explain_block(renderer.dealer_scorecard_html(scorecard_data, "both"))
    assert zh in both and en in both


def test_several_knockouts_add_up_as_printed(renderer: ReportRenderer, scorecard_data: dict[str, Any]) -> None:
    # 10.04 and 10.04 print as 10.0 each: the total prints 20.0 (their sum is 20.08, which would print 20.1)
    scorecard_data["score"]["mean"] = 48.57
    scorecard_data["knockout_summary"] = [
        {"item_text": FORCED_BUNDLE, "points": 10.04, "visit_number": 1},
        {"item_text": NO_TEST_DRIVE, "points": 10.04, "visit_number": 2},
    ]
    en = explain_block(renderer.dealer_scorecard_html(scorecard_data, "en"))
    assert en == ('48.6: 20.0 points lost to 2 knock-outs ("Was there a forced bundle or a hidden charge?", '
                  'visit 1: 10.0; "Was a test drive offered?", visit 2: 10.0)')
    zh = explain_block(renderer.dealer_scorecard_html(scorecard_data, "zh"))
    assert zh.startswith("48.6：因 2 项否决项共失去 20.0 分（") and "暗访 2，10.0 分" in zh


@pytest.mark.parametrize("summary", ["absent", "empty"])
def test_no_knockout_sentence_without_the_data(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                               summary: str) -> None:
    if summary == "empty":
        scorecard_data["knockout_summary"] = []
    html = renderer.dealer_scorecard_html(scorecard_data, "both")
    assert 'class="ko-explain"' not in html
    # the highlights still name the failed knock-outs of the gap list (the sample has one)
    assert LABELS["hl_knockouts"][1].split(":")[0] in html


def test_knockout_sentence_replaces_the_highlight_that_only_names_them(renderer: ReportRenderer,
                                                                       scorecard_data: dict[str, Any]) -> None:
    scorecard_data["knockout_summary"] = [{"item_text": FORCED_BUNDLE, "points": 21.7, "visit_number": 3}]
    html = renderer.dealer_scorecard_html(scorecard_data, "en")
    assert LABELS["hl_knockouts"][1].split(":")[0] not in html


def test_knockout_sentence_escapes_the_item_text(renderer: ReportRenderer, scorecard_data: dict[str, Any]) -> None:
    scorecard_data["knockout_summary"] = [{"item_text": {"zh": "<b>甲</b>", "en": "<b>A</b>"}, "points": 5.0,
                                           "visit_number": 1}]
    html = renderer.dealer_scorecard_html(scorecard_data, "both")
    assert "<b>A</b>" not in html and "&lt;b&gt;A&lt;/b&gt;" in html


# --- knocked-out sections ---------------------------------------------------------------------------

def test_heat_map_marks_knocked_out_sections(renderer: ReportRenderer, region_data: dict[str, Any]) -> None:
    row = region_data["ranked"][0]
    row["section_knockouts"] = {"negotiation": 2}
    html = renderer.region_report_html(region_data, "en")
    cells = re.findall(r'<td class="cell-\w+ ko">(.*?)</td>', html, flags=re.S)
    assert len(cells) == 1
    value = f"{row['sections']['negotiation']:.1f}"
    assert re.sub(r"<[^>]+>", " ", cells[0]).split() == [value, "KO", "×2"]  # the badge is a block under the value
    assert LABELS["ko_section_legend"][1] in html


def test_heat_map_without_knockouts_has_no_mark(renderer: ReportRenderer, region_data: dict[str, Any]) -> None:
    for row in region_data["ranked"] + region_data["insufficient_sample"]:
        row.update(section_knockouts={}, audit_knockouts=0)
    html = renderer.region_report_html(region_data, "en")
    assert " ko\"" not in html and LABELS["ko_section_legend"][1] not in html
    assert LABELS["ko_audit_legend"][1] not in html


def test_heat_map_marks_visits_zeroed_by_an_audit_knockout_on_the_overall(renderer: ReportRenderer,
                                                                        region_data: dict[str, Any]) -> None:
    zeroed = [row for row in region_data["ranked"] if row["audit_knockouts"]]
    assert [row["dealer"]["code"] for row in zeroed] == ["EA001"]
    html = renderer.region_report_html(region_data, "en")
    cells = re.findall(r'<td class="overall cell-\w+ ko">(.*?)</td>', html, flags=re.S)
    assert [re.sub(r"<[^>]+>", " ", c).split() for c in cells] == [["48.6", "Visit", "KO", "×1"]]
    assert LABELS["ko_audit_legend"][1] in html


def test_mot_chart_of_the_scorecard_marks_knocked_out_sections(renderer: ReportRenderer,
                                                               scorecard_data: dict[str, Any]) -> None:
    assert LABELS["ko_section_legend"][1] not in renderer.dealer_scorecard_html(scorecard_data, "en")
    scorecard_data["sections"][4]["knockouts"] = 1
    html = renderer.dealer_scorecard_html(scorecard_data, "en")
    assert "KO ×1" in html and LABELS["ko_section_legend"][1] in html


# --- phrases a line must not split ---------------------------------------------------------------------

def test_keep_together_phrases_belong_to_their_labels() -> None:
    for key, (zh_phrases, en_phrases) in KEEP_TOGETHER.items():
        zh, en = LABELS[key]
        for phrase in zh_phrases:
            assert phrase in zh, (key, phrase)
        for phrase in en_phrases:
            assert phrase in en, (key, phrase)


def test_keep_together_phrases_print_in_non_breaking_spans() -> None:
    zh = str(Labeller("zh").s("insufficient_rank", min=2))
    assert '<span class="nobr">不参与排名</span>' in zh and '<span class="nobr">样本不足</span>' in zh
    assert '<span class="nobr">n &lt; 2</span>' in zh
    both = str(Labeller("both").s("rank_of_range", rank=8, of=8, best=1, worst=8))
    assert '<span class="nobr">可能区间</span>' in both and '<span class="nobr">第 1–8 名</span>' in both
    assert '<span class="nobr">1–8</span>' in both  # the English range too
    # plain text (charts, titles) has no markup
    assert Labeller("zh").plain("insufficient_rank", min=2) == "样本不足（n < 2）：不参与排名"


def test_a_value_cannot_add_or_break_a_non_breaking_span() -> None:
    html = str(Labeller("zh").t("ko_headline_one", score="44.9", points="21.7",
                                item={"zh": "暗访 3 分", "en": "x"}, visit=3))
    assert html.count('class="nobr"') == 2  # "21.7 分" and "暗访 3" of the wording, not the item's text
    assert "“暗访 3 分”" in html


def test_stylesheet_keeps_phrases_and_table_heads() -> None:
    css = (Path(__file__).resolve().parents[2] / "report_templates" / "report.css").read_text(encoding="utf-8")
    assert re.search(r"\.nobr\s*{\s*white-space:\s*nowrap;\s*}", css)
    assert re.search(r"table\.data > tbody > tr:nth-child\(-n\+2\):not\(:last-child\)\s*{\s*break-after:\s*avoid;",
                     css)
    assert re.search(r"\.section-head\s*{[^}]*break-after:\s*avoid", css)


def pdf_lines(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.splitlines()


@needs_poppler
def test_cards_print_chinese_words_whole(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                         tmp_path: Path) -> None:
    # The demo's cards broke 可能区|间 and 不|参与排名 over two lines.
    lines = pdf_lines(renderer.dealer_scorecard_pdf(scorecard_data, "zh"), tmp_path, "ranked")
    assert any("可能为" in line for line in lines) and any("第 1–3 名" in line for line in lines)
    assert any("0.0–100.0" in line for line in lines)
    scorecard_data["score"].update(mean=90.4576, n=1, lo=None, hi=None, band="green")
    scorecard_data["rank"] = None
    lines = pdf_lines(renderer.dealer_scorecard_pdf(scorecard_data, "zh"), tmp_path, "unranked")
    card_lines = [line for line in lines if "不参与排名" in line and "暗访少于" not in line]  # not the notes
    assert len(card_lines) == 2  # the card's title and its note
    assert any("无置信区间" in line for line in lines)


@needs_poppler
def test_gaps_heading_is_never_the_last_thing_on_a_page(renderer: ReportRenderer, region_data: dict[str, Any],
                                                        tmp_path: Path) -> None:
    # Grow the first page until the gaps section starts near a page's foot: the heading must move
    # with its table's first rows.
    heading = LABELS["gaps_title"][1]
    first_rows = ["".join(g["info"]["text"]["en"].split())[:12] for g in region_data["gaps"][:3]]
    assert len(first_rows) == 3
    for extra in range(0, 16, 3):
        data = dict(region_data, insufficient_sample=region_data["insufficient_sample"] + [
            dict(region_data["ranked"][-1], dealer=dict(region_data["ranked"][-1]["dealer"], code=f"PAD{i}"))
            for i in range(extra)])
        path = tmp_path / f"pad-{extra}.pdf"
        path.write_bytes(renderer.region_report_pdf(data, "en"))
        pages = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                               check=True).stdout.split("\f")
        assert sum(heading in page for page in pages) == 1
        page = "".join(next(page for page in pages if heading in page).split())
        for row in first_rows:
            assert row in page, f"{heading!r} without its first three rows ({extra} dealers added)"
