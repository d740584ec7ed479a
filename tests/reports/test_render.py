"""PDF reports (DESIGN 9): content, language, fonts, strictness and the URL fetcher.

The samples in data/ are the dicts services.figures makes for the real sales_visit checklist
(trimmed); each language is rendered once per module and read back with pdftotext and pdffonts.
"""
from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

from auditapp.reports import charts
from auditapp.reports.fonts import REPORT_FONT_FAMILY, REPORT_FONT_STACK
from auditapp.reports.labels import LABELS, Labeller, short_title
from auditapp.reports.render import AssetFetcher, ReportRenderer

LANGS = ("zh", "en", "both")
POSTSCRIPT_PREFIX = REPORT_FONT_FAMILY.replace(" ", "-")
INJECTIONS = ('<img src="file:///etc/passwd">', '<img src="http://example.com/x.png">')

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdffonts") and shutil.which("pdftotext")),
    reason="needs pdffonts and pdftotext (Debian package poppler-utils)",
)


def pdf_text(pdf: bytes, tmp_dir: Path, name: str, layout: bool = False) -> str:
    """The text of a PDF; ``layout`` keeps the physical layout (table rows stay in page order,
    while a cell's wrapped lines get the neighbouring cells' text between them)."""
    path = tmp_dir / f"{name}.pdf"
    path.write_bytes(pdf)
    options = ["-layout"] if layout else []
    return subprocess.run(["pdftotext", *options, "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def item_prefix(text: str, lang: str) -> str:
    """The start of an item text, short enough to stay on the first line of its table cell."""
    return flat(text)[:12 if lang == "zh" else 18]


def flat(text: str) -> str:
    """Without whitespace: lines wrap wherever the layout puts them."""
    return "".join(text.split())


def pdf_fonts(pdf: bytes, tmp_dir: Path, name: str) -> list[list[str]]:
    path = tmp_dir / f"{name}-fonts.pdf"
    path.write_bytes(pdf)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in output.splitlines()[2:] if line.strip()]


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def dealer_pdfs(renderer: ReportRenderer, load_sample: Callable[[str], dict[str, Any]]) -> dict[str, bytes]:
    return {lang: renderer.dealer_scorecard_pdf(load_sample("scorecard"), lang) for lang in LANGS}


@pytest.fixture(scope="module")
def region_pdfs(renderer: ReportRenderer, load_sample: Callable[[str], dict[str, Any]]) -> dict[str, bytes]:
    return {lang: renderer.region_report_pdf(load_sample("region"), lang) for lang in LANGS}


def texts_for(lang: str, text: dict[str, str]) -> list[str]:
    return {"zh": [text["zh"]], "en": [text["en"]], "both": [text["zh"], text["en"]]}[lang]


def assert_in_order(haystack: str, needles: list[str]) -> None:
    position = -1
    for needle in needles:
        found = haystack.find(needle, position + 1)
        assert found > position, f"{needle!r} missing or out of order"
        position = found


# --- dealer scorecard ---------------------------------------------------------------------------------

@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_dealer_scorecard_text(dealer_pdfs: dict[str, bytes], scorecard_data: dict[str, Any], lang: str,
                               tmp_path: Path) -> None:
    pdf = dealer_pdfs[lang]
    assert pdf.startswith(b"%PDF")
    text = flat(pdf_text(pdf, tmp_path, f"dealer-{lang}"))
    assert "48.6" in text  # headline score, one decimal
    for name in texts_for(lang, scorecard_data["dealer"]["name"]):
        assert flat(name) in text
    title = LABELS["dealer_scorecard"]
    for label in texts_for(lang, {"zh": title[0], "en": title[1]}):
        assert flat(label) in text
    # interval clipped to 0–100 for display; ranks in region and nation with their plausible ranges
    assert "0.0–100.0" in text
    if lang != "zh":
        assert flat("3 of 3, plausibly 1–3") in text and flat("12 of 30, plausibly 1–30") in text
    if lang != "en":
        assert flat("共 3 家中第 3 名，可能为第 1–3 名") in text
        assert flat("共 30 家中第 12 名，可能为第 1–30 名") in text
    # gap items in the table's order (a knock-out first), each in the report's language(s)
    gaps = scorecard_data["gaps"]
    assert gaps[0]["knockout"] and not gaps[1]["knockout"]
    rows = flat(pdf_text(pdf, tmp_path, f"dealer-{lang}-layout", layout=True))
    for variant in texts_for(lang, {"zh": "zh", "en": "en"}):
        assert_in_order(rows, [item_prefix(gap["info"]["text"][variant], variant) for gap in gaps])
    # the other language stays out of a one-language report
    if lang == "zh":
        assert flat(gaps[1]["info"]["text"]["en"])[:18] not in text
    if lang == "en":
        assert flat(gaps[1]["info"]["text"]["zh"])[:10] not in text
    # page footer: confidential + page X of Y
    pages = page_count(pdf)
    if lang != "zh":
        assert f"Page1of{pages}" in text and "Confidential" in text
    if lang != "en":
        assert f"第1页，共{pages}页" in text and "保密" in text


@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_reports_embed_only_the_prepared_font(dealer_pdfs: dict[str, bytes], region_pdfs: dict[str, bytes],
                                               lang: str, tmp_path: Path) -> None:
    for kind, pdf in (("dealer", dealer_pdfs[lang]), ("region", region_pdfs[lang])):
        rows = pdf_fonts(pdf, tmp_path, f"{kind}-{lang}")
        assert rows
        for row in rows:
            # name type... encoding emb sub uni object-number generation
            name, encoding, embedded, subset, unicode_map = row[0], row[-6], row[-5], row[-4], row[-3]
            assert name.partition("+")[2].startswith(POSTSCRIPT_PREFIX), (kind, row)  # no fallback font
            assert (embedded, subset, unicode_map) == ("yes", "yes", "yes"), (kind, row)
            # WeasyPrint gives a font with missing glyphs a custom encoding that maps them to .notdef
            assert encoding == "Identity-H", (kind, row)


@needs_poppler
def test_single_visit_dealer_is_not_ranked(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                           tmp_path: Path) -> None:
    data = scorecard_data
    data["score"].update(mean=90.4576, n=1, lo=None, hi=None, band="green", insufficient_sample=True)
    data["rank"] = None
    data["audits"] = data["audits"][:1]
    data["revisions"] = []
    data["sections"][5]["score"] = None  # delivery not scored (no purchase scenario)
    data["dimensions"][4].update(score=None, region=None)
    for lang in ("en", "zh"):
        text = flat(pdf_text(renderer.dealer_scorecard_pdf(data, lang), tmp_path, f"single-{lang}"))
        assert "90.4" in text or "90.5" in text
        if lang == "en":
            assert flat("insufficient sample (n < 2): not ranked") in text
            assert flat("insufficient sample (n = 1 < 2): no interval, not ranked") in text
            assert "rankof" not in text
            assert "notscored" in text
        else:
            assert flat("样本不足（n < 2）：不参与排名") in text
            assert flat("样本不足（n = 1 < 2）：无置信区间，不参与排名") in text


@needs_poppler
def test_revised_audit_shows_its_original_score(dealer_pdfs: dict[str, bytes], tmp_path: Path) -> None:
    text = flat(pdf_text(dealer_pdfs["en"], tmp_path, "revised"))
    assert "revisedoriginal61.2" in text  # visit table: "revised" with the original score beside it
    assert "61.2" in text and "66.6" in text and "+5.3" in text  # revisions table: before, after, change


@needs_poppler
def test_dealer_report_never_shows_the_shopper(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                               tmp_path: Path) -> None:
    # DESIGN 7: even if the data carried the shopper, the scorecard must not print it.
    for audit in scorecard_data["audits"]:
        audit.update(shopper={"id": 4711, "display_name": "Zhang Wei Shopper"}, shopper_id=4711,
                     shopper_name="Zhang Wei Shopper")
    html = renderer.dealer_scorecard_html(scorecard_data, "both")
    assert "Zhang Wei" not in html and "4711" not in html


def loose(text: str) -> str:
    """Without whitespace and hyphens (pdftotext joins a line that ends in "-" without the hyphen)."""
    return flat(text).replace("-", "")


def label_texts(lang: str, key: str, **values: Any) -> list[str]:
    zh, en = Labeller("both").pair(key, **values)
    return texts_for(lang, {"zh": zh, "en": en})


def first_line(layout: str, needle: str) -> str:
    """The first line of a ``-layout`` text holding needle (a table row's first line)."""
    return next(line for line in layout.splitlines() if needle in line)


@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_disputes_on_the_dealer_scorecard(dealer_pdfs: dict[str, bytes], scorecard_data: dict[str, Any],
                                          lang: str, tmp_path: Path) -> None:
    pdf = dealer_pdfs[lang]
    text = pdf_text(pdf, tmp_path, f"disputes-{lang}")
    compact = loose(text)
    layout = pdf_text(pdf, tmp_path, f"disputes-{lang}-layout", layout=True)
    audits = scorecard_data["audits"]
    assert [a["under_dispute"] for a in audits] == [False, True, False]
    # DESIGN 6: the audit with an open dispute is marked "under dispute" in the audit list, the others not
    marks = texts_for(lang, {"zh": "申诉中", "en": "under dispute"})
    for audit in audits:
        row = first_line(layout, audit["visited_on"])  # the audit list comes before the revisions
        for mark in marks:
            assert (mark in row) is audit["under_dispute"], (mark, row)
    if lang == "zh":
        assert "under dispute" not in text and "Under dispute" not in text
    if lang == "en":
        assert "申诉中" not in text
    # ... and named in the highlights
    for highlight in label_texts(lang, "hl_under_dispute", audits={"zh": "暗访 2", "en": "Visit 2"},
                                 items={"zh": "1 个检查项", "en": "1 item"}):
        assert flat(highlight) in flat(text)
    # the revision gives its date and, from the dispute that made it, a line in the report's language(s)
    # with the decision's reason (typed text, printed as it was typed) instead of the English free text
    revision = scorecard_data["revisions"][0]
    assert revision["revised_on"] in text
    source = revision["dispute"]
    assert source == {"id": 41, "item": "followup_contacted", "outcome": "upheld", "by": "qa",
                      "reason": scorecard_data["disputes"][1]["qa_decision"]["reason"]}
    for line in revision_lines(lang, source, scorecard_data["disputes"][1]["item_text"]):
        assert loose(line) in compact
    assert loose(source["reason"]) in compact
    assert "dispute#41upheld(QA)" not in compact
    if lang == "zh":
        assert "Dispute #41" not in text
    if lang == "en":
        assert "申诉 #41（" not in text
    # every dispute: item, claim, requested outcome, status and the decision's reason (or "not decided yet")
    disputes = scorecard_data["disputes"]
    assert [x["status"] for x in disputes] == ["rejected", "upheld", "open"]
    rows = flat(layout)
    assert_in_order(rows, [f"#{x['id']}" for x in disputes])
    for x in disputes:
        assert loose(x["claim"]) in compact
        for item in texts_for(lang, x["item_text"]):
            assert flat(item)[:12] in flat(text)
        for status in label_texts(lang, f"dispute_{x['status']}"):
            assert flat(status) in flat(text)
        for requested in label_texts(lang, f"requested_{x['requested_outcome']}"):
            assert flat(requested) in flat(text)
        assert x["filed_on"] in text
        if x["decision"]:
            assert loose(x["decision"]) in compact and x["decided_on"] in text
    for pending in label_texts(lang, "decision_pending"):
        assert flat(pending) in flat(text)
    for note in label_texts(lang, "escalated_final"):  # the rejected dispute was escalated: final decision
        assert flat(note) in flat(text)
    # DESIGN 6: the whole appeal stays visible: QA's decision and reason, the escalation's date and note,
    # the region manager's final decision and reason, in that order
    escalated = disputes[0]
    assert escalated["qa_decision"]["outcome"] == escalated["final_decision"]["outcome"] == "rejected"
    path = []
    for step in (label_texts(lang, "qa_decision", outcome=status_text("rejected")),
                 [escalated["qa_decision"]["reason"]],
                 label_texts(lang, "escalation_on", on=escalated["escalation"]["on"]),
                 [escalated["escalation"]["note"]],
                 label_texts(lang, "final_decision", outcome=status_text("rejected")),
                 [escalated["final_decision"]["reason"]]):
        for part in step:
            assert loose(part) in compact, part
        path.append(loose(step[0]))
    assert_in_order(compact, [path[1], path[5]])  # QA's reason, then the manager's
    assert_in_order(compact, [loose(escalated["claim"]), path[3]])  # the dealer's side: claim, then escalation
    # the upheld dispute: QA's decision and the score version it made; no new value (not a partial decision)
    upheld = disputes[1]
    for part in [*label_texts(lang, "qa_decision", outcome=status_text("upheld")),
                 *label_texts(lang, "made_version", version=upheld["score_version"])]:
        assert loose(part) in compact, part
    for label in label_texts(lang, "new_value", value=upheld["new_value"]):
        assert loose(label) not in compact
    # the notes explain the process
    for note in label_texts(lang, "note_disputes"):
        assert flat(note) in flat(text)


def status_text(outcome: str) -> dict[str, str]:
    zh, en = LABELS[f"dispute_{outcome}"]
    return {"zh": zh, "en": en}


def revision_lines(lang: str, source: dict[str, Any], item_text: dict[str, str]) -> list[str]:
    """The revision line of a dispute's decision, as the report prints it in lang."""
    labeller = Labeller("both")
    return label_texts(lang, "revision_dispute", id=source["id"], item=labeller.short(item_text),
                       by=labeller.texts(f"by_{source['by']}"), outcome=labeller.texts(f"outcome_{source['outcome']}"))


@needs_poppler
def test_partial_decision_after_escalation(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                           tmp_path: Path) -> None:
    # QA rejects, the dealer escalates, the region manager upholds in part and sets a new value
    final = {"outcome": "partially_upheld", "reason": "A call was made, but only after 70 hours."}
    dispute = scorecard_data["disputes"][1]
    dispute.update(status="partially_upheld", escalated=True, decision=final["reason"], new_value=45,
                   qa_decision={"outcome": "rejected", "reason": "No call is in the shopper's log."},
                   escalation={"on": "2026-08-07", "note": "Please check the DMS call log again."},
                   final_decision=final, score_version=2)
    revision = scorecard_data["revisions"][0]
    revision["dispute"].update(outcome="partially_upheld", by="manager", reason=final["reason"])
    # a revision without a dispute (made another way) keeps its free-text reason
    scorecard_data["revisions"].append({**revision, "id": scorecard_data["audits"][0]["id"], "version": 2,
                                        "reason": "QA correction: answer typed in the wrong field",
                                        "dispute": None})
    compact = loose(pdf_text(renderer.dealer_scorecard_pdf(scorecard_data, "both"), tmp_path, "partial"))
    for line in revision_lines("both", revision["dispute"], dispute["item_text"]):
        assert loose(line) in compact
    assert loose("经区域经理裁定部分成立") in compact and loose("partially upheld by the region manager") in compact
    assert loose("QA correction: answer typed in the wrong field") in compact
    for part in [*label_texts("both", "qa_decision", outcome=status_text("rejected")),
                 "No call is in the shopper's log.", *label_texts("both", "escalation_on", on="2026-08-07"),
                 "Please check the DMS call log again.",
                 *label_texts("both", "final_decision", outcome=status_text("partially_upheld")), final["reason"],
                 *label_texts("both", "new_value", value=45), *label_texts("both", "made_version", version=2)]:
        assert loose(part) in compact, part


def test_escalated_dispute_awaits_the_manager(renderer: ReportRenderer, scorecard_data: dict[str, Any]) -> None:
    dispute = scorecard_data["disputes"][0]
    dispute.update(status="escalated", final_decision=None, decided_on=None,
                   decision=dispute["qa_decision"]["reason"])
    html = renderer.dealer_scorecard_html(scorecard_data, "en")
    assert html.count(LABELS["escalated_pending"][1].replace("'", "&#39;")) == 2  # status column and decisions
    assert LABELS["final_decision"][1].split(":")[0].replace("'", "&#39;") not in html
    assert "Escalated on 2026-07-14" in html


@needs_poppler
def test_dispute_claim_is_printed_literally(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                            tmp_path: Path) -> None:
    scorecard_data["disputes"][2]["claim"] = "The fee is optional, see <b>bold</b> line 3 & the bank's schedule."
    html = renderer.dealer_scorecard_html(scorecard_data, "en")
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    text = pdf_text(renderer.dealer_scorecard_pdf(scorecard_data, "en"), tmp_path, "bold-claim")
    assert "see <b>bold</b> line 3 & the bank's schedule." in " ".join(text.split())


def test_scorecard_without_disputes_says_so(renderer: ReportRenderer, scorecard_data: dict[str, Any]) -> None:
    for audit in scorecard_data["audits"]:
        audit.update(under_dispute=False, items_under_dispute=[], dispute_status="none")
    scorecard_data["disputes"] = []
    html = renderer.dealer_scorecard_html(scorecard_data, "en")
    assert LABELS["no_disputes"][1] in html
    assert "under dispute" not in html.replace(LABELS["note_disputes"][1].replace('"', "&#34;"), "")
    assert "Under dispute" not in html


# --- region report ------------------------------------------------------------------------------------

@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_region_report_text(region_pdfs: dict[str, bytes], region_data: dict[str, Any], lang: str,
                            tmp_path: Path) -> None:
    text = flat(pdf_text(region_pdfs[lang], tmp_path, f"region-{lang}"))
    rows = flat(pdf_text(region_pdfs[lang], tmp_path, f"region-{lang}-layout", layout=True))
    for name in texts_for(lang, region_data["region"]["name"]):
        assert flat(name) in text
    assert "77.7" in text  # region mean
    # leaderboard in rank order, with interval and plausible rank range
    assert_in_order(rows, [row["dealer"]["code"] for row in region_data["ranked"]])
    assert "85.1–92.4" in text and "42.4–100.0" in text and "1–3" in text
    # the insufficient sample list, apart
    heading = LABELS["insufficient_title"]
    for label in texts_for(lang, {"zh": heading[0], "en": heading[1]}):
        assert flat(label) in text
    for row in region_data["insufficient_sample"]:
        assert row["dealer"]["code"] in text
    # worst gaps in order, with the dealers driving them
    for variant in texts_for(lang, {"zh": "zh", "en": "en"}):
        assert_in_order(rows, [item_prefix(gap["info"]["text"][variant], variant) for gap in region_data["gaps"]])
    assert "EA0046.6" in text  # follow-up contact gap: driven by EA004 losing 6.6 points
    # movers since the last wave
    assert "−25.8" in text and "74.4→48.6" in text


@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_region_dispute_statistics(region_pdfs: dict[str, bytes], region_data: dict[str, Any], lang: str,
                                   tmp_path: Path) -> None:
    text = flat(pdf_text(region_pdfs[lang], tmp_path, f"region-disputes-{lang}"))
    layout = pdf_text(region_pdfs[lang], tmp_path, f"region-disputes-{lang}-layout", layout=True)
    for title in label_texts(lang, "dispute_stats_title"):
        assert flat(title) in text
    stats = region_data["disputes"]
    # dealers by dispute rate, highest first: EA001 disputes every visit
    side = 1 if lang == "en" else 0
    # the section runs to the next one, the action-plan status
    section_layout = layout[layout.index(LABELS["dispute_stats_title"][side]):
                            layout.index(LABELS["action_plans_title"][side])]
    section = flat(section_layout)
    rows = {row["dealer"]["code"]: row for row in stats["dealers"]}
    assert_in_order(section, ["EA001", "EA004", "EA005"])
    ea001 = flat(first_line(section_layout, "EA001"))
    assert rows["EA001"]["dispute_rate"] == 1.0
    assert "33100.0%31/250.0%1" in ea001  # visits, disputed visits, rate, disputes, upheld/decided, uphold rate, open
    assert "33.3%" in section and "1/1100.0%" in section
    # the dealers without disputes share one line (EA002 and EA003: one visit each)
    assert "EA002" not in section and "EA003" not in section
    for quiet in label_texts(lang, "no_dispute_dealers", n=2):
        assert flat(quiet) in section
    # the region total
    for total in label_texts(lang, "region_total"):
        assert flat(total) in section
    assert "10550.0%52/450.0%1" in section
    # the most disputed items, most disputes first
    for variant in texts_for(lang, {"zh": "zh", "en": "en"}):
        assert_in_order(section, [item_prefix(row["item_text"][variant], variant) for row in stats["items"]])
    assert "220.0%1/250.0%" in section  # the follow-up call: 2 disputes, 20% of visits, 1 of 2 upheld
    for note in label_texts(lang, "note_dispute_signals"):
        assert flat(note) in text


def test_region_without_disputes_says_so(renderer: ReportRenderer, region_data: dict[str, Any]) -> None:
    stats = region_data["disputes"]
    zero = {"disputes": 0, "disputed_audits": 0, "dispute_rate": 0.0, "decided": 0, "upheld": 0,
            "uphold_rate": None, "open": 0}
    stats["overall"].update(zero)
    for row in stats["dealers"]:
        row.update(zero)
    stats["items"] = []
    html = renderer.region_report_html(region_data, "en")
    assert "No disputes in this wave (10 published visits)" in html
    assert LABELS["most_disputed"][1] not in html


# --- strictness ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "", "ZH", None, "zh-CN"])
def test_unknown_language_is_refused(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                     region_data: dict[str, Any], lang: Any) -> None:
    with pytest.raises(ValueError):
        renderer.dealer_scorecard_pdf(scorecard_data, lang)
    with pytest.raises(ValueError):
        renderer.region_report_pdf(region_data, lang)
    with pytest.raises(ValueError):
        renderer.dealer_scorecard_html(scorecard_data, lang)


@pytest.mark.parametrize("remove", [
    ("score",), ("score", "n"), ("rank",), ("gaps", 0, "info", "text"), ("sections", 2, "nation"),
    ("trend", 0, "region"), ("audits", 0, "visited_on"), ("dealer", "name", "en"),
    ("audits", 1, "under_dispute"), ("audits", 1, "items_under_dispute"), ("revisions", 0, "dispute"),
    ("revisions", 0, "dispute", "reason"), ("revisions", 0, "revised_on"), ("disputes",), ("disputes", 0, "status"),
    ("disputes", 0, "claim"), ("disputes", 2, "decision"), ("disputes", 0, "qa_decision"),
    ("disputes", 0, "escalation"), ("disputes", 0, "final_decision"), ("disputes", 0, "final_decision", "reason"),
    ("disputes", 1, "score_version"),
])
def test_missing_key_fails_loudly(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                  remove: tuple[Any, ...]) -> None:
    target: Any = scorecard_data
    for step in remove[:-1]:
        target = target[step]
    del target[remove[-1]]
    with pytest.raises((jinja2.UndefinedError, KeyError)):
        renderer.dealer_scorecard_html(scorecard_data, "both")


@pytest.mark.parametrize("remove", ["ranked", "insufficient_sample", "movers", "section_titles", "min_ranked",
                                    "disputes"])
def test_region_missing_key_fails_loudly(renderer: ReportRenderer, region_data: dict[str, Any],
                                         remove: str) -> None:
    del region_data[remove]
    with pytest.raises((jinja2.UndefinedError, KeyError)):
        renderer.region_report_html(region_data, "en")


def test_environment_is_strict_and_autoescaped(renderer: ReportRenderer) -> None:
    assert renderer.env.undefined is jinja2.StrictUndefined
    assert renderer.env.autoescape is True


# --- user text is text; only the report's own assets are fetched --------------------------------------

@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"network access during a render: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@needs_poppler
@pytest.mark.parametrize("lang", LANGS)
def test_typed_text_is_printed_literally_and_fetches_nothing(
    renderer: ReportRenderer, scorecard_data: dict[str, Any], region_data: dict[str, Any],
    no_network: list[Any], lang: str, tmp_path: Path,
) -> None:
    evil = " ".join(INJECTIONS)
    scorecard_data["dealer"]["name"] = {"zh": f"恶意店 {evil}", "en": f"Evil Motors {evil}"}
    revision = scorecard_data["revisions"][0]
    revision["dispute"]["reason"] = f"dispute upheld {evil}"
    scorecard_data["disputes"][1].update(claim=f"CCTV shows a call {evil}", decision=f"upheld {evil}",
                                         qa_decision={"outcome": "upheld", "reason": f"upheld {evil}"})
    scorecard_data["disputes"][0]["escalation"]["note"] = f"see the video {evil}"
    region_data["ranked"][0]["dealer"]["name"] = {"zh": f"恶意店 {evil}", "en": f"Evil Motors {evil}"}

    html = renderer.dealer_scorecard_html(scorecard_data, lang)
    assert "<img" not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html

    pdf = renderer.dealer_scorecard_pdf(scorecard_data, lang)
    assert renderer.last_fetcher.allowed == [] and renderer.last_fetcher.refused == []
    text = flat(pdf_text(pdf, tmp_path, f"evil-{lang}"))
    for injection in INJECTIONS:
        assert text.count(flat(injection)) >= 5  # name, revision reason, dispute claim, decision and escalation

    pdf = renderer.region_report_pdf(region_data, lang)
    assert renderer.last_fetcher.allowed == [] and renderer.last_fetcher.refused == []
    text = flat(pdf_text(pdf, tmp_path, f"evil-region-{lang}"))
    for injection in INJECTIONS:
        assert flat(injection) in text
    assert no_network == []


def test_foreign_urls_are_refused_without_breaking_the_render(
    renderer: ReportRenderer, no_network: list[Any], tmp_path: Path,
) -> None:
    # Even raw HTML (never produced from data: autoescape) cannot reach outside the report's assets.
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    html = f"""<!DOCTYPE html><html><head>
      <link rel="stylesheet" href="https://example.com/evil.css">
      <style>@import url("http://example.com/i.css"); p {{ background: url("file:///etc/hostname"); }}</style>
    </head><body><p>still rendered 仍然渲染</p>
      <img src="file:///etc/passwd"><img src="http://example.com/x.png"><img src="{outside.as_uri()}">
      <img src="../../../../../../etc/passwd"><img src="data:image/png;base64,iVBORw0KGgo=">
      <img src="ftp://example.com/x.png"><img src="file://evil.example.com/etc/passwd">
    </body></html>"""
    pdf = renderer.pdf_from_html(html, "zh")
    assert pdf.startswith(b"%PDF")
    fetcher = renderer.last_fetcher
    assert fetcher.allowed == []
    refused = " ".join(fetcher.refused)
    for url in ("https://example.com/evil.css", "http://example.com/i.css", "file:///etc/hostname",
                "file:///etc/passwd", "http://example.com/x.png", outside.as_uri(), "data:image/png",
                "ftp://example.com/x.png", "file://evil.example.com/etc/passwd"):
        assert url in refused, url
    assert no_network == []


def test_fetcher_allows_only_the_report_assets(renderer: ReportRenderer, tmp_path: Path) -> None:
    fetcher = renderer.new_fetcher()
    for url in renderer.fonts.urls:
        response = fetcher.fetch(url)
        assert response.read(4) == b"\x00\x01\x00\x00"  # TrueType
        response.close()
    css = (renderer.template_dir / "report.css").as_uri()
    assert fetcher.local_path(css) == renderer.template_dir / "report.css"
    assert fetcher.local_path(css.replace("file://", "file://localhost")) is not None

    # a symlink inside the template directory pointing outside is judged by its target
    link_dir = tmp_path / "templates"
    link_dir.mkdir()
    (link_dir / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (link_dir / "escape").symlink_to("/etc/passwd")
    fonts_dir = renderer.fonts.regular.parent
    local = AssetFetcher(files=[renderer.fonts.regular], directories=[link_dir])
    assert local.local_path((link_dir / "logo.svg").as_uri()) is not None
    for url in [(link_dir / "escape").as_uri(), f"{link_dir.as_uri()}/../../../etc/passwd",
                (fonts_dir / "manifest.json").as_uri(), renderer.fonts.bold.as_uri(),
                (link_dir / "missing.png").as_uri(), "file:///etc/passwd", "http://localhost/x.png",
                "data:text/plain,hello", "javascript:alert(1)", "not a url"]:
        assert local.local_path(url) is None, url
        with pytest.raises(ValueError):
            local.fetch(url)
    assert len(local.refused) == 10 and local.allowed == []


# --- templates and charts follow the report font rules --------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_every_inline_svg_carries_the_report_font(renderer: ReportRenderer, scorecard_data: dict[str, Any],
                                                  region_data: dict[str, Any], lang: str) -> None:
    for html in (renderer.dealer_scorecard_html(scorecard_data, lang), renderer.region_report_html(region_data, lang)):
        roots = re.findall(r"<svg\b[^>]*>", html)
        assert roots
        for root in roots:
            assert f"font-family='{REPORT_FONT_STACK}'" in root, root
        assert not re.search(r"<(code|pre|kbd|samp)\b", html)
        assert "font-weight=\"" not in html.replace('font-weight="700"', "")


def test_stylesheet_follows_the_font_rules() -> None:
    template_dir = Path(__file__).resolve().parents[2] / "report_templates"
    css = (template_dir / "report.css").read_text(encoding="utf-8")
    css_code = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    weights = set(re.findall(r"font-weight:\s*([^;}\s]+)", css_code))
    assert weights <= {"400", "700", "normal", "bold"}, weights
    assert set(re.findall(r"font-style:\s*([^;}\s]+)", css_code)) <= {"normal"}
    assert "font-family" not in css_code.replace("font-family: inherit", "")  # the root font comes from render.py
    assert "thead { display: table-header-group; }" in css_code
    assert "tr { break-inside: avoid; }" in css_code
    for template in template_dir.glob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r"<(code|pre|kbd|samp|i|em)\b", source), template.name
        assert "|safe" not in source.replace(" ", ""), template.name


def test_chart_text_is_escaped_and_bilingual() -> None:
    rows = [{"title": {"zh": "接待<script>", "en": "Greeting & <b>welcome</b>"}, "score": 73.61, "region": 87.2,
             "nation": None}]
    both = str(charts.comparison_chart(rows, Labeller("both")))
    assert "<script>" not in both and "&lt;script&gt;" in both and "&amp; &lt;b&gt;" in both
    assert "73.6" in both and "87.2" in both and "–" in both
    only_zh = str(charts.comparison_chart(rows, Labeller("zh")))
    assert "接待" in only_zh and "Greeting" not in only_zh
    for chart in (charts.trend_chart([{"wave": {"code": "2026-Q2"}, "score": 70.0, "n": 2, "region": None,
                                       "nation": 75.0}], Labeller("en")),
                  charts.interval_strip(48.6, -23.1, 120.3),
                  charts.movers_chart([{"dealer": {"code": "X1", "name": {"zh": "甲", "en": "A"}},
                                        "previous": 70.0, "current": 60.0, "change": -10.0,
                                        "previous_wave": "2026-Q2"}], Labeller("both"))):
        assert str(chart).startswith("<svg") and f"font-family='{REPORT_FONT_STACK}'" in str(chart)


def test_number_formatting() -> None:
    assert charts.fmt(48.570684) == "48.6"
    assert charts.fmt(None) == "–"
    assert charts.fmt(-0.04) == "0.0" and charts.fmt(-0.04, signed=True) == "0.0"
    assert charts.fmt(-25.8079, signed=True) == "−25.8" and charts.fmt(7.55, signed=True) == "+7.5"
    assert charts.fmt(100) == "100.0"


def test_band_thresholds_match_the_scorecards() -> None:
    from auditapp.services.figures import band_of

    for score in (None, 0.0, 69.99, 70.0, 84.99, 85.0, 100.0):
        assert charts.band_of(score) == band_of(score)


def test_labels_exist_in_both_languages_and_short_titles() -> None:
    for key, (zh, en) in LABELS.items():
        assert zh and en, key
        assert sorted(re.findall(r"{(\w+)}", zh)) == sorted(re.findall(r"{(\w+)}", en)), key
    assert short_title("车辆展示（六方位绕车）") == "车辆展示"
    assert short_title("Product presentation (six-point walk-around)") == "Product presentation"
    assert short_title("Was there a hidden charge (e.g. a fee)?") == "Was there a hidden charge?"
    lab = Labeller("both")
    assert str(lab.t("rank_of", rank=3, of=12)) == (
        '<span class="zh" lang="zh-CN">第 3 名 / 共 12 家</span> <span class="en" lang="en">rank 3 of 12</span>')
    assert "&lt;b&gt;" in str(lab.t("hl_weakest", mot={"zh": "<b>", "en": "<b>"}, score="1", region="2"))
    # lists of questions: no "；" after a "？"
    joined = Labeller.join_texts([{"zh": "是否报价？", "en": "Quoted (in writing)?"}, {"zh": "甲", "en": "A"},
                                  {"zh": "乙", "en": "B"}], short=True)
    assert joined == {"zh": "是否报价？甲；乙", "en": "Quoted? A; B"}
