"""The one place where errors become the standard body:
`{"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {...}}`."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import DomainError, from_database_error
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
        _rollback()
        return _domain_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        message = data.get("message") or _message_for(error, errors)
        headers = dict(data.get("headers") or {})
        if error.code == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        return error_response(error.code or 500, message, errors, headers)

    @app.errorhandler(SQLAlchemyError)
    def database_error(error: SQLAlchemyError):
        _rollback()
        mapped = from_database_error(error)
        if mapped is None:
            log.exception("database error")
            return error_response(500, InternalServerError.description)
        log.warning("database error answered %s: %s", mapped.status, error)
        return _domain_response(mapped)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        _rollback()
        log.exception("unhandled error")
        return error_response(500, InternalServerError.description)


def _domain_response(error: DomainError):
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(error.status, error.message, error.errors, headers)


def _rollback() -> None:
    # With the database gone the rollback fails too; the error being answered is what the client needs.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("rollback failed", exc_info=True)


def _message_for(error: HTTPException, errors: dict) -> str:
    if error.code == 422 and errors:
        return "invalid input: see errors"
    if error.code == 400 and "json" in errors:
        return "the request body is not valid JSON"
    return error.description or error.name
