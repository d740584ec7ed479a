"""Properties of `score_audit` over random valid checklists and answers."""
from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from auditapp.checklists import checklist_from_document
from auditapp.checklists.model import DIMENSIONS, SCORED_TYPES, Checklist
from auditapp.scoring import AuditScore, ItemGap, item_gaps, scope_gaps_from_dealers, score_audit, with_knockout_cost

T = {"zh": "文", "en": "text"}
TYPES = ("yes_no", "scale", "seconds", "minutes", "number", "choice", "text", "photo")
weights = st.one_of(st.sampled_from([0.5, 1, 2, 3]), st.floats(0.01, 100, allow_nan=False))
ratios = st.one_of(st.sampled_from([0, 0.25, 0.5, 1]), st.floats(0, 1))


@st.composite
def bands(draw: st.DrawFn) -> list[dict[str, Any]]:
    limits = sorted(draw(st.sets(st.integers(1, 600), min_size=0, max_size=3)))
    return [{"upto": u, "score": draw(ratios)} for u in limits] + [{"score": draw(ratios)}]


@st.composite
def options(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(2, 4))
    scores = [draw(ratios) for _ in range(count)]
    scores[draw(st.integers(0, count - 1))] = 1  # the schema wants one option at 1
    return [{"key": f"o{n}", "text": T, "score": s} for n, s in enumerate(scores)]


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    controllers: list[dict[str, Any]] = []
    sections = []
    counter = 0
    for s in range(draw(st.integers(1, 4))):
        items = []
        for _ in range(draw(st.integers(1, 5))):
            kind = draw(st.sampled_from(TYPES))
            item: dict[str, Any] = {"key": f"i{counter}", "text": T, "type": kind}
            counter += 1
            if kind in SCORED_TYPES:
                item["weight"] = draw(st.one_of(st.just(0), weights))
                item["dimension"] = draw(st.sampled_from(DIMENSIONS))
                if item["weight"] > 0:
                    item["critical"] = draw(st.sampled_from(["none", "none", "section", "audit"]))
                item["na_allowed"] = draw(st.booleans())
            else:
                item["weight"] = 0
            if kind == "scale":
                item["max"] = draw(st.integers(2, 10))
            elif kind in ("seconds", "minutes", "number"):
                item["bands"] = draw(bands())
            elif kind == "choice":
                item["options"] = draw(options())
            elif kind == "yes_no":
                item["pass"] = draw(st.sampled_from(["yes", "no"]))
            if controllers and draw(st.booleans()):
                controller = draw(st.sampled_from(controllers))
                answers = _answers_of(controller)
                if draw(st.booleans()):
                    item["show_if"] = {"item": controller["key"], "equals": draw(st.sampled_from(answers))}
                else:
                    chosen = draw(st.lists(st.sampled_from(answers), min_size=1, unique=True))
                    item["show_if"] = {"item": controller["key"], "in": chosen}
            if kind in ("yes_no", "choice"):
                controllers.append(item)
            items.append(item)
        sections.append({"key": f"s{s}", "title": T, "weight": draw(weights), "items": items})
    return {"key": "random", "version": 1, "title": T, "sections": sections}


def _answers_of(item: dict[str, Any]) -> list[str]:
    return ["yes", "no"] if item["type"] == "yes_no" else [o["key"] for o in item["options"]]


@st.composite
def answer_for(draw: st.DrawFn, item: Any) -> dict[str, Any] | None:
    if item.na_allowed and draw(st.integers(0, 4)) == 0:
        return {"na": True}
    if draw(st.integers(0, 9)) == 0:
        return None
    if item.type == "yes_no":
        return {"value": draw(st.sampled_from(["yes", "no"]))}
    if item.type == "scale":
        return {"value": draw(st.integers(1, item.max))}
    if item.type in ("seconds", "minutes", "number"):
        return {"value": draw(st.one_of(st.integers(0, 700), st.floats(0, 700), st.sampled_from(
            [b.upto for b in item.bands if b.upto is not None] or [0])))}
    if item.type == "choice":
        return {"value": draw(st.sampled_from([o.key for o in item.options]))}
    if item.type == "text":
        return {"value": "seen", "comment": "c"}
    return {"attachments": ["0" * 64]}


@st.composite
def audits(draw: st.DrawFn) -> tuple[Checklist, dict[str, Any], dict[str, Any]]:
    checklist = checklist_from_document(draw(documents()))
    answers = {}
    overrides = {}
    for item in checklist.items.values():
        answer = draw(answer_for(item))
        if answer is not None:
            answers[item.key] = answer
        if draw(st.integers(0, 5)) == 0:
            override = draw(answer_for(item))
            if override is not None:
                overrides[item.key] = override
    return checklist, answers, overrides


@st.composite
def knocked_out_audits(draw: st.DrawFn) -> tuple[Checklist, dict[str, Any], dict[str, Any]]:
    """Random audits with at least one failed knock-out, often of both scopes and several in one section.

    Failing yes_no knock-outs are added to random sections (no show_if, no override), so they always count."""
    document = draw(documents())
    sections = document["sections"]
    added: list[str] = []
    for n, scope in enumerate(draw(st.lists(st.sampled_from(["section", "audit"]), min_size=1, max_size=4))):
        section = draw(st.sampled_from(sections))
        section["items"].append({"key": f"ko{n}", "text": T, "type": "yes_no", "weight": draw(weights),
                                 "dimension": "assurance", "critical": scope})
        added.append(f"ko{n}")
    checklist = checklist_from_document(document)
    answers, overrides = {}, {}
    for item in checklist.items.values():
        if item.key in added:
            answers[item.key] = {"value": "no"}
            continue
        answer = draw(answer_for(item))
        if answer is not None:
            answers[item.key] = answer
        if draw(st.integers(0, 5)) == 0:
            override = draw(answer_for(item))
            if override is not None:
                overrides[item.key] = override
    return checklist, answers, overrides


def assert_points_and_knockout_costs_explain_the_scores(score: AuditScore) -> None:
    if score.overall is None:
        assert score.knockout_cost == {} and score.knockouts == ()
        return
    lost = math.fsum(score.points_lost.values())
    cost = math.fsum(score.knockout_cost.values())
    assert math.isclose(score.overall_raw + lost, 100, abs_tol=1e-9)
    assert math.isclose(score.overall + lost + cost, 100, abs_tol=1e-9)
    # only failed knock-out items carry a cost, each at least 0; together they are what knock-outs took
    assert list(score.knockout_cost) == [k.item for k in score.knockouts]
    assert all(0.0 <= k <= 100.0 for k in score.knockout_cost.values())
    assert math.isclose(cost, score.overall_raw - score.overall, abs_tol=1e-9)


@given(audits())
@settings(max_examples=200, deadline=None)
def test_knockout_costs_explain_the_reported_score(audit):
    assert_points_and_knockout_costs_explain_the_scores(score_audit(*audit))


@given(knocked_out_audits())
@settings(max_examples=300, deadline=None)
def test_knockout_costs_explain_the_reported_score_with_knockouts_of_both_scopes(audit):
    checklist, answers, overrides = audit
    score = score_audit(checklist, answers, overrides)
    assert score.knockouts
    assert_points_and_knockout_costs_explain_the_scores(score)
    scopes = {k.scope for k in score.knockouts}
    event(f"knock-out scopes: {' and '.join(sorted(scopes))}")
    sections = {s.key: s for s in checklist.sections}
    scored_weight = math.fsum(sections[key].weight for key, raw in score.sections_raw.items() if raw is not None)
    knocked = {k.section for k in score.knockouts if k.scope == "section"}
    # each knocked-out section's costs add up to w_s·S_raw_s
    for key in knocked:
        share = sections[key].weight / scored_weight * score.sections_raw[key]
        costs = [score.knockout_cost[k.item] for k in score.knockouts if k.scope == "section" and k.section == key]
        assert math.isclose(math.fsum(costs), share, abs_tol=1e-9)
        assert len(set(costs)) == 1
    if "audit" in scopes:
        assert score.overall == 0.0
    # a score stored before knockout_cost existed reads back with the very same numbers
    old = {k: v for k, v in json.loads(json.dumps(score.to_dict())).items() if k != "knockout_cost"}
    assert AuditScore.from_dict(old, checklist) == score
    assert with_knockout_cost(checklist, old) == json.loads(json.dumps(score.to_dict()))


@given(audits())
@settings(max_examples=200, deadline=None)
def test_points_lost_explain_the_raw_score(audit):
    checklist, answers, overrides = audit
    score = score_audit(checklist, answers, overrides)
    if score.overall_raw is not None:
        assert math.isclose(score.overall_raw + math.fsum(score.points_lost.values()), 100, abs_tol=1e-9)
        assert math.isclose(math.fsum(score.global_weights.values()), 1, abs_tol=1e-12)
        assert math.isclose(score.overall_raw,
                            100 * math.fsum(g * score.ratios[k] for k, g in score.global_weights.items()),
                            abs_tol=1e-9)
    else:
        assert score.overall is None
        assert all(v == 0.0 for v in score.points_lost.values())


@given(audits())
@settings(max_examples=200, deadline=None)
def test_scores_are_bounded_and_knockouts_only_lower(audit):
    checklist, answers, overrides = audit
    score = score_audit(checklist, answers, overrides)
    figures = [score.overall, score.overall_raw, *score.sections.values(), *score.sections_raw.values(),
               *score.dimensions.values()]
    assert all(0.0 <= f <= 100.0 for f in figures if f is not None)
    assert all(0.0 <= lost <= 100.0 for lost in score.points_lost.values())
    if score.overall is not None:
        assert score.overall <= score.overall_raw
    for key, reported in score.sections.items():
        raw = score.sections_raw[key]
        assert (reported is None) == (raw is None)
        if raw is not None:
            assert reported <= raw
    if not score.knockouts:
        assert score.overall == score.overall_raw


@given(audits())
@settings(max_examples=100, deadline=None)
def test_excluded_and_counted_items_partition_the_checklist(audit):
    checklist, answers, overrides = audit
    score = score_audit(checklist, answers, overrides)
    assert set(score.ratios).isdisjoint(score.excluded)
    assert list(checklist.items) == sorted([*score.ratios, *score.excluded], key=list(checklist.items).index)
    assert set(score.failed) == {k for k, r in score.ratios.items() if r < 1}
    assert set(score.global_weights) == set(score.ratios)
    assert {k for k, v in score.points_lost.items() if v > 0} <= set(score.failed)
    for section in checklist.sections:
        counted = [i.key for i in section.items if i.key in score.ratios]
        assert (score.sections_raw[section.key] is None) == (not counted)
    counted_dimensions = {checklist.items[k].dimension for k in score.ratios}
    assert set(score.dimensions) == counted_dimensions


@given(audits())
@settings(max_examples=100, deadline=None)
def test_deterministic_and_independent_of_answer_order(audit):
    checklist, answers, overrides = audit
    first = score_audit(checklist, answers, overrides)
    second = score_audit(checklist, dict(reversed(list(answers.items()))), dict(reversed(list(overrides.items()))))
    assert first.to_dict() == second.to_dict()
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    assert AuditScore.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    # overrides replace answers as a whole: the same as scoring the merged answers
    assert score_audit(checklist, {**answers, **overrides}).to_dict() == first.to_dict()


@given(st.data())
@settings(max_examples=50, deadline=None)
def test_all_not_applicable_scores_nothing(data):
    document = data.draw(documents())
    for section in document["sections"]:
        for item in section["items"]:
            if item["type"] in SCORED_TYPES:
                item["na_allowed"] = True
    checklist = checklist_from_document(document)
    score = score_audit(checklist, {key: {"na": True} for key in checklist.items})
    assert score.overall is None and score.overall_raw is None
    assert all(v is None for v in score.sections.values())
    assert score.dimensions == {} and score.ratios == {} and score.knockouts == ()
    assert all(v == 0.0 for v in score.points_lost.values())


# --- wave figures: the one-pass gaps are the per-key sums of their definition, to the last bit ---------

def _reference_item_gaps(scores: list[dict[str, Any]]) -> dict[str, ItemGap]:
    """Item gaps by their definition (DESIGN 4), key by key over the scored audits: the slow and plain way."""
    scored = [s for s in scores if s["overall_raw"] is not None]
    keys: dict[str, None] = {}
    for s in scored:
        keys.update(dict.fromkeys(s["points_lost"]))
        keys.update(dict.fromkeys(s["knockout_cost"]))
    n = len(scored)
    return {key: ItemGap(
        mean_points_lost=math.fsum(s["points_lost"].get(key, 0.0) for s in scored) / n,
        failed=sum(key in s["failed"] for s in scored), n=n,
        mean_knockout_cost=math.fsum(s["knockout_cost"].get(key, 0.0) for s in scored) / n,
        fully_met=sum(s["ratios"][key] >= 1 for s in scored if key in s["ratios"]),
        partly_met=sum(0 < s["ratios"][key] < 1 for s in scored if key in s["ratios"]),
        not_met=sum(s["ratios"][key] <= 0 for s in scored if key in s["ratios"])) for key in keys}


@st.composite
def dealers_of_one_checklist(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    document = draw(documents())
    checklist = checklist_from_document(document)
    dealers = []
    for _ in range(draw(st.integers(1, 4))):
        visits = []
        for _ in range(draw(st.integers(1, 4))):
            answers = {item.key: answer for item in checklist.items.values()
                       if (answer := draw(answer_for(item))) is not None}
            visits.append(json.loads(json.dumps(score_audit(checklist, answers, {}).to_dict())))
        dealers.append(visits)
    return dealers


@given(dealers_of_one_checklist())
@settings(max_examples=150, deadline=None)
def test_dealer_and_scope_gaps_are_their_definition_exactly(dealers):
    per_dealer = [item_gaps(visits) for visits in dealers]
    assert per_dealer == [_reference_item_gaps(visits) for visits in dealers]
    for gaps, visits in zip(per_dealer, dealers, strict=True):
        assert list(gaps) == list(_reference_item_gaps(visits))  # the same order of first appearance
    scope = scope_gaps_from_dealers(per_dealer)
    having = [g for g in per_dealer if g]
    for key, gap in scope.items():
        assert gap.mean_points_lost == math.fsum(g[key].mean_points_lost if key in g else 0.0 for g in having) \
            / len(having)
        assert gap.mean_knockout_cost == math.fsum(g[key].mean_knockout_cost if key in g else 0.0
                                                   for g in having) / len(having)
        assert gap.failed == sum(g[key].failed for g in having if key in g)
        assert gap.n == sum(next(iter(g.values())).n for g in having)
