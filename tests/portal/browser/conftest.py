"""The portal's browser tests: Debian's Chromium driven by Playwright against a real server (werkzeug
in a thread) on a database of its own (SQLite, or PostgreSQL beside TEST_DATABASE_URL), seeded once
per session with `seed_portal_world` through the real services. Tests that change data (a dispute
filed) use objects no other test relies on, or assert on what they added."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.live_server import LiveServer, running, skip_without_browser
from fixtures.portal import DESKTOP, ROOT, PortalWorld, seed_portal_world


def pytest_collection_modifyitems(config, items):
    skip_without_browser(items, Path(__file__).parent)


@pytest.fixture(scope="session")
def portal_app(tmp_path_factory, font_cache_dir):
    from fixtures.databases import app_with_own_database

    from auditapp.checklists.loader import load_directory
    from auditapp.extensions import db
    from auditapp.services.checklists import store_checklists

    with app_with_own_database(tmp_path_factory.mktemp("portal"), "portal", font_cache_dir) as app:
        with app.app_context():
            store_checklists(db.session, load_directory(ROOT / "checklists"))
            db.session.commit()
            app.extensions["portal_world"] = seed_portal_world(db.session, app.config)
        yield app


@pytest.fixture(scope="session")
def portal_world(portal_app) -> PortalWorld:
    return portal_app.extensions["portal_world"]


@pytest.fixture(scope="session")
def portal_server(portal_app) -> Iterator[LiveServer]:
    yield from running(portal_app)


class Page:
    """A Playwright page with what went wrong on it: dialogs (an alert() would be an XSS), CSP
    violations and console errors."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", self._console)

    def _console(self, message) -> None:
        # A page answered 4xx on purpose (a refused login, a not-found page) logs "Failed to load
        # resource"; a CSP violation, a script error or a missing asset of a good page are the problems.
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server "
                                                                   "responded with a status of 4"):
            self.console_errors.append(message.text)


@pytest.fixture
def new_page(browser, portal_server):
    """`new_page(locale="en-US")` → (page, watcher): a fresh context (no session) at 1280×800."""
    contexts = []

    def make(locale: str = "en-US"):
        context = browser.new_context(viewport=DESKTOP, locale=locale, base_url=portal_server.url)
        contexts.append(context)
        page = context.new_page()
        return page, Page(page)

    yield make
    for context in contexts:
        context.close()
