"""The phone app is served by the application itself (no CDN), with a worker that caches its shell,
and the shopper's audit view names the dealer to visit."""
from __future__ import annotations

import re
from datetime import UTC

from auditapp.phone import STATIC, shell_manifest


def test_the_shell_is_served_under_app_with_a_strict_policy(client):
    page = client.get("/app/")
    assert page.status_code == 200 and b'<script type="module" src="js/main.js">' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
    assert client.get("/app").status_code == 308
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json" and manifest.json["start_url"] == "./"
    assert client.get("/app/js/../../auditapp/__init__.py").status_code == 404
    assert client.get("/app/nothing-here.js").status_code == 404


def test_no_file_of_the_app_loads_anything_from_another_host():
    for path in STATIC.rglob("*"):
        if path.suffix in {".js", ".css", ".html", ".webmanifest"}:
            assert not re.search(r"https?://", path.read_text("utf-8")), path.name


def test_the_worker_caches_every_file_of_the_shell_and_changes_with_them(client):
    version, shell = shell_manifest()
    worker = client.get("/app/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    text = worker.get_data(as_text=True)
    assert f'const VERSION = "{version}";' in text
    assert "/app/js/main.js" in shell and "/app/index.html" in shell and "/app/sw.js" not in shell
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_the_shoppers_audit_names_the_dealer_to_visit_and_the_dealers_view_does_not(
        client, make_audit, make_dealer, make_user, auth_for):
    dealer = make_dealer(address="上海市浦东新区世纪大道1号", latitude=31.23, longitude=121.47)
    shopper = make_user("shopper")
    audit = make_audit(dealer=dealer, shopper=shopper)
    listed = client.get("/api/v1/audits", headers=auth_for(shopper)).json["items"]
    assert listed[0]["dealer"] == {"code": dealer.code, "name": {"zh": dealer.name_zh, "en": dealer.name_en},
                                   "address": "上海市浦东新区世纪大道1号", "latitude": 31.23, "longitude": 121.47,
                                   "timezone": "Asia/Shanghai"}
    single = client.get(f"/api/v1/audits/{audit.id}", headers=auth_for(shopper)).json
    assert single["dealer"]["address"] == "上海市浦东新区世纪大道1号"
    dealer_user = make_user("dealer", dealer=dealer)
    published = make_audit(dealer=dealer, status="published", published_at=single_time())
    seen = client.get(f"/api/v1/audits/{published.id}", headers=auth_for(dealer_user)).json
    assert seen["id"] == str(published.id) and "dealer" not in seen and "visit_window_start" not in seen


def single_time():
    from datetime import datetime

    return datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
