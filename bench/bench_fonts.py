"""Benchmark: PDF scorecard render time with the system CJK font vs the prepared font.

Renders the same ~3-page bilingual scorecard-like document (headings, long
tables, an inline SVG bar chart with text labels, @page margin boxes with a
Chinese footer) several ways and prints the median of N renders of each, plus
the time to build the prepared fonts.

    python bench/bench_fonts.py [--runs 5] [--cache-dir DIR] [--out DIR]

Without --cache-dir the prepared fonts are built into a fresh temporary
directory, so the build time is always measured.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weasyprint import HTML
from weasyprint.text import ffi as weasyprint_ffi

from auditapp.reports.fonts import (
    REPORT_FONT_STACK,
    SYSTEM_CJK_FAMILY,
    ReportFonts,
    ensure_report_fonts,
)
from timing import measure

SECTIONS = [
    ("接待", "Greeting", 91.5, 84.0, 80.2),
    ("需求分析", "Needs analysis", 72.0, 75.5, 74.1),
    ("产品介绍", "Presentation", 85.3, 81.2, 79.9),
    ("试乘试驾", "Test drive", 64.8, 70.3, 71.0),
    ("议价成交", "Negotiation", 58.1, 66.7, 68.4),
    ("交车", "Delivery", 88.0, 86.1, 83.5),
    ("回访", "Follow-up", 47.5, 61.2, 63.8),
]
DIMENSIONS = [
    ("可靠性", "Reliability", 78.2), ("响应性", "Responsiveness", 69.4),
    ("安全性", "Assurance", 81.0), ("移情性", "Empathy", 66.3), ("有形性", "Tangibles", 88.7),
]
ITEMS = [
    ("顾客进店30秒内有销售顾问主动问候", "Greeted within 30 seconds of entering"),
    ("主动提供茶水或饮料", "Offered a drink"),
    ("询问购车用途、预算和家庭成员情况", "Asked about intended use, budget and family"),
    ("根据需求推荐合适车型并说明理由", "Recommended a suitable model with reasons"),
    ("环绕车辆进行六方位介绍", "Walked around the car (six-point presentation)"),
    ("主动邀请试乘试驾并检查驾驶证", "Offered a test drive and checked the licence"),
    ("试驾路线包含高速及颠簸路段", "Test route included highway and rough road"),
    ("提供书面报价单，费用明细清晰", "Gave a written quote with itemised fees"),
    ("未强制捆绑销售保险或精品", "No forced bundling of insurance or accessories"),
    ("交车时讲解车辆功能与保养周期", "Explained features and service intervals at delivery"),
    ("交车后三天内销售顾问电话回访", "Consultant called within 3 days of delivery"),
    ("七天内经理回访并询问满意度", "Manager called within 7 days about satisfaction"),
]
RARE_NAME = "北京朝阳堃达4S店"  # 堃 (U+5803) is not in GB 2312: forces the fallback font


@dataclass(frozen=True)
class Variant:
    label: str
    family_css: str
    chinese: bool
    font_face_css: str = ""
    dealer: str = "北京朝阳汇通4S店"


def scorecard_html(variant: Variant) -> str:
    zh = variant.chinese

    def t(chinese: str, english: str) -> str:
        return escape(f"{chinese} {english}" if zh else english)

    family_attr = escape(variant.family_css, quote=True)
    footer = (
        '"第 " counter(page) " 页 / 共 " counter(pages) " 页 · 机密 Confidential"'
        if zh else '"Page " counter(page) " of " counter(pages) " · Confidential"'
    )
    header = '"经销商评分卡 Dealer Scorecard · 2026-Q3"' if zh else '"Dealer Scorecard · 2026-Q3"'

    bars = []
    for index, (chinese, english, dealer, region, nation) in enumerate(SECTIONS):
        y = 6 + index * 30
        label = f"{chinese} {english}" if zh else english
        bars.append(
            f'<text x="0" y="{y + 14}" font-size="11">{escape(label)}</text>'
            f'<rect x="170" y="{y}" width="{dealer * 3.2:.1f}" height="10" fill="#2e7d32"/>'
            f'<rect x="170" y="{y + 12}" width="{region * 3.2:.1f}" height="6" fill="#90a4ae"/>'
            f'<rect x="170" y="{y + 20}" width="{nation * 3.2:.1f}" height="6" fill="#cfd8dc"/>'
            f'<text x="{176 + dealer * 3.2:.1f}" y="{y + 10}" font-size="10">'
            f'{dealer:.1f} {"▲" if dealer >= region else "▼"}</text>'
        )
    chart = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="{12 + 30 * len(SECTIONS)}"'
        f' font-family="{family_attr}">{"".join(bars)}</svg>'
    )

    gap_rows = []
    for row in range(40):
        chinese, english = ITEMS[row % len(ITEMS)]
        section = SECTIONS[row % len(SECTIONS)]
        dimension = DIMENSIONS[row % len(DIMENSIONS)]
        lost = 6.5 - row * 0.12
        gap_rows.append(
            f"<tr><td>{row + 1}</td><td>{t(chinese, english)}</td>"
            f"<td>{t(section[0], section[1])}</td><td>{t(dimension[0], dimension[1])}</td>"
            f"<td>{lost:.1f}</td><td>{row % 4}/4</td>"
            f"<td>{lost * 0.8:.1f}</td><td>{lost * 0.7:.1f}%</td></tr>"
        )
    audit_rows = "".join(
        f"<tr><td>2026-0{7 + i % 3}-{10 + i:02d}</td><td>{70 + i * 2.3:.1f}</td>"
        f"<td>{t('已发布', 'Published') if i % 4 else t('申诉中', 'Under dispute')}</td></tr>"
        for i in range(8)
    )
    dimension_rows = "".join(
        f"<tr><td>{t(chinese, english)}</td><td>{score:.1f}</td><td>{'●' if score >= 80 else '■'}</td></tr>"
        for chinese, english, score in DIMENSIONS
    )
    paragraph = t(
        "本报告依据神秘顾客实地走访结果编制，得分按各关键时刻权重计算，扣分项可追溯至具体检查条目。"
        "经销商可在结果发布后五个工作日内就可申诉条目提出申诉，质量审核团队将在规定时间内给出书面答复。",
        "This report is compiled from mystery-shopper visits. Scores are weighted by moment of truth "
        "and every lost point traces back to a checklist item. Dealers may dispute an item within "
        "five working days of publication; QA answers in writing within the set time.",
    )
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if zh else 'en'}"><head><meta charset="utf-8"><style>
{variant.font_face_css}
html {{ font-family: {variant.family_css}; font-size: 9pt; }}
@page {{
  size: A4; margin: 20mm 15mm;
  @top-left {{ content: {header}; font-size: 8pt; color: #555; }}
  @bottom-center {{ content: {footer}; font-size: 8pt; color: #555; }}
}}
h1 {{ font-size: 18pt; margin: 0 0 4mm; }}
h2 {{ font-size: 13pt; margin: 6mm 0 2mm; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 0.5pt solid #bbb; padding: 0.6mm 1.2mm; vertical-align: top; }}
td:nth-child(2) {{ width: 42%; }}
th {{ background: #eceff1; font-weight: bold; text-align: left; }}
.headline {{ font-size: 28pt; font-weight: bold; color: #2e7d32; }}
</style></head><body>
<h1>{t('经销商评分卡', 'Dealer Scorecard')} — {escape(variant.dealer if zh else 'Beijing Chaoyang Huitong')}</h1>
<p><span class="headline">82.4</span> {t('总分', 'Overall')} (n = 4, 90% CI 76.1–88.7) ▲ 2.1 ·
{t('区域排名', 'Regional rank')} 3 / 17</p>
<p>{paragraph}</p>
<h2>{t('关键时刻得分', 'Moments of truth')}</h2>
{chart}
<h2>{t('服务质量维度', 'SERVQUAL dimensions')}</h2>
<table><tr><th>{t('维度', 'Dimension')}</th><th>{t('得分', 'Score')}</th><th></th></tr>{dimension_rows}</table>
<h2>{t('主要服务差距', 'Worst service gaps')}</h2>
<table><tr><th>#</th><th>{t('检查项', 'Item')}</th><th>{t('关键时刻', 'MOT')}</th><th>{t('维度', 'Dimension')}</th>
<th>{t('失分', 'Points lost')}</th><th>{t('未达标', 'Failed')}</th>
<th>{t('区域', 'Region')}</th><th>{t('全国', 'Nation')}</th></tr>
{''.join(gap_rows)}</table>
<h2>{t('走访记录', 'Audits')}</h2>
<table><tr><th>{t('日期', 'Date')}</th><th>{t('得分', 'Score')}</th><th>{t('状态', 'Status')}</th></tr>
{audit_rows}</table>
<p>{paragraph}</p>
</body></html>"""


def render(html: str) -> bytes:
    return HTML(string=html).write_pdf()


def pdf_summary(pdf: bytes, work_dir: Path, name: str) -> str:
    """Page count and embedded font names (needs poppler-utils)."""
    path = work_dir / f"{name}.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdffonts"):
        return ""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    fonts = sorted({line.split()[0].split("+", 1)[-1] for line in lines.splitlines()[2:]})
    return f"{pages} pages, {len(pdf) // 1024} KiB, fonts: {', '.join(fonts)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, help="reuse prepared fonts from this directory")
    parser.add_argument("--out", type=Path, help="keep the rendered PDFs in this directory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fonts-") as temporary:
        cache_dir = args.cache_dir or Path(temporary) / "fonts"
        started, cpu_started = time.perf_counter(), time.process_time()
        fonts: ReportFonts = ensure_report_fonts(cache_dir)
        build, build_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        out_dir = args.out or Path(temporary)
        out_dir.mkdir(parents=True, exist_ok=True)

        prepared = {"family_css": REPORT_FONT_STACK, "font_face_css": fonts.font_face_css()}
        variants = [
            Variant("a) defaults, system Noto Sans CJK", f'"{SYSTEM_CJK_FAMILY}",sans-serif', True),
            Variant("b) prepared font", chinese=True, **prepared),
            Variant("c) all-Latin text, sans-serif", "sans-serif", False),
            Variant("d) prepared font + 1 non-GB2312 hanzi", chinese=True, dealer=RARE_NAME, **prepared),
        ]
        subsetter = "HarfBuzz" if weasyprint_ffi.harfbuzz_subset else "fontTools (no libharfbuzz-subset)"
        print(f"WeasyPrint subsets embedded fonts with: {subsetter}")
        print(f"prepared font build (both weights): {build:.1f} s wall, {build_cpu:.1f} s CPU"
              f"{' (already cached)' if args.cache_dir and build < 1 else ''}")
        for number, variant in enumerate(variants):
            html = scorecard_html(variant)
            timing = measure(partial(render, html), args.runs)
            summary = pdf_summary(render(html), out_dir, f"variant-{'abcd'[number]}")
            print(f"{variant.label:40s} {timing}\n{'':40s} {summary}")


if __name__ == "__main__":
    main()
