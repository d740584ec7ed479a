"""One transaction per request: views never commit; the request commits once, after its view has
produced the response, and rolls back when the view raises. Mail and other side effects queued during
the request (services.side_effects) run after the commit, in the background, so the response never
waits for them."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g

from ..errors import DomainError
from ..extensions import db
from ..services import side_effects

_COMMIT_ON_REFUSAL = "_auditapp_commit_on_refusal"


def commit_despite_error() -> None:
    """Keep this request's changes although the view is about to refuse it with a domain error.

    For records whose whole point is to outlive the refusal (the failed-login count that throttles
    password guessing). Only a DomainError (an expected refusal) commits: an unexpected exception still
    rolls back, since the changes made before it may be half done."""
    g.setdefault(_COMMIT_ON_REFUSAL, True)


def transactional(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def in_one_transaction(*args: Any, **kwargs: Any) -> Any:
        session = db.session
        try:
            # The response is made here, inside the transaction, so that serialising it (which may
            # load relationships) happens before the commit and a failed commit is still an error.
            response = current_app.make_response(view(*args, **kwargs))
        except DomainError:
            if g.pop(_COMMIT_ON_REFUSAL, False):
                _commit(session)
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        _commit(session)
        return response
    return in_one_transaction


def _commit(session: Any) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()  # the error handlers turn it into the standard body (409 for a race)
        raise
    side_effects.run_in_background(side_effects.take_committed(session))


def init_app(app: Flask) -> None:
    """Wrap every view registered so far; call it after all routes are registered."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static" and not getattr(view, "_auditapp_transactional", False):
            wrapped = transactional(view)
            # A mark on the function itself, so that a view is never wrapped twice.
            wrapped._auditapp_transactional = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped
