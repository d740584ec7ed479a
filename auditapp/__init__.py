"""auditapp: mystery-shopping audits for car dealer networks."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    # Imported here so that the pure layers (scoring, checklists) can be used without Flask.
    from flask import Flask

    from . import cli, database, jobs, settings
    from .api import init_app as init_api
    from .phone import init_app as init_phone_app
    from .portal import init_app as init_portal

    app = Flask(__name__, instance_relative_config=True)
    settings.init_app(app, overrides)
    # Logging and the object store are set up from the settings before anything can log or store.
    from . import logs, storage
    from .services.figures import cache as figures_cache

    logs.configure(app.config)
    storage.configure(app.config)
    figures_cache.configure(app.config["FIGURES_CACHE_WAVES"])
    database.init_app(app)
    jobs.init_app(app)
    init_phone_app(app)  # before the API, whose init wraps every route so far in the request transaction
    init_portal(app)  # likewise: every portal page runs in one transaction
    init_api(app)
    cli.init_app(app)
    return app
