"""Checking answers against a checklist version (DESIGN 4 shapes): the rules a submit enforces.

Pure: the caller says which attachment hashes exist; problems come back per item key.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .model import BANDED_TYPES, Checklist, Item

ANSWER_FIELDS = frozenset({"value", "na", "comment", "attachments"})
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_TEXT = 4000


def visible_items(checklist: Checklist, answers: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Keys of the items shown to the shopper, given the answers so far (show_if is evaluated in order)."""
    visible: set[str] = set()
    for key, item in checklist.items.items():
        if item.show_if is None:
            visible.add(key)
            continue
        controller = item.show_if.item
        answer = answers.get(controller) or {}
        if controller in visible and not answer.get("na") and item.show_if.matches(answer.get("value")):
            visible.add(key)
    return visible


def answer_problems(checklist: Checklist, answers: Any, *, complete: bool,
                    known_attachments: set[str] | None = None) -> dict[str, list[str]]:
    """Problems by item key ("_answers" for the whole). `complete` adds the rules of a final submit."""
    if not isinstance(answers, Mapping):
        return {"_answers": ["answers must be an object keyed by item"]}
    problems: dict[str, list[str]] = {}
    for key, answer in answers.items():
        item = checklist.items.get(key)
        if item is None:
            problems[key] = [f"unknown item for {checklist.key} v{checklist.version}"]
            continue
        found = _answer_problems(item, answer, known_attachments)
        if found:
            problems[key] = found
    if complete:
        shown = visible_items(checklist, answers)
        for key in shown:
            item = checklist.items[key]
            answer = answers.get(key)
            if key in problems:
                continue
            answered = isinstance(answer, Mapping) and (answer.get("na") is True or "value" in answer
                                                        or (item.type == "photo" and answer.get("attachments")))
            if item.required and not answered:
                problems[key] = ["required: answer it or mark it N/A" if item.na_allowed else "required"]
            elif (item.evidence == "required" and answered and answer.get("na") is not True
                  and not answer.get("attachments")):
                problems[key] = ["evidence required: attach a photo or receipt"]
    return problems


def _answer_problems(item: Item, answer: Any, known: set[str] | None) -> list[str]:
    if not isinstance(answer, Mapping):
        return ["must be an object with 'value', 'na', 'comment' or 'attachments'"]
    problems = [f"unknown field '{name}'" for name in answer if name not in ANSWER_FIELDS]
    na = answer.get("na", False)
    if not isinstance(na, bool):
        problems.append("'na' must be true or false")
    elif na:
        if not item.na_allowed:
            problems.append("N/A is not allowed for this item")
        if answer.get("value") is not None:
            problems.append("give either a value or N/A, not both")
    if "value" in answer and not na:
        problem = value_problem(item, answer["value"])
        if problem:
            problems.append(problem)
    comment = answer.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_TEXT):
        problems.append(f"'comment' must be text of at most {MAX_TEXT} characters")
    attachments = answer.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(h, str) and SHA256.match(h) for h in attachments):
        problems.append("'attachments' must be a list of lowercase hex SHA-256 hashes")
    elif known is not None:
        missing = [h for h in attachments if h not in known]
        if missing:
            problems.append(f"attachment not uploaded: {', '.join(missing)}")
    return problems


def value_problem(item: Item, value: Any) -> str | None:
    """Why `value` is not a valid answer value for `item`, or None."""
    kind = item.type
    if kind == "yes_no":
        return None if value in ("yes", "no") else "must be \"yes\" or \"no\""
    if kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (item.max or 5):
            return f"must be a whole number from 1 to {item.max}"
        return None
    if kind in BANDED_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "must be a number"
        if item.min is not None and value < item.min:
            return f"must be at least {item.min:g}"
        if item.max is not None and value > item.max:
            return f"must be at most {item.max:g}"
        return None
    if kind == "choice":
        keys = [o.key for o in item.options]
        return None if value in keys else f"must be one of {', '.join(keys)}"
    if kind == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            return f"must be text of at most {MAX_TEXT} characters"
        return None
    return "photo items carry attachments only, no value"
