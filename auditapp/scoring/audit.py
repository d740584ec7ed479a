"""The score of one audit (DESIGN 4): a pure function of (checklist version, answers, overrides).

Every sum is a `math.fsum` taken in checklist order, so a recomputation gives the same bits.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import fsum
from types import MappingProxyType
from typing import Any, Mapping

from auditapp.checklists.answers import Answers, InvalidAnswer, visible_values
from auditapp.checklists.model import DIMENSIONS, SCORED_TYPES, Checklist, Item

# Scoring reads answers through checklists.answers, which the API's validation uses too: one reading
# of an answer's shape and one show_if rule, so what is refused and what is scored cannot drift apart.
__all__ = ["AuditScore", "InvalidAnswer", "Knockout", "effective_answers", "score_audit", "visible_values"]


@dataclass(frozen=True)
class Knockout:
    item: str
    scope: str
    section: str

    def to_dict(self) -> dict[str, str]:
        return {"item": self.item, "scope": self.scope, "section": self.section}


_MAPPINGS = ("sections", "sections_raw", "dimensions", "points_lost", "ratios", "global_weights")


@dataclass(frozen=True)
class AuditScore:
    """An audit's score. `overall`/`overall_raw` are None when no section is scored."""

    overall: float | None
    overall_raw: float | None
    sections: Mapping[str, float | None]
    sections_raw: Mapping[str, float | None]
    dimensions: Mapping[str, float]
    knockouts: tuple[Knockout, ...]
    points_lost: Mapping[str, float]
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
            "failed": list(self.failed),
            "excluded": list(self.excluded),
            "ratios": dict(self.ratios),
            "global_weights": dict(self.global_weights),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditScore:
        return cls(
            overall=data["overall"],
            overall_raw=data["overall_raw"],
            sections=data["sections"],
            sections_raw=data["sections_raw"],
            dimensions=data["dimensions"],
            knockouts=tuple(Knockout(item=k["item"], scope=k["scope"], section=k["section"])
                            for k in data["knockouts"]),
            points_lost=data["points_lost"],
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
        return 100 * (fsum(s.weight * section_shares[s.key] for s in scored_sections) / total_weight)  # type: ignore[operator]

    overall_raw = overall(shares_raw)
    reported = overall(shares)
    if reported is not None and any(k.scope == "audit" for k in knockouts):
        reported = 0.0

    return AuditScore(
        overall=reported,
        overall_raw=overall_raw,
        sections={key: _percent(share) for key, share in shares.items()},
        sections_raw={key: _percent(share) for key, share in shares_raw.items()},
        dimensions=_dimensions(checklist, ratios, global_weights),
        knockouts=knockouts,
        points_lost={item.key: (100 * global_weights[item.key] * (1 - ratios[item.key]) if item.key in ratios else 0.0)
                     for item in checklist.items.values() if item.type in SCORED_TYPES},
        failed=tuple(key for key, r in ratios.items() if r < 1),
        excluded=tuple(key for key in checklist.items if key not in ratios),
        ratios=ratios,
        global_weights=global_weights,
    )


def _dimensions(checklist: Checklist, ratios: Mapping[str, float],
                global_weights: Mapping[str, float]) -> dict[str, float]:
    groups: dict[str, list[str]] = {}
    for item in checklist.items.values():
        if item.key in ratios and item.dimension is not None:
            groups.setdefault(item.dimension, []).append(item.key)
    order = sorted(groups, key=lambda d: (DIMENSIONS.index(d) if d in DIMENSIONS else len(DIMENSIONS), d))
    return {d: 100 * (fsum(global_weights[k] * ratios[k] for k in groups[d]) / fsum(global_weights[k] for k in groups[d]))
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
