"""Domain errors: raised by services, mapped to the standard error body in one place (api/errors.py).

An error is raised with a message key of the catalogue (auditapp/messages.py) and its parameters, e.g.
`Conflict("dispute.window_closed", deadline=..., days=5)`; field-level `errors` hold Messages too. The
class decides the HTTP status, the key is the error's stable machine code, and the text is rendered in
the client's language when the response is made."""
from __future__ import annotations

from typing import Any

from .messages import Message


class DomainError(Exception):
    status = 400

    def __init__(self, key: str, errors: dict[str, Any] | None = None, /, **params: Any):
        self.message = Message(key, **params)
        super().__init__(str(self.message))
        self.errors = errors or {}

    @property
    def code(self) -> str:
        """The stable machine code of this error: its message key."""
        return self.message.key


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    status = 412


class PreconditionRequired(DomainError):
    status = 428


class TooManyRequests(DomainError):
    status = 429

    def __init__(self, key: str, /, retry_after: int, errors: dict[str, Any] | None = None, **params: Any):
        super().__init__(key, errors, retry_after=retry_after, **params)
        self.retry_after = retry_after


class UnsupportedMediaType(DomainError):
    status = 415


class PayloadTooLarge(DomainError):
    status = 413


class MalformedJson(DomainError):
    """A body that is not JSON, or JSON too deep or with too long numbers to parse safely."""
    status = 400


class HeaderFieldsTooLarge(DomainError):
    status = 431


class ServiceUnavailable(DomainError):
    """The database cannot be reached or is busy: nothing was done, and the same request may be retried."""
    status = 503

    def __init__(self, key: str, /, retry_after: int, errors: dict[str, Any] | None = None, **params: Any):
        super().__init__(key, errors, retry_after=retry_after, **params)
        self.retry_after = retry_after


# Seconds a client is asked to wait before retrying when the database is unavailable.
DATABASE_RETRY_AFTER_S = 5


def from_database_error(error: Exception) -> DomainError | None:
    """The domain error a database error stands for, or None for a real fault. One mapping, used by the
    API's error handlers and by the sync batch, which answers each entry on its own."""
    from sqlalchemy import exc

    if isinstance(error, exc.IntegrityError):
        # A race the services could not see (two requests creating the same thing at once).
        return Conflict("request.concurrent_change")
    if isinstance(error, exc.DataError):
        # Input the schemas should have refused (a value the column cannot hold): the input's fault.
        return InvalidInput("request.value_not_storable")
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError)):
        return ServiceUnavailable("request.database_unavailable", DATABASE_RETRY_AFTER_S)
    return None
