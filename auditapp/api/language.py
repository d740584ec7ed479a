"""The language of the API's texts (error and flag messages): the best of `Accept-Language` among the
catalogue's languages, else the configured DEFAULT_LANGUAGE (also for a header naming only others)."""
from __future__ import annotations

from flask import current_app, has_request_context, request

from ..messages import LANGUAGES


def request_language() -> str:
    default: str = current_app.config["DEFAULT_LANGUAGE"]
    if not has_request_context():
        return default
    return request.accept_languages.best_match(LANGUAGES, default=default)
