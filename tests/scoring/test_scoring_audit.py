"""Hand-computed audit scores (DESIGN 4). The arithmetic is in the comments."""
from __future__ import annotations

import json
from typing import Any

import pytest

from auditapp.checklists import checklist_from_document
from auditapp.scoring import AuditScore, InvalidAnswer, score_audit, with_knockout_cost

T = {"zh": "项目", "en": "item"}
BANDS = [{"upto": 30, "score": 1.0}, {"upto": 60, "score": 0.5}, {"score": 0}]
OPTIONS = [{"key": "full", "text": T, "score": 1}, {"key": "partial", "text": T, "score": 0.4},
           {"key": "none", "text": T, "score": 0}]


def approx(value: float) -> Any:
    return pytest.approx(value, abs=1e-9)


def item(key: str, type: str = "yes_no", weight: float = 1, dimension: str | None = "reliability",
         **extra: Any) -> dict[str, Any]:
    doc = {"key": key, "text": T, "type": type, "weight": weight, **extra}
    if dimension is not None:
        doc["dimension"] = dimension
    if type in ("seconds", "minutes", "number"):
        doc.setdefault("bands", BANDS)
    if type == "choice":
        doc.setdefault("options", OPTIONS)
    return doc


def section(key: str, weight: float, *items: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "title": T, "weight": weight, "items": list(items)}


def checklist(*sections: dict[str, Any]):
    return checklist_from_document({"key": "t", "version": 1, "title": T, "sections": list(sections)})


def values(**answers: Any) -> dict[str, dict[str, Any]]:
    return {key: ({"na": True} if value == "NA" else {"value": value}) for key, value in answers.items()}


def test_yes_no_pass_yes_and_pass_no():
    cl = checklist(section("greeting", 1,
                           item("greeted", weight=2),
                           item("ignored", **{"pass": "no"}),
                           item("rude", **{"pass": "no"})))
    score = score_audit(cl, values(greeted="yes", ignored="no", rude="yes"))
    # r = 1, 1, 0 with weights 2, 1, 1: S = 100·(2+1+0)/4 = 75
    assert score.sections["greeting"] == approx(75)
    assert score.overall == approx(75) and score.overall_raw == approx(75)
    assert score.ratios == {"greeted": 1.0, "ignored": 1.0, "rude": 0.0}
    # g = 2/4, 1/4, 1/4; only 'rude' loses: 100·0.25·1 = 25
    assert score.global_weights == {"greeted": 0.5, "ignored": 0.25, "rude": 0.25}
    assert dict(score.points_lost) == {"greeted": 0.0, "ignored": 0.0, "rude": approx(25)}
    assert score.failed == ("rude",)
    assert score.excluded == ()


def test_scale_max_5_and_max_10():
    cl = checklist(section("presentation", 1,
                           item("clean", "scale"),
                           item("listening", "scale", weight=3, max=10)))
    score = score_audit(cl, values(clean=4, listening=7))
    # r = (4−1)/(5−1) = 0.75 and (7−1)/(10−1) = 2/3
    assert score.ratios["clean"] == approx(0.75)
    assert score.ratios["listening"] == approx(2 / 3)
    # S = 100·(1·0.75 + 3·2/3)/4 = 100·2.75/4 = 68.75
    assert score.overall == approx(68.75)
    # L = 100·(1/4)·0.25 = 6.25 and 100·(3/4)·(1/3) = 25
    assert score.points_lost["clean"] == approx(6.25)
    assert score.points_lost["listening"] == approx(25)
    assert score.failed == ("clean", "listening")


@pytest.mark.parametrize("kind", ["seconds", "minutes", "number"])
@pytest.mark.parametrize(("value", "expected"), [
    (0, 100.0),     # first band (upto 30): 1.0
    (30, 100.0),    # exactly at upto 30: still the first band
    (30.5, 50.0),   # second band (upto 60): 0.5
    (60, 50.0),     # exactly at upto 60
    (61, 0.0),      # last band, no upto: 0
])
def test_bands(kind: str, value: float, expected: float):
    cl = checklist(section("s", 1, item("timed", kind)))
    score = score_audit(cl, values(timed=value))
    assert score.overall == approx(expected)
    assert score.points_lost["timed"] == approx(100 - expected)


def test_choice():
    cl = checklist(section("s", 1, item("quote", "choice"), item("other")))
    # r = 0.4 (partial) and 1: S = 100·1.4/2 = 70; L_quote = 100·0.5·0.6 = 30
    score = score_audit(cl, values(quote="partial", other="yes"))
    assert score.overall == approx(70)
    assert score.points_lost["quote"] == approx(30)


def test_na_is_removed_from_both_sides():
    cl = checklist(section("s", 1, item("a"), item("b"), item("c", weight=2, na_allowed=True)))
    score = score_audit(cl, values(a="yes", b="no", c="NA"))
    # c drops out: S = 100·(1·1 + 1·0)/(1+1) = 50 (not 100·1/4 = 25)
    assert score.overall == approx(50)
    assert score.excluded == ("c",)
    assert "c" not in score.ratios and "c" not in score.global_weights
    assert score.points_lost["c"] == 0.0
    # g_b = 1/2: L_b = 50
    assert score.points_lost["b"] == approx(50)


@pytest.mark.parametrize("answer", [None, {}, {"comment": "forgot"}, {"value": None}, {"attachments": ["x"]}])
def test_unanswered_is_excluded(answer: dict[str, Any] | None):
    cl = checklist(section("s", 1, item("a"), item("b")))
    answers: dict[str, Any] = values(a="no")
    if answer is not None:
        answers["b"] = answer
    score = score_audit(cl, answers)
    # only a counts: S = 0
    assert score.overall == 0.0
    assert score.excluded == ("b",)


def test_show_if_equals():
    cl = checklist(section("negotiation", 1,
                           item("has_trade_in", weight=0),
                           item("appraisal_offered", show_if={"item": "has_trade_in", "equals": "yes"}),
                           item("quote")))
    hidden = score_audit(cl, values(has_trade_in="no", appraisal_offered="no", quote="yes"))
    # appraisal hidden (its stale 'no' ignored), controller weight 0: S = 100·1/1
    assert hidden.overall == approx(100)
    assert hidden.excluded == ("has_trade_in", "appraisal_offered")
    shown = score_audit(cl, values(has_trade_in="yes", appraisal_offered="no", quote="yes"))
    # S = 100·(0 + 1)/2 = 50
    assert shown.overall == approx(50)
    assert shown.failed == ("appraisal_offered",)


def test_show_if_in_on_a_choice():
    cl = checklist(section("negotiation", 1,
                           item("payment", "choice", weight=0, options=[
                               {"key": "cash", "text": T, "score": 1}, {"key": "finance", "text": T, "score": 1},
                               {"key": "lease", "text": T, "score": 1}]),
                           item("rate_explained", show_if={"item": "payment", "in": ["finance", "lease"]}),
                           item("quote")))
    # lease: rate_explained visible and failed: S = 100·(0 + 1)/2 = 50
    assert score_audit(cl, values(payment="lease", rate_explained="no", quote="yes")).overall == approx(50)
    # cash: hidden: S = 100·1/1
    assert score_audit(cl, values(payment="cash", rate_explained="no", quote="yes")).overall == approx(100)


def test_show_if_chain_hides_behind_a_hidden_controller():
    cl = checklist(section("test_drive", 1,
                           item("asked_drive", weight=0),
                           item("car_available", show_if={"item": "asked_drive", "equals": "yes"}),
                           item("alternative_offered", show_if={"item": "car_available", "equals": "no"}),
                           item("greeted")))
    answers = values(asked_drive="no", car_available="no", alternative_offered="no", greeted="yes")
    score = score_audit(cl, answers)
    # car_available hidden, so alternative_offered is hidden too although the stale 'no' matches: S = 100
    assert score.overall == approx(100)
    assert score.excluded == ("asked_drive", "car_available", "alternative_offered")
    answers["asked_drive"] = {"value": "yes"}
    # both visible and failed: S = 100·(0 + 0 + 1)/3
    assert score_audit(cl, answers).overall == approx(100 / 3)


def test_controller_answered_na_hides_its_dependants():
    cl = checklist(section("s", 1,
                           item("trade_in", weight=0, na_allowed=True),
                           item("appraised", show_if={"item": "trade_in", "equals": "yes"}),
                           item("other")))
    score = score_audit(cl, values(trade_in="NA", appraised="no", other="yes"))
    assert score.overall == approx(100)
    assert "appraised" in score.excluded


def test_empty_section_is_null_and_drops_out():
    cl = checklist(section("delivery", 3, item("on_date", na_allowed=True), item("docs", na_allowed=True)),
                   section("greeting", 1, item("a"), item("b")))
    score = score_audit(cl, values(on_date="NA", docs="NA", a="yes", b="no"))
    # greeting S = 50; delivery not scored, so O = 1·50/1 = 50 (counting it as 0 would give 12.5)
    assert score.sections == {"delivery": None, "greeting": approx(50)}
    assert score.sections_raw == {"delivery": None, "greeting": approx(50)}
    assert score.overall == approx(50) and score.overall_raw == approx(50)
    # g uses only the scored section: g_a = g_b = (1/1)·(1/2)
    assert score.global_weights == {"a": 0.5, "b": 0.5}


def test_section_knockout():
    cl = checklist(section("negotiation", 2, item("written_quote", critical="section"), item("fees_listed")),
                   section("greeting", 2, item("greeted")))
    score = score_audit(cl, values(written_quote="no", fees_listed="yes", greeted="yes"))
    # raw: negotiation 100·1/2 = 50, greeting 100; O_raw = (2·50 + 2·100)/4 = 75
    assert score.sections_raw == {"negotiation": approx(50), "greeting": approx(100)}
    assert score.overall_raw == approx(75)
    # reported: negotiation knocked out to 0; O = (2·0 + 2·100)/4 = 50
    assert score.sections == {"negotiation": 0.0, "greeting": approx(100)}
    assert score.overall == approx(50)
    assert [k.to_dict() for k in score.knockouts] == [
        {"item": "written_quote", "scope": "section", "section": "negotiation"}]
    # L from the raw structure: g = (2/4)·(1/2) = 0.25, L = 25 = 100 − 75
    assert score.points_lost["written_quote"] == approx(25)
    assert score.failed == ("written_quote",)
    # K: w_negotiation = 2/4, S_raw = 50: K = 0.5·50 = 25; O + ΣL + ΣK = 50 + 25 + 25 = 100
    assert dict(score.knockout_cost) == {"written_quote": approx(25)}


def test_audit_knockout():
    cl = checklist(section("negotiation", 2, item("no_hidden_fees", critical="audit"), item("fees_listed")),
                   section("greeting", 2, item("greeted")))
    score = score_audit(cl, values(no_hidden_fees="no", fees_listed="yes", greeted="yes"))
    # O_raw = (2·50 + 2·100)/4 = 75; O = 0; sections keep their scores
    assert score.overall_raw == approx(75)
    assert score.overall == 0.0
    assert score.sections == {"negotiation": approx(50), "greeting": approx(100)}
    assert [k.to_dict() for k in score.knockouts] == [
        {"item": "no_hidden_fees", "scope": "audit", "section": "negotiation"}]
    # no section knock-out, so the audit knock-out costs all of O_raw: K = 75
    # L_no_hidden_fees = 100·(2/4)·(1/2) = 25; O + ΣL + ΣK = 0 + 25 + 75 = 100
    assert dict(score.knockout_cost) == {"no_hidden_fees": approx(75)}
    assert dict(score.points_lost) == {"no_hidden_fees": approx(25), "fees_listed": 0.0, "greeted": 0.0}


def test_two_failed_knockouts_in_one_section_share_its_cost():
    cl = checklist(section("negotiation", 3, item("written_quote", weight=2, critical="section"),
                           item("fees_listed", critical="section"), item("price_explained")),
                   section("greeting", 1, item("greeted"), item("drink")))
    score = score_audit(cl, values(written_quote="no", fees_listed="no", price_explained="yes",
                                   greeted="yes", drink="no"))
    # S_raw: negotiation 100·1/4 = 25, greeting 100·1/2 = 50; w = 3/4 and 1/4
    # O_raw = 0.75·25 + 0.25·50 = 31.25; negotiation knocked out: O = 0.25·50 = 12.5
    assert score.overall_raw == approx(31.25) and score.overall == approx(12.5)
    # the section's cost w·S_raw = 0.75·25 = 18.75 is shared by its two failed knock-outs: 9.375 each
    assert dict(score.knockout_cost) == {"written_quote": approx(9.375), "fees_listed": approx(9.375)}
    # L: g = 0.75·2/4, 0.75·1/4, 0.75·1/4, 0.25·1/2, 0.25·1/2 → 37.5, 18.75, 0, 0, 12.5 (Σ 68.75)
    assert dict(score.points_lost) == {"written_quote": approx(37.5), "fees_listed": approx(18.75),
                                       "price_explained": 0.0, "greeted": 0.0, "drink": approx(12.5)}
    # O + ΣL + ΣK = 12.5 + 68.75 + 18.75 = 100


def test_a_section_and_an_audit_knockout_together():
    cl = checklist(section("negotiation", 2, item("written_quote", critical="section"), item("fees")),
                   section("finance", 1, item("no_hidden_fees", critical="audit"), item("rate_explained", weight=3)),
                   section("greeting", 1, item("greeted")))
    score = score_audit(cl, values(written_quote="no", fees="yes", no_hidden_fees="no", rate_explained="yes",
                                   greeted="yes"))
    # S_raw = 50, 75, 100 with w = 2/4, 1/4, 1/4: O_raw = 25 + 18.75 + 25 = 68.75
    assert score.overall_raw == approx(68.75) and score.overall == 0.0
    # section knock-out: 0.5·50 = 25; the overall left after it is 18.75 + 25 = 43.75, the audit knock-out's cost
    assert dict(score.knockout_cost) == {"written_quote": approx(25), "no_hidden_fees": approx(43.75)}
    # L: written_quote 100·(1/2·1/2) = 25, no_hidden_fees 100·(1/4·1/4) = 6.25 (Σ 31.25)
    # O + ΣL + ΣK = 0 + 31.25 + 25 + 43.75 = 100
    assert score.points_lost["written_quote"] == approx(25)
    assert score.points_lost["no_hidden_fees"] == approx(6.25)


def test_two_failed_audit_knockouts_share_the_overall():
    cl = checklist(section("a", 1, item("forced_bundle", critical="audit"), item("x")),
                   section("b", 3, item("hidden_fee", critical="audit"), item("y", weight=3)))
    score = score_audit(cl, values(forced_bundle="no", x="yes", hidden_fee="no", y="yes"))
    # S_raw = 50, 75 with w = 1/4, 3/4: O_raw = 12.5 + 56.25 = 68.75, shared: 34.375 each
    assert score.overall == 0.0 and score.overall_raw == approx(68.75)
    assert dict(score.knockout_cost) == {"forced_bundle": approx(34.375), "hidden_fee": approx(34.375)}


def test_a_knocked_out_section_that_is_the_only_one_scored():
    cl = checklist(section("negotiation", 2, item("written_quote", critical="section"), item("fees"),
                           item("no_hidden_fees", critical="audit")),
                   section("delivery", 3, item("on_date", na_allowed=True)))
    score = score_audit(cl, values(written_quote="no", fees="yes", no_hidden_fees="yes", on_date="NA"))
    # delivery is not scored, so w_negotiation = 1 and K = S_raw = 100·2/3
    assert score.overall == 0.0 and score.overall_raw == approx(200 / 3)
    assert dict(score.knockout_cost) == {"written_quote": approx(200 / 3)}
    # with the audit knock-out failing too, S_raw = 100/3 all goes to the section knock-out and nothing is
    # left for the audit knock-out: it is listed at 0 (failed, but the overall was already 0)
    score = score_audit(cl, values(written_quote="no", fees="yes", no_hidden_fees="no", on_date="NA"))
    assert dict(score.knockout_cost) == {"written_quote": approx(100 / 3), "no_hidden_fees": 0.0}
    # L = 100/3 each for the two failed items: O + ΣL + ΣK = 0 + 200/3 + 100/3 = 100
    assert score.points_lost["written_quote"] == approx(100 / 3)
    assert score.points_lost["no_hidden_fees"] == approx(100 / 3)


def test_knockout_only_when_critical_item_counts_and_fails():
    cl = checklist(section("s", 1, item("ko_pass", critical="audit"),
                           item("ko_na", critical="audit", na_allowed=True),
                           item("ko_scale", "scale", critical="section")))
    score = score_audit(cl, values(ko_pass="yes", ko_na="NA", ko_scale=5))
    assert score.knockouts == ()
    # a scale at 4 of 5 is r = 0.75 < 1: a failed knock-out
    score = score_audit(cl, values(ko_pass="yes", ko_na="NA", ko_scale=4))
    assert [k.item for k in score.knockouts] == ["ko_scale"]
    assert score.sections["s"] == 0.0
    # raw S = 100·(1 + 0.75)/2 = 87.5
    assert score.sections_raw["s"] == approx(87.5)


def test_weight_zero_and_unscored_items_are_excluded():
    cl = checklist(section("s", 1,
                           item("informational", weight=0),
                           item("note", "text", weight=0, dimension=None),
                           item("proof", "photo", weight=0, dimension=None),
                           item("a")))
    answers = values(informational="no", note="friendly", a="yes")
    answers["proof"] = {"attachments": ["abc"]}
    score = score_audit(cl, answers)
    assert score.overall == approx(100)
    assert score.excluded == ("informational", "note", "proof")
    assert score.failed == ()
    # points_lost covers every item of a scored type, weight 0 included, and no text/photo item
    assert dict(score.points_lost) == {"informational": 0.0, "a": 0.0}
    assert dict(score.global_weights) == {"a": 1.0}


def test_override_turns_a_fail_into_a_pass():
    cl = checklist(section("negotiation", 1, item("written_quote", critical="section"), item("fees")),
                   section("greeting", 1, item("greeted")))
    answers = values(written_quote="no", fees="yes", greeted="yes")
    assert score_audit(cl, answers).overall == approx(50)  # (0 + 100)/2
    revised = score_audit(cl, answers, {"written_quote": {"value": "yes", "comment": "upheld: CRM log"}})
    assert revised.knockouts == ()
    assert revised.overall == approx(100)
    assert answers["written_quote"] == {"value": "no"}  # the shopper's answer is not touched


def test_override_to_not_applicable():
    cl = checklist(section("s", 1, item("on_date", weight=3), item("docs")))
    answers = values(on_date="no", docs="yes")
    # before: S = 100·(0 + 1)/4 = 25; after: on_date excluded, S = 100·1/1 = 100
    assert score_audit(cl, answers).overall == approx(25)
    revised = score_audit(cl, answers, {"on_date": {"na": True}})
    assert revised.overall == approx(100)
    assert revised.excluded == ("on_date",)
    assert revised.points_lost["on_date"] == 0.0


def test_override_of_a_controller_unhides_items():
    cl = checklist(section("test_drive", 1,
                           item("car_available", weight=0),
                           item("route_explained", show_if={"item": "car_available", "equals": "yes"}),
                           item("fuel_checked", show_if={"item": "car_available", "equals": "yes"}),
                           item("greeted")))
    answers = values(car_available="no", route_explained="no", greeted="yes")
    assert score_audit(cl, answers).overall == approx(100)
    revised = score_audit(cl, answers, {"car_available": {"value": "yes"}})
    # route_explained now counts (r = 0); fuel_checked has no answer and stays out: S = 100·1/2
    assert revised.overall == approx(50)
    assert revised.excluded == ("car_available", "fuel_checked")


def test_override_replaces_the_whole_answer():
    cl = checklist(section("s", 1, item("a", na_allowed=True), item("b")))
    # the answer was N/A; an override with a value replaces it (no left-over 'na')
    score = score_audit(cl, {"a": {"na": True}, "b": {"value": "yes"}}, {"a": {"value": "no"}})
    assert score.overall == approx(50)


def test_dimensions():
    cl = checklist(section("greeting", 1, item("greeted", dimension="reliability"),
                           item("drinks", weight=3, dimension="empathy")),
                   section("presentation", 3, item("clean", "scale", dimension="reliability"),
                           item("uniform", dimension="tangibles", na_allowed=True)))
    score = score_audit(cl, values(greeted="yes", drinks="no", clean=3, uniform="NA"))
    # g_greeted = (1/4)·(1/4) = 1/16, g_drinks = (1/4)·(3/4) = 3/16, g_clean = (3/4)·(1/1) = 3/4
    assert score.global_weights == {"greeted": approx(1 / 16), "drinks": approx(3 / 16), "clean": approx(3 / 4)}
    # reliability: 100·(1/16·1 + 3/4·0.5)/(1/16 + 3/4) = 100·(7/16)/(13/16) = 700/13
    # empathy: 0; tangibles has no counted item and is absent; order follows DESIGN 2
    assert list(score.dimensions) == ["reliability", "empathy"]
    assert score.dimensions["reliability"] == approx(700 / 13)
    assert score.dimensions["empathy"] == 0.0
    # O_raw: greeting 25, presentation 50: (1·25 + 3·50)/4 = 43.75 = 100·Σg·r = 100·7/16
    assert score.overall == approx(43.75)


def test_nothing_scored():
    cl = checklist(section("a", 1, item("x", na_allowed=True)), section("b", 1, item("y", na_allowed=True)))
    score = score_audit(cl, values(x="NA", y="NA"))
    assert score.overall is None and score.overall_raw is None
    assert score.sections == {"a": None, "b": None}
    assert score.dimensions == {} and score.ratios == {} and score.global_weights == {}
    assert dict(score.points_lost) == {"x": 0.0, "y": 0.0}
    assert score.excluded == ("x", "y") and score.failed == () and score.knockouts == ()
    assert score.knockout_cost == {}


def test_to_dict_shape_and_round_trip():
    cl = checklist(section("negotiation", 2, item("written_quote", critical="section"), item("fees")),
                   section("delivery", 1, item("on_date", na_allowed=True)),
                   section("greeting", 1, item("note", "text", weight=0, dimension=None)))
    score = score_audit(cl, {**values(written_quote="no", fees="yes", on_date="NA"),
                             "note": {"value": "ok"}})
    data = score.to_dict()
    assert list(data) == ["overall", "overall_raw", "sections", "sections_raw", "dimensions", "knockouts",
                          "points_lost", "knockout_cost", "failed", "excluded", "ratios", "global_weights"]
    assert list(data["sections"]) == ["negotiation", "delivery", "greeting"]
    assert data["sections"] == {"negotiation": 0.0, "delivery": None, "greeting": None}
    assert data["knockouts"] == [{"item": "written_quote", "scope": "section", "section": "negotiation"}]
    assert data["failed"] == ["written_quote"]
    # only negotiation is scored (S_raw = 50), so its knock-out costs all of it
    assert data["knockout_cost"] == {"written_quote": 50.0}
    assert data["excluded"] == ["on_date", "note"]
    stored = json.loads(json.dumps(data))
    assert stored == data
    again = AuditScore.from_dict(stored)
    assert again == score
    assert again.to_dict() == data


def test_a_score_stored_before_knockout_cost_is_read_with_its_checklist():
    cl = checklist(section("negotiation", 2, item("written_quote", critical="section"), item("fees")),
                   section("greeting", 2, item("greeted")))
    score = score_audit(cl, values(written_quote="no", fees="yes", greeted="yes"))
    old = {k: v for k, v in json.loads(json.dumps(score.to_dict())).items() if k != "knockout_cost"}
    # the same bits as a fresh computation: K is a function of the stored raw sections and knock-outs
    assert AuditScore.from_dict(old, cl) == score
    assert with_knockout_cost(cl, old) == score.to_dict()
    # without its checklist, reading it as if the knock-out had cost nothing would be a lie
    with pytest.raises(ValueError, match="predates knockout_cost"):
        AuditScore.from_dict(old)
    clean = score_audit(cl, values(written_quote="yes", fees="yes", greeted="yes")).to_dict()
    del clean["knockout_cost"]
    assert AuditScore.from_dict(clean).knockout_cost == {}


def test_score_is_read_only():
    cl = checklist(section("s", 1, item("a")))
    score = score_audit(cl, values(a="yes"))
    with pytest.raises(TypeError):
        score.sections["s"] = 0.0  # type: ignore[index]


@pytest.mark.parametrize(("kind", "value"), [("choice", "unknown"), ("yes_no", "maybe"), ("scale", 6),
                                            ("scale", "4"), ("seconds", True)])
def test_invalid_value_is_refused_not_scored(kind: str, value: Any):
    cl = checklist(section("s", 1, item("a", kind)))
    with pytest.raises(InvalidAnswer, match="a:"):
        score_audit(cl, values(a=value))
