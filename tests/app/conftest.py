"""Browser tests of the shopper's phone app: Debian's Chromium driven by Playwright, against a real
server process (werkzeug in a thread) on a database of its own (SQLite, or PostgreSQL from
TEST_DATABASE_URL), with real commits: the app is a client of the API like any phone."""
from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fixtures.live_server import LiveServer, running, skip_without_browser
from fixtures.phone_app import DEALER_AT, PASSWORD, PHONE, ROOT, Api


def pytest_collection_modifyitems(config, items):
    skip_without_browser(items, Path(__file__).parent)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, font_cache_dir):
    from fixtures.databases import app_with_own_database

    from auditapp.checklists.loader import load_directory
    from auditapp.extensions import db
    from auditapp.services.checklists import store_checklists

    with app_with_own_database(tmp_path_factory.mktemp("phone-app"), "phone_app", font_cache_dir) as app:
        with app.app_context():
            store_checklists(db.session, load_directory(ROOT / "checklists"))
            db.session.commit()
        yield app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[LiveServer]:
    yield from running(live_app)


@pytest.fixture
def new_phone(browser, live_server):
    """`new_phone(locale="en-US")` → a fresh browser context sized like a phone, with location allowed."""
    contexts = []

    def make(locale: str = "en-US", *, service_workers: str = "allow"):
        context = browser.new_context(service_workers=service_workers,
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale,
            geolocation={"latitude": DEALER_AT[0] + 0.0001, "longitude": DEALER_AT[1], "accuracy": 12},
            permissions=["geolocation"], base_url=live_server.url)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# --- data on the server ---------------------------------------------------------------------------

_counter = itertools.count(1)


@dataclass
class Assignment:
    audit_id: str
    shopper_email: str
    shopper_id: int
    dealer_name_en: str


@pytest.fixture
def assign(live_app):
    """`assign(checklist="sales_visit", version=2)` → a new shopper with one audit assigned to them."""
    from auditapp.extensions import db
    from auditapp.models import Audit, Dealer, Region, User, Wave
    from auditapp.services.checklists import get_version
    from auditapp.services.passwords import hash_password

    def make(checklist: str = "sales_visit", version: int = 2, *, shopper_email: str | None = None) -> Assignment:
        n = next(_counter)
        with live_app.app_context():
            region = Region(code=f"R{n}", name_zh=f"华东{n}", name_en=f"East {n}")
            db.session.add(region)
            db.session.flush()
            dealer = Dealer(region_id=region.id, code=f"D{n}-{uuid.uuid4().hex[:4]}", name_zh=f"上海浦东{n}号店",
                            name_en=f"Pudong Motors {n}", address=f"上海市浦东新区世纪大道{n}号",
                            latitude=DEALER_AT[0], longitude=DEALER_AT[1])
            wave = Wave(code=f"W{n}-{uuid.uuid4().hex[:4]}", title_zh="第三季度", title_en="Q3",
                        starts_on=date(2026, 7, 1), ends_on=date(2026, 12, 31))
            email = shopper_email or f"shopper{n}-{uuid.uuid4().hex[:4]}@example.com"
            shopper = db.session.scalar(db.select(User).where(User.email == email))
            if shopper is None:
                shopper = User(email=email, display_name=f"Shopper {n}", role="shopper",
                               password_hash=hash_password(PASSWORD))
            db.session.add_all([dealer, wave, shopper])
            db.session.flush()
            audit = Audit(dealer_id=dealer.id, wave_id=wave.id, shopper_id=shopper.id,
                          checklist_version_id=get_version(db.session, checklist, version).id,
                          visit_window_start=date(2026, 11, 20), visit_window_end=date(2026, 12, 10))
            db.session.add(audit)
            db.session.commit()
            return Assignment(str(audit.id), email, shopper.id, dealer.name_en)
    return make


@pytest.fixture
def staff(live_app):
    """A QA user's token for calls through the API."""
    from auditapp.extensions import db
    from auditapp.models import User
    from auditapp.services.passwords import hash_password

    email = f"qa{next(_counter)}-{uuid.uuid4().hex[:4]}@example.com"
    with live_app.app_context():
        db.session.add(User(email=email, display_name="QA", role="qa", password_hash=hash_password(PASSWORD)))
        db.session.commit()
    return email


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)
