"""Checking answers against a checklist version (DESIGN 4 shapes): the rules a submit enforces.

Pure: the caller says which attachment hashes exist; problems come back per item key.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..messages import Message
from .model import BANDED_TYPES, Checklist, Item

ANSWER_FIELDS = frozenset({"value", "na", "comment", "attachments"})
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_TEXT = 4000
NOT_AN_OBJECT = Message("answer.not_an_object")

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
            problems[key] = [Message("answer.unknown_item", checklist=checklist.key, version=checklist.version)]
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
                problems[key] = [Message("answer.required_or_na" if item.na_allowed else "answer.required")]
            elif (item.evidence == "required" and answered and answer.get("na") is not True
                  and not answer.get("attachments")):
                problems[key] = [Message("answer.evidence_required")]
    return problems


def _answer_problems(item: Item, answer: Any, known: set[str] | None) -> list[str]:
    try:
        answer_value(item.key, answer)
    except InvalidAnswer as exc:
        return [exc.problem]
    problems: list[str] = [Message("answer.unknown_field", name=name) for name in answer if name not in ANSWER_FIELDS]
    na = answer.get("na", False)
    if not isinstance(na, bool):
        problems.append(Message("answer.na_not_boolean"))
    elif na:
        if not item.na_allowed:
            problems.append(Message("answer.na_not_allowed"))
        if answer.get("value") is not None:
            problems.append(Message("answer.value_and_na"))
    if "value" in answer and not na:
        problem = value_problem(item, answer["value"])
        if problem:
            problems.append(problem)
    comment = answer.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_TEXT):
        problems.append(Message("answer.comment_too_long", max=MAX_TEXT))
    attachments = answer.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(h, str) and SHA256.match(h) for h in attachments):
        problems.append(Message("answer.attachments_format"))
    elif known is not None:
        missing = [h for h in attachments if h not in known]
        if missing:
            problems.append(Message("answer.attachments_missing", hashes=", ".join(missing)))
    return problems


def value_problem(item: Item, value: Any) -> str | None:
    """Why `value` is not a valid answer value for `item`, or None."""
    kind = item.type
    if kind == "yes_no":
        return None if value in ("yes", "no") else Message("answer.yes_or_no")
    if kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (item.max or 5):
            return Message("answer.whole_number", max=item.max)
        return None
    if kind in BANDED_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return Message("answer.number")
        if item.min is not None and value < item.min:
            return Message("answer.at_least", min=f"{item.min:g}")
        if item.max is not None and value > item.max:
            return Message("answer.at_most", max=f"{item.max:g}")
        return None
    if kind == "choice":
        keys = [o.key for o in item.options]
        return None if value in keys else Message("answer.one_of", choices=", ".join(keys))
    if kind == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            return Message("answer.text_too_long", max=MAX_TEXT)
        return None
    return Message("answer.photo_no_value")
