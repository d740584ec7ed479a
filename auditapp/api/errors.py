"""The one place where errors become the standard body:
`{"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {...}}`."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import DomainError, TooManyRequests
from ..extensions import db

log = logging.getLogger(__name__)


def error_response(code: int, message: str, errors: dict | None = None, headers: dict | None = None):
    body = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message,
            "errors": errors or {}}
    response = jsonify(body)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
        return error_response(error.status, error.message, error.errors, headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        message = data.get("message") or _message_for(error, errors)
        headers = dict(data.get("headers") or {})
        if error.code == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        return error_response(error.code or 500, message, errors, headers)

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # A race the services could not see (two requests creating the same thing at once).
        db.session.rollback()
        log.warning("integrity error: %s", error.orig)
        return error_response(409, "conflicts with a concurrent change; reload and try again")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return error_response(500, InternalServerError.description)


def _message_for(error: HTTPException, errors: dict) -> str:
    if error.code == 422 and errors:
        return "invalid input: see errors"
    if error.code == 400 and "json" in errors:
        return "the request body is not valid JSON"
    return error.description or error.name
