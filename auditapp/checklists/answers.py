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
NOT_AN_OBJECT = "must be an object with 'value', 'na', 'comment' or 'attachments'"

Answers = Mapping[str, Any]


class InvalidAnswer(ValueError):
    """An answer that cannot be read or scored; `item` names it, so that callers can report it per item."""

    def __init__(self, item: str, problem: str):
        super().__init__(f"{item}: {problem}")
        self.item = item
        self.problem = problem


def answer_value(key: str, answer: Any) -> Any:
    """The value an answer gives: None when it is N/A or carries no value (a photo's attachments only).

    The one reading of an answer's shape, for validation, visibility and scoring alike. Raises
    InvalidAnswer for an answer that is not an object.
    """
    if not isinstance(answer, Mapping):
        raise InvalidAnswer(key, NOT_AN_OBJECT)
    if answer.get("na") is True:
        return None
    return answer.get("value")


def visible_answers(checklist: Checklist, answers: Answers) -> dict[str, Any]:
    """The value (None if unanswered or N/A) of every item shown to the shopper, in checklist order.

    The one implementation of show_if: an item is shown when its controlling item is shown and
    answered with one of the listed values. An item whose controller is hidden is hidden, so a stale
    answer behind a hidden question never counts. Items are in order, so a controller is decided first.
    Raises InvalidAnswer for a shown item's answer that is not an object.
    """
    shown: dict[str, Any] = {}
    for key, item in checklist.items.items():
        condition = item.show_if
        if condition is not None and not (shown.get(condition.item) is not None
                                          and condition.matches(shown[condition.item])):
            continue
        shown[key] = answer_value(key, answers[key]) if key in answers else None
    return shown


def visible_items(checklist: Checklist, answers: Answers) -> set[str]:
    """Keys of the items shown to the shopper, given the answers."""
    return set(visible_answers(checklist, answers))


def visible_values(checklist: Checklist, answers: Answers) -> dict[str, Any]:
    """The value of every shown item answered with a value, in checklist order (what scoring counts)."""
    return {key: value for key, value in visible_answers(checklist, answers).items() if value is not None}


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
        # An answer already refused (e.g. not an object) counts as unanswered for show_if: its own
        # problem is reported, and the items it controls are judged as if it were missing.
        shown = visible_items(checklist, {k: a for k, a in answers.items() if k not in problems})
        for key in shown:
            item = checklist.items[key]
            if key in problems:
                continue
            answer = answers.get(key, {})  # every answer left here is an object: the others have problems
            answered = answer.get("na") is True or "value" in answer or (item.type == "photo"
                                                                          and bool(answer.get("attachments")))
            if item.required and not answered:
                problems[key] = ["required: answer it or mark it N/A" if item.na_allowed else "required"]
            elif (item.evidence == "required" and answered and answer.get("na") is not True
                  and not answer.get("attachments")):
                problems[key] = ["evidence required: attach a photo or receipt"]
    return problems


def _answer_problems(item: Item, answer: Any, known: set[str] | None) -> list[str]:
    try:
        answer_value(item.key, answer)
    except InvalidAnswer as exc:
        return [exc.problem]
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
