"""The score of one audit (DESIGN 4): a pure function of (checklist version, answers, overrides).

Every sum is a `math.fsum` taken in checklist order, so a recomputation gives the same bits.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import fsum
from types import MappingProxyType
from typing import Any

from auditapp.checklists.answers import Answers, InvalidAnswer, visible_values
from auditapp.checklists.model import DIMENSIONS, SCORED_TYPES, Checklist, Item

# Scoring reads answers through checklists.answers, which the API's validation uses too: one reading
# of an answer's shape and one show_if rule, so what is refused and what is scored cannot drift apart.
__all__ = ["AuditScore", "InvalidAnswer", "Knockout", "effective_answers", "knockout_costs", "score_audit",
           "visible_values", "with_knockout_cost"]


@dataclass(frozen=True)
class Knockout:
    item: str
    scope: str
    section: str

    def to_dict(self) -> dict[str, str]:
        return {"item": self.item, "scope": self.scope, "section": self.section}


_MAPPINGS = ("sections", "sections_raw", "dimensions", "points_lost", "knockout_cost", "ratios", "global_weights")


@dataclass(frozen=True)
class AuditScore:
    """An audit's score. `overall`/`overall_raw` are None when no section is scored.

    `knockout_cost` holds K_i of each failed knock-out item (DESIGN 4), so that
    overall + Σ points_lost + Σ knockout_cost = 100 and overall_raw + Σ points_lost = 100. When nothing
    is scored no item counts, so none fails: knockout_cost is empty and neither sum applies.
    """

    overall: float | None
    overall_raw: float | None
    sections: Mapping[str, float | None]
    sections_raw: Mapping[str, float | None]
    dimensions: Mapping[str, float]
    knockouts: tuple[Knockout, ...]
    points_lost: Mapping[str, float]
    knockout_cost: Mapping[str, float]
    failed: tuple[str, ...]
    excluded: tuple[str, ...]
    ratios: Mapping[str, float]
    global_weights: Mapping[str, float]

    def __post_init__(self) -> None:
        for name in _MAPPINGS:
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "knockouts", tuple(self.knockouts))
        object.__setattr__(self, "failed", tuple(self.failed))
        object.__setattr__(self, "excluded", tuple(self.excluded))

    def to_dict(self) -> dict[str, Any]:
        """The stored/served JSON shape of DESIGN 4, at full precision."""
        return {
            "overall": self.overall,
            "overall_raw": self.overall_raw,
            "sections": dict(self.sections),
            "sections_raw": dict(self.sections_raw),
            "dimensions": dict(self.dimensions),
            "knockouts": [k.to_dict() for k in self.knockouts],
            "points_lost": dict(self.points_lost),
            "knockout_cost": dict(self.knockout_cost),
            "failed": list(self.failed),
            "excluded": list(self.excluded),
            "ratios": dict(self.ratios),
            "global_weights": dict(self.global_weights),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], checklist: Checklist | None = None) -> AuditScore:
        """Read a stored score. One stored before knockout_cost existed gets it from its checklist
        (`with_knockout_cost`); without the checklist such a score with knock-outs is refused rather than
        read as if its knock-outs had cost nothing."""
        knockouts = tuple(Knockout(item=k["item"], scope=k["scope"], section=k["section"])
                          for k in data["knockouts"])
        if "knockout_cost" in data:
            knockout_cost = data["knockout_cost"]
        elif not knockouts:
            knockout_cost = {}
        elif checklist is not None:
            knockout_cost = knockout_costs(checklist, data["sections_raw"], knockouts)
        else:
            raise ValueError("this stored score predates knockout_cost and has knock-outs: "
                             "read it with its checklist")
        return cls(
            overall=data["overall"],
            overall_raw=data["overall_raw"],
            sections=data["sections"],
            sections_raw=data["sections_raw"],
            dimensions=data["dimensions"],
            knockouts=knockouts,
            points_lost=data["points_lost"],
            knockout_cost=knockout_cost,
            failed=tuple(data["failed"]),
            excluded=tuple(data["excluded"]),
            ratios=data["ratios"],
            global_weights=data["global_weights"],
        )


def effective_answers(answers: Answers, overrides: Answers | None = None) -> dict[str, Any]:
    """Answers with each overridden item's answer replaced as a whole."""
    merged = dict(answers)
    merged.update(overrides or {})
    return merged


def score_audit(checklist: Checklist, answers: Answers, overrides: Answers | None = None) -> AuditScore:
    """Score answers (plus dispute overrides, which replace whole answers first) by DESIGN 4.

    An item counts when it is of a scored type with weight > 0, visible and answered with a value;
    every other item is listed in `excluded`. When nothing counts (e.g. all N/A), `overall` and
    `overall_raw` are None, every section is None, `dimensions` is empty and all points lost are 0.
    Raises InvalidAnswer for an answer that is not an object or a value with no ratio.
    """
    values = visible_values(checklist, effective_answers(answers, overrides))
    ratios = {item.key: _ratio(item, values[item.key])
              for item in checklist.items.values() if item.scored and item.key in values}

    # Shares are fractions in [0, 1] and 100 multiplies the finished quotient: (100·a)/b could round above 100.
    shares_raw: dict[str, float | None] = {}
    for section in checklist.sections:
        counted = [item for item in section.items if item.key in ratios]
        shares_raw[section.key] = (fsum(i.weight * ratios[i.key] for i in counted) / fsum(i.weight for i in counted)
                                   if counted else None)
    scored_sections = [s for s in checklist.sections if shares_raw[s.key] is not None]
    total_weight = fsum(s.weight for s in scored_sections)

    global_weights: dict[str, float] = {}
    for section in scored_sections:
        counted = [item for item in section.items if item.key in ratios]
        item_total = fsum(i.weight for i in counted)
        for item in counted:
            global_weights[item.key] = (section.weight / total_weight) * (item.weight / item_total)

    knockouts = tuple(Knockout(item=item.key, scope=item.critical, section=item.section)
                      for item in checklist.items.values()
                      if item.critical != "none" and item.key in ratios and ratios[item.key] < 1)
    knocked_sections = {k.section for k in knockouts if k.scope == "section"}
    shares = {key: (0.0 if key in knocked_sections else share) for key, share in shares_raw.items()}

    def overall(section_shares: Mapping[str, float | None]) -> float | None:
        if not scored_sections:
            return None
        # mypy cannot see that the scored sections are those whose share is a number.
        return 100 * (fsum(s.weight * section_shares[s.key] for s in scored_sections) / total_weight)  # type: ignore[operator]

    overall_raw = overall(shares_raw)
    reported = overall(shares)
    if reported is not None and any(k.scope == "audit" for k in knockouts):
        reported = 0.0

    sections_raw = {key: _percent(share) for key, share in shares_raw.items()}
    return AuditScore(
        overall=reported,
        overall_raw=overall_raw,
        sections={key: _percent(share) for key, share in shares.items()},
        sections_raw=sections_raw,
        dimensions=_dimensions(checklist, ratios, global_weights),
        knockouts=knockouts,
        points_lost={item.key: (100 * global_weights[item.key] * (1 - ratios[item.key]) if item.key in ratios else 0.0)
                     for item in checklist.items.values() if item.type in SCORED_TYPES},
        knockout_cost=knockout_costs(checklist, sections_raw, knockouts),
        failed=tuple(key for key, r in ratios.items() if r < 1),
        excluded=tuple(key for key in checklist.items if key not in ratios),
        ratios=ratios,
        global_weights=global_weights,
    )


def knockout_costs(checklist: Checklist, sections_raw: Mapping[str, float | None],
                   knockouts: Sequence[Knockout]) -> dict[str, float]:
    """K_i of DESIGN 4 for each failed knock-out item, in the order of `knockouts`.

    With w_s = W_s / Σ W of the scored sections, a section knock-out in s costs w_s · S_raw_s, shared
    equally by the failed section-scope items of s; an audit knock-out costs the overall left after the
    section knock-outs, shared equally by the failed audit-scope items (0 when section knock-outs left
    nothing). It needs only what a stored score carries (raw section scores in percent, the knock-out
    list) and the checklist's section weights, so a score stored before knockout_cost existed gets
    the very same numbers when it is read.
    """
    if not knockouts:
        return {}
    scored = [s for s in checklist.sections if sections_raw.get(s.key) is not None]
    total = fsum(s.weight for s in scored)
    # mypy cannot see that `scored` keeps the sections whose raw score is a number.
    share = {s.key: (s.weight / total) * sections_raw[s.key] for s in scored}  # type: ignore[operator]
    by_section: dict[str, list[str]] = {}
    for knockout in knockouts:
        if knockout.scope == "section":
            by_section.setdefault(knockout.section, []).append(knockout.item)
    left = fsum(share[s.key] for s in scored if s.key not in by_section)
    audit_items = [k.item for k in knockouts if k.scope == "audit"]
    return {k.item: (share[k.section] / len(by_section[k.section]) if k.scope == "section"
                     else left / len(audit_items))
            for k in knockouts}


def with_knockout_cost(checklist: Checklist, data: Mapping[str, Any]) -> dict[str, Any]:
    """A stored score dict with `knockout_cost`, computed from its checklist when it was stored before the
    key existed. Stored score versions are append-only history, so they are completed when read, not rewritten."""
    if "knockout_cost" in data:
        return dict(data)
    return AuditScore.from_dict(data, checklist).to_dict()


def _dimensions(checklist: Checklist, ratios: Mapping[str, float],
                global_weights: Mapping[str, float]) -> dict[str, float]:
    groups: dict[str, list[str]] = {}
    for item in checklist.items.values():
        if item.key in ratios and item.dimension is not None:
            groups.setdefault(item.dimension, []).append(item.key)
    order = sorted(groups, key=lambda d: (DIMENSIONS.index(d) if d in DIMENSIONS else len(DIMENSIONS), d))
    return {d: 100 * (fsum(global_weights[k] * ratios[k] for k in groups[d])
                      / fsum(global_weights[k] for k in groups[d]))
            for d in order}


def _percent(share: float | None) -> float | None:
    return None if share is None else 100 * share


def _ratio(item: Item, value: Any) -> float:
    if item.type == "yes_no" and value not in ("yes", "no"):
        raise InvalidAnswer(item.key, f"{value!r} is not 'yes' or 'no'")
    if item.type not in ("yes_no", "choice") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise InvalidAnswer(item.key, f"{value!r} is not a number")
    try:
        ratio = float(item.ratio(value))
    except (KeyError, TypeError) as exc:
        raise InvalidAnswer(item.key, f"{value!r} is not an answer of this {item.type} item") from exc
    if not 0.0 <= ratio <= 1.0:
        raise InvalidAnswer(item.key, f"{value!r} is out of range")
    return ratio
