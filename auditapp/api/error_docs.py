"""What the OpenAPI document promises about errors.

Every operation lists each error status it can answer, each with the standard error body
(`{code, status, message, errors}`), and nothing else: there is no catch-all `default` response, so a
status the document does not name is a contract violation (the schemathesis run in CI checks it).

The statuses that follow from how an operation is built are added here, once, for every operation:
authentication (401), a role check (403), path parameters (404, and 422 for text ones), a JSON body
(400, 413), the request limits (431) and a database that is unavailable (503). The business rules
(409, 412, 428, 429...) are documented on the views with `@blp.alt_response(status, description=...)`;
such a response without a body schema gets the standard one here.
"""
from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask
from marshmallow import Schema, fields

from .fields import Int, Text

# The component responses flask-smorest registers for each HTTP status, by name.
RESPONSE_NAMES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                  413: "REQUEST_ENTITY_TOO_LARGE", 422: "UNPROCESSABLE_ENTITY",
                  431: "REQUEST_HEADER_FIELDS_TOO_LARGE", 503: "SERVICE_UNAVAILABLE"}


class ErrorSchema(Schema):
    """The standard error body (api/errors.py)."""
    code = Int(required=True, metadata={"description": "The HTTP status code"})
    status = Text(required=True, metadata={"description": "The HTTP status name"})
    error = Text(required=True, metadata={"description": "A stable machine code of the error kind (translate on it)"})
    message = Text(required=True, metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(required=True, keys=fields.String(), metadata={
        "description": "Problems by field or parameter name (a list of messages, or nested by item key); "
                       "empty when the message says it all"})


class ErrorResponses(BasePlugin):
    """An apispec plugin: called for each path as flask-smorest documents it."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        self.public_endpoints: frozenset[str] = frozenset()

    def bind(self, app: Flask, public_endpoints: set[str]) -> None:
        self.app, self.public_endpoints = app, frozenset(public_endpoints)

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if self.app is None or rule is None or not operations:
            return
        view = self.app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        text_parameters = any(type(converter).__name__ in ("UnicodeConverter", "PathConverter")
                              for converter in rule._converters.values())
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, response in list(responses.items()):
                if str(status).startswith(("4", "5")) and isinstance(response, dict) and "content" not in response:
                    response["content"] = {"application/json": {"schema": "Error"}}
            statuses = [431, 503]
            if rule.endpoint not in self.public_endpoints:
                statuses.append(401)
            method_view = getattr(view_class, method, None)
            if getattr(method_view, "allowed_roles", None) or getattr(view_class, "allowed_roles", None):
                statuses.append(403)
            if rule.arguments:
                statuses.append(404)
            if text_parameters:
                statuses.append(422)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                statuses += [400, 413]
            for status in statuses:
                responses.setdefault(str(status), RESPONSE_NAMES[status])


def spec_kwargs(plugin: ErrorResponses) -> dict[str, Any]:
    return {"extra_plugins": [plugin]}
