"""The checklist file format (DESIGN 3) as marshmallow schemas.

Field-level rules live in the schemas; rules that span items (unique keys, show_if pointing
backwards) live in `cross_checks`, so every problem comes back with a path inside the file.
"""
from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from .model import (
    BANDED_TYPES,
    CHANNELS,
    CRITICAL_SCOPES,
    DIMENSIONS,
    DISPUTABLE_BY_DEFAULT,
    EVIDENCE_LEVELS,
    GAPS,
    ITEM_TYPES,
    KEY_PATTERN,
    OWNERS,
    SCORED_TYPES,
)

# What a failure means for the program manager; only an item that can fail carries it.
REMEDY_FIELDS = ("action", "owner", "gap")

SLUG = validate.Regexp(KEY_PATTERN, error="must be a lowercase key of letters, digits and '_'")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class NonEmptyString(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ValidationError("must not be empty")
        return text


# Booleans are excluded on purpose: a YAML `score: true` is a mistake, not 1.0.
class StrictNumber(fields.Float):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("must be a number")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictInteger(fields.Integer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be a whole number")
        return super()._deserialize(value, attr, data, **kwargs)


class TextSchema(StrictSchema):
    zh = NonEmptyString(required=True)
    en = NonEmptyString(required=True)


class BandSchema(StrictSchema):
    upto = StrictNumber(load_default=None)
    score = StrictNumber(required=True, validate=validate.Range(0, 1))


class OptionSchema(StrictSchema):
    key = fields.String(required=True, validate=SLUG)
    text = fields.Nested(TextSchema, required=True)
    score = StrictNumber(required=True, validate=validate.Range(0, 1))


class ShowIfSchema(StrictSchema):
    item = fields.String(required=True, validate=SLUG)
    equals = fields.String()
    in_ = fields.List(fields.String(), data_key="in", validate=validate.Length(min=1))

    @validates_schema
    def one_condition(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("equals" in data) == ("in_" in data):
            raise ValidationError("needs exactly one of 'equals' or 'in'", "_schema")


class ItemSchema(StrictSchema):
    key = fields.String(required=True, validate=SLUG)
    text = fields.Nested(TextSchema, required=True)
    help = fields.Nested(TextSchema)
    type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    weight = StrictNumber(load_default=None, validate=validate.Range(min=0))
    bands = fields.List(fields.Nested(BandSchema), validate=validate.Length(min=1))
    options = fields.List(fields.Nested(OptionSchema), validate=validate.Length(min=2))
    min = StrictNumber()
    max = StrictNumber()
    pass_ = fields.String(data_key="pass", validate=validate.OneOf(("yes", "no")))
    critical = fields.String(load_default="none", validate=validate.OneOf(CRITICAL_SCOPES))
    dimension = fields.String(validate=validate.OneOf(DIMENSIONS))
    na_allowed = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    show_if = fields.Nested(ShowIfSchema)
    evidence = fields.String(load_default="none", validate=validate.OneOf(EVIDENCE_LEVELS))
    disputable = fields.Boolean(truthy={True}, falsy={False})
    required = fields.Boolean(truthy={True}, falsy={False})
    # No load_default for these three: the default lives in the model, so that the stored document
    # (and content hash) of a version written before they existed does not change.
    action = fields.Nested(TextSchema)
    owner = fields.String(validate=validate.OneOf(OWNERS))
    gap = StrictInteger(validate=validate.OneOf(GAPS, error="must be one of the five service gaps: 1 to 5"))

    @validates_schema(skip_on_field_errors=True)
    def type_rules(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data["type"]
        scored_type = kind in SCORED_TYPES
        weight = data.get("weight")
        if not scored_type and weight not in (None, 0):
            raise ValidationError(f"{kind} items are not scored: weight must be 0", "weight")
        weight = 1.0 if weight is None and scored_type else (weight or 0.0)
        data["weight"] = weight
        self._only_for(data, "bands", kind in BANDED_TYPES, f"only {', '.join(BANDED_TYPES)} items have bands")
        self._only_for(data, "options", kind == "choice", "only choice items have options")
        self._only_for(data, "pass_", kind == "yes_no", "only yes_no items have 'pass'")
        self._only_for(data, "min", kind in BANDED_TYPES, f"only {', '.join(BANDED_TYPES)} items have 'min'")
        self._only_for(data, "max", kind in BANDED_TYPES + ("scale",),
                       f"only scale, {', '.join(BANDED_TYPES)} items have 'max'")
        if kind in BANDED_TYPES:
            if "bands" not in data:
                raise ValidationError(f"{kind} items need bands", "bands")
            self._check_bands(data["bands"])
            low = data.setdefault("min", 0.0)
            high = data.get("max")
            if high is not None and high < low:
                raise ValidationError("must not be below 'min'", "max")
        if kind == "scale":
            top = data.setdefault("max", 5)
            if top != int(top) or not 2 <= top <= 10:
                raise ValidationError("a scale's max must be a whole number from 2 to 10", "max")
            data["max"] = int(top)
        if kind == "choice":
            if "options" not in data:
                raise ValidationError("choice items need options", "options")
            keys = [o["key"] for o in data["options"]]
            for index, key in enumerate(keys):
                if key in keys[:index]:
                    raise ValidationError({index: {"key": [f"duplicate option '{key}'"]}}, "options")
            if max(o["score"] for o in data["options"]) != 1:
                raise ValidationError("at least one option must score 1", "options")
        if kind == "yes_no":
            data.setdefault("pass_", "yes")
        scored = scored_type and weight > 0
        if scored and "dimension" not in data:
            raise ValidationError("scored items need a dimension", "dimension")
        if not scored_type and "dimension" in data:
            raise ValidationError(f"{kind} items are not scored: no dimension", "dimension")
        if data["critical"] != "none" and not scored:
            raise ValidationError("a knock-out item must be scored (weight > 0)", "critical")
        for name in REMEDY_FIELDS:
            if name in data and not scored:
                raise ValidationError(f"only scored items have '{name}': an unscored item cannot fail", name)
        if "action" in data and "owner" not in data:
            raise ValidationError("an action needs an owner: the role that carries it out", "owner")
        data.setdefault("disputable", kind in DISPUTABLE_BY_DEFAULT)
        data.setdefault("required", scored_type)

    @staticmethod
    def _only_for(data: dict[str, Any], name: str, allowed: bool, message: str) -> None:
        if name in data and not allowed:
            raise ValidationError(message, name.rstrip("_"))

    @staticmethod
    def _check_bands(bands: list[dict[str, Any]]) -> None:
        last = len(bands) - 1
        for index, band in enumerate(bands):
            if index < last and band["upto"] is None:
                raise ValidationError({index: {"upto": ["every band but the last needs 'upto'"]}}, "bands")
            if index > 0 and index < last and band["upto"] <= bands[index - 1]["upto"]:
                raise ValidationError({index: {"upto": ["must be greater than the band before"]}}, "bands")
        if bands[last]["upto"] is not None:
            raise ValidationError("last band must have no 'upto'", "bands")


class SectionSchema(StrictSchema):
    key = fields.String(required=True, validate=SLUG)
    title = fields.Nested(TextSchema, required=True)
    weight = StrictNumber(required=True, validate=validate.Range(min=0, min_inclusive=False))
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1))


class ChecklistSchema(StrictSchema):
    key = fields.String(required=True, validate=SLUG)
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    title = fields.Nested(TextSchema, required=True)
    min_visit_minutes = StrictInteger(load_default=0, validate=validate.Range(min=0))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    sections = fields.List(fields.Nested(SectionSchema), required=True, validate=validate.Length(min=1))


def cross_checks(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across items, as (path, problem) pairs."""
    problems: list[tuple[str, str]] = []
    all_keys = {item["key"] for section in document["sections"] for item in section["items"]}
    section_keys: set[str] = set()
    earlier: dict[str, dict[str, Any]] = {}
    for s, section in enumerate(document["sections"]):
        path = f"sections[{s}]"
        if section["key"] in section_keys:
            problems.append((f"{path}.key", f"duplicate section key '{section['key']}'"))
        section_keys.add(section["key"])
        for i, item in enumerate(section["items"]):
            item_path = f"{path}.items[{i}]"
            if item["key"] in earlier:
                problems.append((f"{item_path}.key", f"duplicate item key '{item['key']}'"))
            show_if = item.get("show_if")
            if show_if is not None:
                problems.extend(_show_if_problems(f"{item_path}.show_if", show_if, earlier, item["key"], all_keys))
            earlier.setdefault(item["key"], item)
    return problems


def _show_if_problems(path: str, show_if: dict[str, Any], earlier: dict[str, dict[str, Any]],
                      own_key: str, all_keys: set[str]) -> list[tuple[str, str]]:
    target_key = show_if["item"]
    target = earlier.get(target_key)
    if target is None:
        if target_key == own_key:
            problem = "an item cannot depend on itself"
        elif target_key in all_keys:
            problem = f"'{target_key}' comes later; show_if must refer to an earlier item"
        else:
            problem = f"unknown item '{target_key}'"
        return [(f"{path}.item", problem)]
    if target["type"] == "yes_no":
        allowed = ["yes", "no"]
    elif target["type"] == "choice":
        allowed = [o["key"] for o in target["options"]]
    else:
        return [(f"{path}.item", f"'{target_key}' is a {target['type']} item; show_if needs a yes_no or choice item")]
    values = show_if["in_"] if "in_" in show_if else [show_if["equals"]]
    field = "in" if "in_" in show_if else "equals"
    bad = [v for v in values if v not in allowed]
    if bad:
        problem = f"{', '.join(map(repr, bad))} is not an answer of '{target_key}' (one of {', '.join(allowed)})"
        return [(f"{path}.{field}", problem)]
    return []


def flatten_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict → (path, problem) pairs like `sections[2].items[4].bands`."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                name = {"pass_": "pass", "in_": "in"}.get(key, str(key))
                path = f"{prefix}.{name}" if prefix else name
            out.extend(flatten_errors(value, path))
    elif isinstance(messages, list):
        for message in messages:
            out.extend(flatten_errors(message, prefix))
    else:
        text = str(messages)
        if text == "Unknown field.":
            text = "unknown field"
        elif text == "Missing data for required field.":
            text = "required field missing"
        out.append((prefix or "(top)", text))
    return out
