"""Benchmark: dealer scorecard PDF render time in zh, both, and an all-Latin en variant.

Seeds a realistic wave on a temporary SQLite database (the real sales_visit checklist, 3 regions
of 5 dealers, 2 waves, 1-4 published visits per dealer and wave, a few revised scores), builds one
dealer's scorecard with services.figures, and renders it with one ReportRenderer several times
per language. Prints the median wall and CPU time and the page count of each, and checks the
targets: bilingual median <= 1.0 s and <= 2x the Latin-only median.

    python bench/bench_reports.py [--runs 7] [--cache-dir DIR] [--out DIR] [--dump DIR]

The prepared fonts come from --cache-dir, else AUDITAPP_FONT_CACHE_DIR, else are built into a
temporary directory (~17 s, reported separately). --out keeps the PDFs, --dump writes the
scorecard and region dicts as JSON (handy for template work).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditapp import create_app  # noqa: E402
from auditapp.checklists import load_checklist_file  # noqa: E402
from auditapp.demo.answers import draw_answers  # noqa: E402
from auditapp.extensions import db  # noqa: E402
from auditapp.models import Answer, Audit, ChecklistVersion, Dealer, Region, User, Wave  # noqa: E402
from auditapp.reports.fonts import ensure_report_fonts  # noqa: E402
from auditapp.reports.render import ReportRenderer  # noqa: E402
from auditapp.services.checklists import store_checklists  # noqa: E402
from auditapp.services.disputes import DisputePolicy  # noqa: E402
from auditapp.services.figures import WaveFigures, dealer_scorecard, load_wave, region_leaderboard  # noqa: E402
from auditapp.services.score_versions import store_score_version  # noqa: E402
from timing import measure  # noqa: E402 - bench/timing.py, beside this script

REGIONS = [("EAST", "华东区", "East"), ("SOUTH", "华南区", "South"), ("NORTH", "华北区", "North")]
CITIES = ["上海浦东", "杭州西湖", "南京江宁", "苏州工业园", "宁波鄞州", "广州天河", "深圳南山", "佛山顺德",
          "东莞南城", "厦门思明", "北京朝阳", "天津河西", "石家庄裕华", "济南历下", "青岛市南"]
TARGET_BILINGUAL_S = 1.0
TARGET_RATIO = 2.0


def seed_wave(db_path: Path, seed: int = 7, dealers_per_region: int = 5) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seed a program like a real first two waves; return (dealer scorecard, region report) dicts."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench"})
    rng = random.Random(seed)
    with app.app_context():
        db.create_all()
        session = db.session
        checklist = load_checklist_file(ROOT / "checklists" / "sales_visit.yaml")
        store_checklists(session, [checklist])
        version = session.query(ChecklistVersion).one()
        regions = [Region(code=code, name_zh=zh, name_en=en) for code, zh, en in REGIONS]
        session.add_all(regions)
        session.flush()
        shopper = User(email="shopper@example.com", password_hash="x", role="shopper", display_name="Shopper")
        session.add(shopper)
        session.flush()
        waves = [Wave(code="2026-Q2", title_zh="2026年第二季度", title_en="2026 Q2",
                      starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30)),
                 Wave(code="2026-Q3", title_zh="2026年第三季度", title_en="2026 Q3",
                      starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30))]
        session.add_all(waves)
        session.flush()
        dealers = []
        for index in range(dealers_per_region * len(regions)):
            region = regions[index // dealers_per_region]
            city = CITIES[index % len(CITIES)] + ("新区" if index >= len(CITIES) else "")
            dealer = Dealer(region_id=region.id, code=f"{region.code[:2]}{index + 1:03d}",
                            name_zh=f"{city}名车4S店", name_en=f"{region.name_en} Motors {index + 1}")
            session.add(dealer)
            dealers.append(dealer)
        session.flush()
        for dealer in dealers:
            quality = rng.uniform(0.5, 0.95)
            for wave in waves:
                # the benchmarked dealer gets 4 visits: a full audit list
                visits = 4 if dealer is dealers[0] else rng.choice([1, 2, 3, 3, 4])
                for _ in range(visits):
                    visited = (datetime.combine(wave.starts_on + timedelta(days=rng.randint(3, 60)),
                                                datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=2))
                    audit = Audit(id=uuid.uuid4(), dealer_id=dealer.id, wave_id=wave.id,
                                  checklist_version_id=version.id, shopper_id=shopper.id, status="published",
                                  visit_window_start=visited.date(), visit_window_end=visited.date(),
                                  visit_started_at=visited, visit_ended_at=visited + timedelta(minutes=40),
                                  published_at=visited + timedelta(days=2), flags=[])
                    session.add(audit)
                    session.flush()
                    answers = draw_answers(checklist, quality, rng, purchase=rng.random() < 0.25)
                    for key, answer in answers.items():
                        session.add(Answer(audit_id=audit.id, item_key=key, value=answer.get("value"),
                                           na=answer.get("na", False), comment=answer.get("comment"),
                                           attachments=answer.get("attachments", [])))
                    session.flush()
                    store_score_version(session, audit, None, "published")
                    if rng.random() < 0.15:
                        store_score_version(session, audit, None, "dispute upheld",
                                            overrides={"greet_seconds": {"value": 20}})
        session.commit()
        policy = DisputePolicy(window_days=5, decision_days=5, holidays=frozenset())
        data = load_wave(session, "2026-Q3", 2, dispute_policy=policy)
        figures = WaveFigures(data)
        scorecard = dealer_scorecard(data, dealers[0], figures)
        region = region_leaderboard(data, regions[0], figures, policy=policy, now=datetime.now(timezone.utc))
        db.session.remove()
        db.engine.dispose()
    # Plain JSON-able dicts, as a worker would hand them to the renderer.
    return (json.loads(json.dumps(scorecard, default=str)), json.loads(json.dumps(region, default=str)))


def latin_only(scorecard: dict[str, Any]) -> dict[str, Any]:
    """The same scorecard with every {"zh", "en"} text reduced to its (Latin) English side."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"zh", "en"}:
                return {"zh": value["en"], "en": value["en"]}
            return {key: strip(item) for key, item in value.items()}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value
    return strip(scorecard)


def pdf_pages(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    try:
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def has_cjk(pdf_path: Path) -> bool | None:
    try:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return any(ord(char) >= 0x2E80 for char in text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, help="prepared fonts cache (default: AUDITAPP_FONT_CACHE_DIR)")
    parser.add_argument("--out", type=Path, help="keep the rendered PDFs in this directory")
    parser.add_argument("--dump", type=Path, help="write the scorecard and region dicts as JSON here")
    parser.add_argument("--dealers-per-region", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as temporary:
        work = Path(temporary)
        started = time.perf_counter()
        scorecard, region = seed_wave(work / "bench.db", dealers_per_region=args.dealers_per_region)
        print(f"seeded and computed the wave in {time.perf_counter() - started:.1f} s "
              f"(dealer {scorecard['dealer']['code']}: {scorecard['score']['n']} visits, "
              f"{len(scorecard['gaps'])} gaps, {len(scorecard['revisions'])} revised)")
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for name, data in (("scorecard", scorecard), ("region", region)):
                (args.dump / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))

        cache = args.cache_dir or (Path(os.environ["AUDITAPP_FONT_CACHE_DIR"])
                                   if os.environ.get("AUDITAPP_FONT_CACHE_DIR") else work / "fonts")
        started = time.perf_counter()
        fonts = ensure_report_fonts(cache)
        print(f"prepared fonts ready in {time.perf_counter() - started:.1f} s ({cache})")
        started = time.perf_counter()
        renderer = ReportRenderer(ROOT / "report_templates", fonts)
        print(f"renderer built in {time.perf_counter() - started:.2f} s")

        out = args.out or work
        out.mkdir(parents=True, exist_ok=True)
        variants = [("zh", scorecard, "zh"), ("both", scorecard, "both"),
                    ("en, all-Latin", latin_only(scorecard), "en")]
        renderer.dealer_scorecard_pdf(scorecard, "both")  # warm-up: first layout loads Pango's caches
        medians: dict[str, float] = {}
        for label, data, lang in variants:
            timing = measure(partial(renderer.dealer_scorecard_pdf, data, lang), args.runs)
            pdf = renderer.dealer_scorecard_pdf(data, lang)
            path = out / f"scorecard-{lang}.pdf"
            pages = pdf_pages(pdf, path)
            note = ""
            if lang == "en":
                cjk = has_cjk(path)
                note = "" if cjk is None else ", CJK text: yes (!)" if cjk else ", no CJK text"
            print(f"{label:14s} {timing}; {pages} pages, {len(pdf) // 1024} KiB{note}")
            medians[lang] = timing.median

        ratio = medians["both"] / medians["en"]
        ok = medians["both"] <= TARGET_BILINGUAL_S and ratio <= TARGET_RATIO
        print(f"bilingual median {medians['both']:.2f} s (target <= {TARGET_BILINGUAL_S:.1f} s), "
              f"{ratio:.2f}x the Latin-only median (target <= {TARGET_RATIO:.0f}x): {'OK' if ok else 'MISSED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
