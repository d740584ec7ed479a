"""The prepared report font: glyph coverage, caching, and what ends up in the PDF.

The real build takes ~15 s, so it happens once per session (or never, when
the session's font cache directory (tests/conftest.py) is already up to date).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont

from auditapp.reports import fonts as report_fonts
from auditapp.reports.fonts import (
    REPORT_FONT_FAMILY,
    REPORT_FONT_STACK,
    ReportFonts,
    ensure_report_fonts,
)

MOMENTS = "经销商评分卡 接待 需求分析 试乘试驾 议价成交 交车 回访"
DIMENSIONS = "可靠性 响应性 安全性 移情性 有形性"
LATIN = "Dealer Scorecard: 0123456789 82.5% (n=4) ABCXYZ abcxyz"
SYMBOLS = "▲▼●■○□★→←↑↓、。，：；（）《》“”…—–·℃①②≤≥±×÷✓"
WEIGHTS = ("regular", "bold")
POSTSCRIPT_PREFIX = REPORT_FONT_FAMILY.replace(" ", "-")  # how WeasyPrint names it in PDFs


def gb2312_characters() -> set[str]:
    characters = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                characters.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return characters


@pytest.fixture(scope="session")
def opened_fonts(prepared_fonts: ReportFonts) -> dict[str, TTFont]:
    return {weight: TTFont(prepared_fonts.path(weight)) for weight in WEIGHTS}


@pytest.mark.parametrize("weight", WEIGHTS)
def test_fonts_have_truetype_outlines(opened_fonts: dict[str, TTFont], weight: str) -> None:
    font = opened_fonts[weight]
    assert font.sfntVersion == "\x00\x01\x00\x00"
    assert "glyf" in font and "loca" in font
    assert "CFF " not in font and "CFF2" not in font


@pytest.mark.parametrize("weight", WEIGHTS)
@pytest.mark.parametrize("text", [MOMENTS, DIMENSIONS, LATIN, SYMBOLS])
def test_fonts_cover_report_text(opened_fonts: dict[str, TTFont], weight: str, text: str) -> None:
    cmap = opened_fonts[weight].getBestCmap()
    assert [char for char in text if ord(char) not in cmap] == []


@pytest.mark.parametrize("weight", WEIGHTS)
def test_fonts_cover_all_of_gb2312(opened_fonts: dict[str, TTFont], weight: str) -> None:
    cmap = opened_fonts[weight].getBestCmap()
    assert sorted(char for char in gb2312_characters() if ord(char) not in cmap) == []


@pytest.mark.parametrize("weight", WEIGHTS)
def test_fonts_are_renamed(opened_fonts: dict[str, TTFont], weight: str) -> None:
    font = opened_fonts[weight]
    style = weight.capitalize()
    name = font["name"]
    assert name.getDebugName(1) == REPORT_FONT_FAMILY
    assert name.getDebugName(16) == REPORT_FONT_FAMILY
    assert name.getDebugName(4) == f"{REPORT_FONT_FAMILY} {style}"
    assert name.getDebugName(6) == f"AuditappSans-{style}"
    family_records = [r.toUnicode() for r in name.names if r.nameID in (1, 3, 4, 6, 16, 17)]
    assert not [value for value in family_records if "Noto" in value or "CJK" in value]
    assert font["OS/2"].usWeightClass == (700 if weight == "bold" else 400)


def test_second_call_is_a_fast_no_op(
    prepared_fonts: ReportFonts, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {weight: prepared_fonts.path(weight).stat() for weight in WEIGHTS}

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("fonts were rebuilt although nothing changed")

    monkeypatch.setattr(report_fonts, "build_report_font", no_build)
    started = time.perf_counter()
    again = ensure_report_fonts(prepared_fonts.regular.parent)
    assert time.perf_counter() - started < 2
    assert again == prepared_fonts
    for weight in WEIGHTS:
        after = prepared_fonts.path(weight).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before[weight].st_ino, before[weight].st_mtime_ns)


def test_font_face_css_points_at_the_cached_files(prepared_fonts: ReportFonts) -> None:
    css = prepared_fonts.font_face_css()
    assert css.count("@font-face") == 2
    assert f'font-family: "{REPORT_FONT_FAMILY}"' in css
    for url in prepared_fonts.urls:
        assert url.startswith("file:///")
        assert f'url("{url}")' in css
    assert "font-weight: 400" in css and "font-weight: 700" in css


def test_font_stack_survives_weasyprint_svg_parsing() -> None:
    # WeasyPrint's SVG <text> splits font-family on "," and strips quotes but
    # not spaces: '"A", "B"' would turn "B" into ' "B' and lose the fallback.
    families = [name.strip("\"'") for name in REPORT_FONT_STACK.split(",")]
    assert families == [REPORT_FONT_FAMILY, "Noto Sans CJK SC", "sans-serif"]


# --- rendering ------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdffonts") and shutil.which("pdftotext")),
    reason="needs pdffonts and pdftotext (Debian package poppler-utils)",
)


@pytest.fixture(scope="session")
def rendered_pdf(prepared_fonts: ReportFonts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from weasyprint import HTML

    html = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><style>
{prepared_fonts.font_face_css()}
html {{ font-family: {REPORT_FONT_STACK}; }}
@page {{ size: A5; margin: 20mm 12mm;
  @bottom-center {{ content: "第 " counter(page) " 页 · 机密 Confidential"; }} }}
</style></head><body>
<h1>{MOMENTS}</h1>
<p>{DIMENSIONS}</p>
<p><b>{LATIN}</b></p>
<p>{SYMBOLS}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" font-family='{REPORT_FONT_STACK}'>
  <text x="0" y="20" font-size="12">接待 Greeting 91.5 ▲</text>
</svg>
</body></html>"""
    path = tmp_path_factory.mktemp("pdf") / "sample.pdf"
    HTML(string=html).write_pdf(path)
    return path


@needs_poppler
def test_pdf_embeds_only_the_prepared_family(rendered_pdf: Path) -> None:
    output = subprocess.run(
        ["pdffonts", str(rendered_pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in output.splitlines()[2:] if line.strip()]
    assert rows, output
    for row in rows:
        # name type... encoding emb sub uni object-number generation
        name, embedded, subset, unicode_map = row[0], row[-5], row[-4], row[-3]
        assert name.partition("+")[2].startswith(POSTSCRIPT_PREFIX), output
        assert (embedded, subset, unicode_map) == ("yes", "yes", "yes"), output
    assert {row[0].partition("+")[2] for row in rows} == {
        POSTSCRIPT_PREFIX, f"{POSTSCRIPT_PREFIX}-Bold"
    }, output


@needs_poppler
def test_pdf_text_extracts_intact(rendered_pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(rendered_pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    # Compare without whitespace: lines wrap wherever the layout put them.
    flat = "".join(text.split())
    for expected in [MOMENTS, DIMENSIONS, LATIN, "第1页·机密Confidential", "接待Greeting91.5▲"]:
        assert "".join(expected.split()) in flat, text


# --- cache behaviour, with a tiny stand-in source font (fast) ---------------------


def make_tiny_cff_font(path: Path, weight: int) -> Path:
    """A CFF-flavoured OpenType font with a handful of glyphs, like Noto's."""
    characters = "A经评分 "
    glyph_order = [".notdef", *(f"g{index}" for index in range(len(characters)))]
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder(glyph_order)
    builder.setupCharacterMap({ord(char): f"g{index}" for index, char in enumerate(characters)})
    charstrings = {}
    for name in glyph_order:
        pen = T2CharStringPen(600, None)
        if name != ".notdef":
            pen.moveTo((50, 0))
            pen.curveTo((50, 400), (550, 400), (550, 0))
            pen.closePath()
        charstrings[name] = pen.getCharString()
    builder.setupCFF("TinyTest", {"FullName": "Tiny Test"}, charstrings, {})
    builder.setupHorizontalMetrics(dict.fromkeys(glyph_order, (600, 50)))
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Tiny Test", "styleName": "Regular"})
    builder.setupOS2(usWeightClass=weight)
    builder.setupPost()
    builder.save(path)
    return path


@pytest.fixture
def tiny_sources(tmp_path: Path) -> dict[str, Path]:
    return {
        "regular": make_tiny_cff_font(tmp_path / "tiny-regular.otf", 400),
        "bold": make_tiny_cff_font(tmp_path / "tiny-bold.otf", 700),
    }


@pytest.fixture
def build_counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    calls: list[str] = []
    lock = threading.Lock()
    real_build = report_fonts.build_report_font

    def counting_build(source: Path, weight: str) -> TTFont:
        with lock:
            calls.append(weight)
        return real_build(source, weight)  # type: ignore[arg-type]

    monkeypatch.setattr(report_fonts, "build_report_font", counting_build)
    yield calls


def test_cache_rebuilds_only_when_inputs_change(
    tmp_path: Path, tiny_sources: dict[str, Path], build_counter: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    fonts = ensure_report_fonts(cache, sources=tiny_sources)  # type: ignore[arg-type]
    assert sorted(build_counter) == ["bold", "regular"]
    assert "glyf" in TTFont(fonts.regular) and "CFF " not in TTFont(fonts.regular)

    ensure_report_fonts(cache, sources=tiny_sources)  # type: ignore[arg-type]
    assert len(build_counter) == 2

    source = tiny_sources["bold"]
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    ensure_report_fonts(cache, sources=tiny_sources)  # type: ignore[arg-type]
    assert len(build_counter) == 4

    monkeypatch.setattr(report_fonts, "RECIPE_VERSION", report_fonts.RECIPE_VERSION + 1)
    ensure_report_fonts(cache, sources=tiny_sources)  # type: ignore[arg-type]
    assert len(build_counter) == 6

    fonts.bold.write_bytes(b"truncated")
    ensure_report_fonts(cache, sources=tiny_sources)  # type: ignore[arg-type]
    assert len(build_counter) == 8
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_callers_build_once(
    tmp_path: Path, tiny_sources: dict[str, Path], build_counter: list[str]
) -> None:
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(
            lambda _: ensure_report_fonts(cache, sources=tiny_sources),  # type: ignore[arg-type]
            range(4),
        ))
    assert len(set(results)) == 1
    assert sorted(build_counter) == ["bold", "regular"]
    assert TTFont(results[0].bold)["name"].getDebugName(1) == REPORT_FONT_FAMILY


def test_missing_system_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_fonts, "_fc_match", lambda weight: None)
    monkeypatch.setattr(report_fonts, "_DEBIAN_FONT_FILES", {"regular": (), "bold": ()})
    with pytest.raises(report_fonts.FontUnavailable, match="fonts-noto-cjk"):
        report_fonts.find_system_cjk_font("bold")
