"""Phone app benchmark: what the shopper's phone downloads once, and how fast the app opens and answers.

  * App shell size: every file the service worker caches (auditapp/phone/static, plus the worker),
    raw and gzip-compressed (level 6, what a reverse proxy typically sends). Target: <= 150 KB compressed.
  * First render from the service-worker cache: headless Chromium (Debian's /usr/bin/chromium, driven by
    Playwright) logs in once online, then, with the network off, reloads the app N times; each time is
    from navigation start until the assignment list is on screen. Target: <= 1 s.
  * The 82-item sales-visit checklist: the time to draw each section, and from a tap on an answer to
    the answer shown as chosen (saved to IndexedDB first), median and worst over every yes/no item.

The server is the application itself (werkzeug in a thread) on a temporary SQLite database.

    python bench/bench_phone_app.py [--runs 10]

This is a benchmark, not a test: nothing here runs under pytest.
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench password 123"
TARGET_SHELL_KB = 150
TARGET_FIRST_RENDER_S = 1.0


def shell_size() -> tuple[int, int, int]:
    """(files, raw bytes, gzip bytes) of what the worker caches, the worker included."""
    from auditapp import create_app
    from auditapp.phone import shell_manifest

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    client = app.test_client()
    _, shell = shell_manifest()
    urls = [u for u in shell if u != "/app/"] + ["/app/sw.js"]  # "/app/" is index.html again
    raw = packed = 0
    for url in urls:
        body = client.get(url).data
        raw += len(body)
        packed += len(gzip.compress(body, compresslevel=6))
    return len(urls), raw, packed


def seeded_app(folder: Path):
    from auditapp import create_app
    from auditapp.checklists.loader import load_directory
    from auditapp.extensions import db
    from auditapp.models import Audit, Dealer, Region, User, Wave
    from auditapp.services.checklists import get_version, store_checklists
    from auditapp.services.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "x",
                      "ATTACHMENT_DIR": str(folder / "att"), "REPORT_DIR": str(folder / "rep")})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        store_checklists(db.session, load_directory(ROOT / "checklists"))
        region = Region(code="E", name_zh="华东", name_en="East")
        db.session.add(region)
        db.session.flush()
        shopper = User(email="shopper@example.com", display_name="Bench", role="shopper",
                       password_hash=hash_password(PASSWORD))
        wave = Wave(code="W1", title_zh="一", title_en="One", starts_on=date(2026, 7, 1), ends_on=date(2026, 12, 31))
        db.session.add_all([shopper, wave])
        version = get_version(db.session, "sales_visit", 2)
        for n in range(10):  # a shopper's usual month
            dealer = Dealer(region_id=region.id, code=f"D{n}", name_zh=f"经销商{n}", name_en=f"Dealer {n}",
                            address=f"上海市浦东新区{n}号", latitude=31.23, longitude=121.47)
            db.session.add(dealer)
            db.session.flush()
            db.session.add(Audit(dealer_id=dealer.id, wave_id=wave.id, shopper=shopper,
                                 checklist_version_id=version.id, visit_window_start=date(2026, 11, 20),
                                 visit_window_end=date(2026, 12, 10)))
        db.session.commit()
    return app


def browser_figures(runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log(self, *args) -> None:
            pass

    with tempfile.TemporaryDirectory() as folder:
        server = make_server("127.0.0.1", 0, seeded_app(Path(folder)), threaded=True, request_handler=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        figures: dict[str, list[float]] = {"first_render": [], "section_draw": [], "answer": []}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                              has_touch=True, base_url=base, permissions=["geolocation"],
                                              geolocation={"latitude": 31.23, "longitude": 121.47})
                page = context.new_page()
                page.goto("/app/")
                page.fill("input[name=email]", "shopper@example.com")
                page.fill("input[name=password]", PASSWORD)
                page.click("form.login button[type=submit]")
                page.wait_for_selector(".card[data-audit]")
                page.evaluate("""async () => {
                    await navigator.serviceWorker.ready;
                    if (!navigator.serviceWorker.controller) await new Promise((r) =>
                        navigator.serviceWorker.addEventListener('controllerchange', r));
                }""")
                context.set_offline(True)
                for _ in range(runs):
                    page.reload()
                    page.wait_for_selector(".card[data-audit]")
                    figures["first_render"].append(page.evaluate(
                        "performance.now() - performance.getEntriesByType('navigation')[0].startTime") / 1000)
                page.click(".card[data-audit]")
                page.wait_for_selector("#items .item")
                while True:
                    keys = page.locator("#items .item[data-type=yes_no]").evaluate_all(
                        "cards => cards.map(c => c.dataset.key)")
                    for key in keys:
                        started = time.perf_counter()
                        page.click(f"#item-{key} button.choice[data-value='yes']")
                        page.wait_for_selector(f"#item-{key} button.choice.on")
                        figures["answer"].append(time.perf_counter() - started)
                    if not page.locator("#next").count():
                        break
                    here = page.locator("nav.sections .dot.here").inner_text()
                    started = time.perf_counter()
                    page.click("#next")
                    page.wait_for_selector(f"nav.sections .dot.here:text-is('{int(here) + 1}')")
                    figures["section_draw"].append(time.perf_counter() - started)
                browser.close()
        finally:
            server.shutdown()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    files, raw, packed = shell_size()
    verdict = "meets" if packed <= TARGET_SHELL_KB * 1024 else "MISSES"
    print(f"app shell: {files} files, {raw / 1024:.1f} KB raw, {packed / 1024:.1f} KB gzip "
          f"({verdict} the {TARGET_SHELL_KB} KB target)")

    figures = browser_figures(args.runs)
    first = figures["first_render"]
    verdict = "meets" if statistics.median(first) <= TARGET_FIRST_RENDER_S else "MISSES"
    print(f"first render from the service-worker cache, offline: median {statistics.median(first) * 1000:.0f} ms "
          f"(min {min(first) * 1000:.0f}, max {max(first) * 1000:.0f}, n={len(first)}; {verdict} the 1 s target)")
    for name, label in (("section_draw", "next section drawn"), ("answer", "tap to answer shown")):
        values = figures[name]
        print(f"{label}: median {statistics.median(values) * 1000:.0f} ms, worst {max(values) * 1000:.0f} ms "
              f"(n={len(values)}, 82-item sales visit; includes Playwright's own round trip)")


if __name__ == "__main__":
    main()
