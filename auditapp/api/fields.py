"""The API's field types: every string, integer, date and free-form JSON value of a request is read
through one of these, so the rules of `auditapp.limits` hold for every field and parameter alike
(tests/api/test_input_rules.py checks that no schema uses marshmallow's unbounded fields instead)."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from ..limits import (
    CODE_PATTERN,
    CODE_RULE,
    DATE_MAX,
    DATE_MIN,
    DATETIME_MAX,
    DATETIME_MIN,
    INT_MAX,
    INT_MIN,
    json_problems,
    text_problem,
)
from ..messages import Message


class TextRule:
    """Mixed into every string field of the API: the text rule of limits.text_problem."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        # A mixin: super() is the marshmallow field it is mixed into, which mypy cannot know here.
        text = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


class Text(TextRule, fields.String):
    """A string without NUL or unpaired surrogates (see limits.text_problem)."""


class EmailAddress(TextRule, fields.Email):
    pass


class Code(Text):
    """A dealer, region or wave code: it becomes part of report file paths."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("description", f"Code: {CODE_RULE}")
        super().__init__(validate=validate.Regexp(CODE_PATTERN, error=Message("field.code_rule")), **kwargs)


def _prepend(validator: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    given = kwargs.pop("validate", None)
    others = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
    return {**kwargs, "validate": [validator, *others]}


class Int(fields.Integer):
    """An integer that fits the database's integer columns (limits.INT_MIN..INT_MAX)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_prepend(validate.Range(INT_MIN, INT_MAX), kwargs))


class Day(fields.Date):
    """A date within limits.DATE_MIN..DATE_MAX."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_prepend(validate.Range(DATE_MIN, DATE_MAX), kwargs))


class Moment(fields.AwareDateTime):
    """A time with its offset, within the same years as Day."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_prepend(validate.Range(DATETIME_MIN, DATETIME_MAX), kwargs))


class FreeJson(fields.Raw):
    """Free-form JSON (an answer value, a dispute value): its texts follow Text's rule and its numbers are
    finite and within limits.JSON_NUMBER_LIMIT, wherever they are inside it."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        problems = json_problems(value)
        if problems:
            raise ValidationError(problems)
        return value


class FreeObject(FreeJson):
    """A JSON object of free-form values."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(Message("input.not_mapping"))
        return super()._deserialize(value, attr, data, **kwargs)


class TextMap(fields.Dict):
    """A JSON object of texts by key (item notes by item key): keys and texts both by Text's rule, and at
    most `max_entries` of them, so that the whole object is as bounded as each of its texts."""

    def __init__(self, *, key_length: int = 64, text_length: int = 4000, max_entries: int = 500,
                 **kwargs: Any) -> None:
        super().__init__(keys=Text(validate=validate.Length(min=1, max=key_length)),
                         values=Text(validate=validate.Length(min=1, max=text_length)),
                         validate=validate.Length(max=max_entries), **kwargs)
