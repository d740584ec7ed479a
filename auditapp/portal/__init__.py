"""The web portal (DESIGN 12) at `/portal/`: server-rendered pages for dealers, managers, QA and admins.

The portal is a client of the services, like the API: its views call `services/` (and
`services/access.py` for every decision about who sees what) and add no access rule of their own.
It is registered before the API in `create_app`, so every portal view runs in the API's one
transaction per request (api/transactions.py: commit after the view, side effects after the commit,
rollback on a refusal). Cookie session (the hash of an API token: logout, a new password or a
deactivation end it), CSRF token on every form, strict CSP (no inline script or style), zh/en.

How to add a page
-----------------
1. Put the views in a module of this package (one per audience: `dealer.py`, ...) and import it at
   the bottom of this file. Use the one blueprint, `core.bp`; URLs are relative to `/portal`.
2. Declare the roles right under the route, and put the page in the header with `@nav` above them
   (only for views without URL parameters)::

       @bp.get("/review")
       @nav("nav_review", order=50)          # label key; order: dealer 10-29, manager 30-49, QA 50-69, admin 70-89
       @roles("qa", "admin")                 # others: 404 (dealer, manager) or 403 (agency), services.access
       def review_queue():
           user = current_user()
           rows = find_audits(db.session(), user, ...)      # services decide what the user sees
           return render("qa_review.html", rows=rows)       # base.html, L, lang, user, nav, flashes

   Object-level refusals come from the services as DomainErrors (NotFound, Conflict...): raise them
   on; the blueprint turns them into the error page in the user's language with the right status
   (a 404 page never names what was asked for). To show a refusal on the form instead, catch it,
   `db.session.rollback()` (nothing the request did may stay), and render the page with
   `field_errors(error)` / `message_text(error.message)` and `status=error.status`.
3. Templates go in `templates/`, extending `base.html` (blocks `title`, `content`); import
   `macros.html` for `band_chip`, `score`, `flash_list`, `field_errors`. Every form that posts has
   `{{ csrf_field() }}`; every text comes from `L` (`L.t('key')`, `L.x(data_text)`): add labels to
   `labels.py` (`PORTAL_LABELS`, zh and en) or reuse the report labels. User text is always printed
   with `{{ }}` (autoescaped), never `|safe`; charts are `reports.charts` SVG (`comparison_chart`,
   `trend_chart`), passed in from the view.
4. Read form fields with `form_text(name, length=(min, max))` / `form_choice(name, choices)`: the
   API's text rule and lengths, InvalidInput otherwise. After a successful POST, `flash(label_key)`
   and redirect (303) to a GET page.
5. Tests: `tests/portal/` (Flask test client: `portal_client`, `portal_as(user)`) and
   `tests/portal/browser/` (a live server on a database of its own, seeded once: `portal_world`, `new_page(locale)`,
   `portal_login(page, email)`, `screenshots(page, name)`); add the new routes to
   `tests/portal/test_portal_access_grid.py`.
"""
from __future__ import annotations

from flask import Flask

from . import core

URL_PREFIX = core.URL_PREFIX


def init_app(app: Flask) -> None:
    """Call before the API's init: its transaction wrapper must see the portal's views."""
    core.init_app(app)


# QA's and the regional managers' pages, in a block of their own (the other pages import below).
from . import region, review  # noqa: E402,F401,I001

# The pages: importing a module registers its views on the blueprint.
from . import (  # noqa: E402
    admin,  # noqa: F401
    dealer,  # noqa: F401
    session_views,  # noqa: F401
)
