"""Answer shape and show_if visibility: one implementation, read alike by validation and scoring."""
from __future__ import annotations

from typing import Any

import pytest
from fixtures.factories import small_checklist_document

from auditapp import scoring
from auditapp.checklists import answers as answer_rules
from auditapp.checklists import checklist_from_document
from auditapp.checklists.answers import (
    InvalidAnswer,
    answer_problems,
    answer_value,
    visible_answers,
)

T = {"zh": "项目", "en": "item"}


def chain_checklist():
    """asked_drive controls car_available, which controls alternative_offered."""
    def item(key: str, **extra: Any) -> dict[str, Any]:
        return {"key": key, "text": T, "type": "yes_no", "weight": 1, "dimension": "reliability", **extra}
    return checklist_from_document({"key": "t", "version": 1, "title": T, "sections": [
        {"key": "s", "title": T, "weight": 1, "items": [
            item("asked_drive", na_allowed=True),
            item("car_available", show_if={"item": "asked_drive", "equals": "yes"}),
            item("alternative_offered", show_if={"item": "car_available", "equals": "no"}),
            item("greeted"),
        ]}]})


@pytest.mark.parametrize("answer, value", [({"value": "yes"}, "yes"), ({"na": True}, None),
                                           ({"na": False, "value": 3}, 3), ({"attachments": []}, None), ({}, None)])
def test_answer_value_reads_an_object(answer: Any, value: Any):
    assert answer_value("a", answer) == value


@pytest.mark.parametrize("answer", ["yes", ["yes"], 1, None, True])
def test_answer_value_refuses_what_is_not_an_object_naming_the_item(answer: Any):
    with pytest.raises(InvalidAnswer) as caught:
        answer_value("greeted", answer)
    assert caught.value.item == "greeted"
    assert "object" in caught.value.problem


@pytest.mark.parametrize("answers, shown", [
    ({}, {"asked_drive": None, "greeted": None}),
    ({"asked_drive": {"na": True}, "car_available": {"value": "no"}}, {"asked_drive": None, "greeted": None}),
    ({"asked_drive": {"value": "yes"}}, {"asked_drive": "yes", "car_available": None, "greeted": None}),
    ({"asked_drive": {"value": "yes"}, "car_available": {"value": "no"}},
     {"asked_drive": "yes", "car_available": "no", "alternative_offered": None, "greeted": None}),
    # a stale answer behind a hidden controller neither shows nor counts
    ({"asked_drive": {"value": "no"}, "car_available": {"value": "no"}, "alternative_offered": {"value": "yes"}},
     {"asked_drive": "no", "greeted": None}),
])
def test_visible_answers_follow_show_if_in_checklist_order(answers: dict[str, Any], shown: dict[str, Any]):
    result = visible_answers(chain_checklist(), answers)
    assert result == shown
    assert list(result) == [key for key in chain_checklist().items if key in shown]


def test_a_hidden_items_answer_is_not_read():
    # car_available is hidden, so its malformed answer is ignored by visibility (validation reports it).
    assert visible_answers(chain_checklist(), {"asked_drive": {"value": "no"}, "car_available": "no"}) == {
        "asked_drive": "no", "greeted": None}


def test_scoring_uses_the_same_visibility_and_answer_shape():
    assert scoring.visible_values is answer_rules.visible_values
    assert scoring.InvalidAnswer is InvalidAnswer


def test_scoring_refuses_an_answer_that_is_not_an_object_naming_the_item():
    with pytest.raises(InvalidAnswer) as caught:
        scoring.score_audit(chain_checklist(), {"asked_drive": "yes", "greeted": {"value": "yes"}})
    assert caught.value.item == "asked_drive"


@pytest.mark.parametrize("complete", [False, True])
@pytest.mark.parametrize("bad", ["yes", ["yes"], 7, True, None])
def test_a_controller_that_is_not_an_object_is_one_problem_under_its_key(complete: bool, bad: Any):
    # greeted controls greet_seconds; its malformed answer once crashed the complete check.
    checklist = checklist_from_document(small_checklist_document())
    answers = {"greeted": bad, "greet_seconds": {"value": 20}, "written_quote": {"value": "yes", "attachments": []},
               "pressure": {"value": 4}}
    problems = answer_problems(checklist, answers, complete=complete)
    assert list(problems) == (["greeted", "written_quote"] if complete else ["greeted"])
    assert problems["greeted"] == [answer_rules.NOT_AN_OBJECT]


def test_a_refused_controller_counts_as_unanswered_for_the_items_it_shows():
    # greeted refused: greet_seconds is hidden, so its absence is not a second problem
    checklist = checklist_from_document(small_checklist_document())
    problems = answer_problems(checklist, {"greeted": "yes", "pressure": {"value": 4}}, complete=True)
    assert set(problems) == {"greeted", "written_quote"}
