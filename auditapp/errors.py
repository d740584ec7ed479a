"""Domain errors: raised by services, mapped to the standard error body in one place (api/errors.py)."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


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

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
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

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


# Seconds a client is asked to wait before retrying when the database is unavailable.
DATABASE_RETRY_AFTER_S = 5


def from_database_error(error: Exception) -> DomainError | None:
    """The domain error a database error stands for, or None for a real fault. One mapping, used by the
    API's error handlers and by the sync batch, which answers each entry on its own."""
    from sqlalchemy import exc

    if isinstance(error, exc.IntegrityError):
        # A race the services could not see (two requests creating the same thing at once).
        return Conflict("conflicts with a concurrent change; reload and try again")
    if isinstance(error, exc.DataError):
        # Input the schemas should have refused (a value the column cannot hold): the input's fault.
        return InvalidInput("a value cannot be stored: it is out of range or not valid text")
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError)):
        return ServiceUnavailable("the database is unavailable; retry later", DATABASE_RETRY_AFTER_S)
    return None
