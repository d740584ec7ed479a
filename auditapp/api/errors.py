"""The one place where errors become the standard body:
`{"code": 422, "status": "Unprocessable Entity", "error": "request.invalid_input", "message": "...",
"errors": {...}}`: `code` is the HTTP status, `error` the stable machine code (the message's catalogue
key, auditapp/messages.py), `message` and the field `errors` in the negotiated language (api/language.py)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import DomainError, from_database_error
from ..extensions import db
from ..messages import CATALOGUE, Message, localize
from .input_messages import as_message
from .language import request_language

log = logging.getLogger(__name__)


def error_response(code: int, message: Message, errors: dict | None = None, headers: dict | None = None):
    language = request_language()
    body = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "error": message.key,
            "message": message.render(language), "errors": localize(_recognised(errors or {}), language)}
    response = jsonify(body)
    response.status_code = code
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _recognised(value: Any) -> Any:
    """Field errors with marshmallow's built-in texts turned into Messages (ours already are)."""
    if isinstance(value, Message):
        return value
    if isinstance(value, str):
        return as_message(value) or value
    if isinstance(value, dict):
        return {key: _recognised(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_recognised(inner) for inner in value]
    return value


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        _rollback()
        return _domain_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        message = data.get("message")
        if not isinstance(message, Message):
            message = _message_for(error, errors)
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
            return error_response(500, Message("http.500"))
        log.warning("database error answered %s: %s", mapped.status, error)
        return _domain_response(mapped)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        _rollback()
        log.exception("unhandled error")
        return error_response(500, Message("http.500"))


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


def _message_for(error: HTTPException, errors: dict) -> Message:
    if error.code == 422 and errors:
        return Message("request.invalid_input")
    if error.code == 400 and "json" in errors:
        return Message("request.invalid_json")
    if f"http.{error.code}" in CATALOGUE:
        return Message(f"http.{error.code}")
    return Message("http.other", status=f"{error.code} {error.name}")
