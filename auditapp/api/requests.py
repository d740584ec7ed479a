"""Limits on a request as a whole, checked before any view reads it: header sizes, body size (chunked
bodies included), JSON that cannot be parsed safely, and path parameters; and responses that stay
valid UTF-8 whatever text they carry. Each refusal is a 4xx in the standard body (api/errors.py)."""
from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from ..errors import HeaderFieldsTooLarge, InvalidInput, MalformedJson, PayloadTooLarge
from ..limits import (
    INT_MAX,
    MAX_HEADER_FIELD_BYTES,
    MAX_HEADER_FIELDS,
    has_surrogates,
    json_text_problem,
    text_problem,
)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` path parameters: beyond the integer columns' range no object can exist (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


class JSONProvider(DefaultJSONProvider):
    """Responses in readable UTF-8; a text that cannot be encoded (an unpaired surrogate stored before
    the input rules existed) is sent escaped, as the client sent it, instead of failing the response."""
    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        if has_surrogates(text):
            return super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


def init_app(app: Flask) -> None:
    """Before the blueprints are registered (the converter applies to their routes)."""
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def check_headers() -> None:
        if len(request.headers) > MAX_HEADER_FIELDS:
            raise HeaderFieldsTooLarge("request.too_many_header_fields", max=MAX_HEADER_FIELDS)
        for name, value in request.headers.items():
            if len(name) + len(value) > MAX_HEADER_FIELD_BYTES:
                raise HeaderFieldsTooLarge("request.header_field_too_long", {"headers": [name[:64]]},
                                           max=MAX_HEADER_FIELD_BYTES)

    @app.before_request
    def check_json_body() -> None:
        if not request.is_json:
            return
        limit = request.max_content_length
        body = request.get_data(cache=True)  # 413 here when Content-Length is over the limit
        # Without Content-Length (a chunked body) the stream is cut at the limit: a body that reaches it
        # was longer, and would otherwise be read as truncated, invalid JSON.
        if request.content_length is None and limit is not None and len(body) >= limit:
            raise PayloadTooLarge("request.body_too_large", limit=limit)
        problem = json_text_problem(body)
        if problem:
            raise MalformedJson(problem.key, {"json": [problem]}, **problem.params)


def check_path_parameters() -> None:
    """Path parameters follow the same text rule as every field (run after authentication, so that a
    caller who may not use an endpoint learns nothing from it)."""
    problems = {name: [problem] for name, value in (request.view_args or {}).items()
                if isinstance(value, str) and (problem := text_problem(value))}
    if problems:
        raise InvalidInput("request.invalid_input", {"path": problems})
