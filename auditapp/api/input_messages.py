"""marshmallow's own validation messages (required, type, length, range, one of...) as catalogue
Messages, so that they too reach the client in its language with a stable key.

marshmallow formats its built-in messages into plain English text before we see them; rather than
re-declaring every schema's validators, the texts are recognised here from marshmallow's own templates
and given their key and parameters back. Our own rules (api/fields.py, auditapp/limits.py) raise
Messages directly and need no recognising."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from marshmallow import Schema, fields, validate

from ..messages import Message


def _templates() -> dict[str, Any]:
    """Catalogue key -> the marshmallow template it stands for, read from marshmallow itself."""
    field = fields.Field.default_error_messages
    datetime_invalid = str(fields.DateTime.default_error_messages["invalid"])
    awareness = str(fields.AwareDateTime.default_error_messages["invalid_awareness"])
    return {
        "input.required": field["required"],
        "input.null": field["null"],
        "input.invalid_value": field["validator_failed"],
        "input.unknown_field": Schema._default_error_messages["unknown"],
        "input.invalid_input_type": Schema._default_error_messages["type"],
        "input.invalid_type": fields.Nested.default_error_messages["type"],
        "input.not_string": fields.String.default_error_messages["invalid"],
        "input.not_utf8": fields.String.default_error_messages["invalid_utf8"],
        "input.not_integer": fields.Integer.default_error_messages["invalid"],
        "input.not_number": fields.Number.default_error_messages["invalid"],
        "input.number_too_large": fields.Number.default_error_messages["too_large"],
        "input.not_boolean": fields.Boolean.default_error_messages["invalid"],
        "input.not_date": datetime_invalid.replace("{obj_type}", "date"),
        "input.not_datetime": datetime_invalid.replace("{obj_type}", "datetime"),
        "input.not_aware_datetime": awareness.replace("{awareness}", "aware").replace("{obj_type}", "datetime"),
        "input.not_list": fields.List.default_error_messages["invalid"],
        "input.not_mapping": fields.Mapping.default_error_messages["invalid"],
        "input.not_uuid": fields.UUID.default_error_messages["invalid_uuid"],
        "input.not_email": fields.Email.default_error_messages["invalid"],
        "input.length_between": validate.Length.message_all,
        "input.length_min": validate.Length.message_min,
        "input.length_max": validate.Length.message_max,
        "input.length_equal": validate.Length.message_equal,
        "input.range_between": validate.Range.message_all.format(min_op=validate.Range.message_gte,
                                                                 max_op=validate.Range.message_lte),
        "input.range_min": validate.Range.message_min.format(min_op=validate.Range.message_gte),
        "input.range_max": validate.Range.message_max.format(max_op=validate.Range.message_lte),
        "input.one_of": validate.OneOf.default_message,
        "input.pattern": validate.Regexp.default_message,
    }


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for key, template in _templates().items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(str(template)))
        found.append((key, re.compile(pattern)))
    return found


def as_message(text: str) -> Message | None:
    """The catalogue Message a marshmallow message stands for, or None for any other text."""
    for key, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match:
            return Message(key, **match.groupdict())
    return None
