"""Checklists as frozen data: what the loader produces and what scoring reads.

Nothing here knows about YAML, marshmallow, Flask or the database.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ITEM_TYPES = ("yes_no", "scale", "seconds", "minutes", "number", "choice", "text", "photo")
SCORED_TYPES = ("yes_no", "scale", "seconds", "minutes", "number", "choice")
BANDED_TYPES = ("seconds", "minutes", "number")
DIMENSIONS = ("reliability", "responsiveness", "assurance", "empathy", "tangibles")
DIMENSION_TEXT = {
    "reliability": ("可靠性", "Reliability"),
    "responsiveness": ("响应性", "Responsiveness"),
    "assurance": ("安全性", "Assurance"),
    "empathy": ("移情性", "Empathy"),
    "tangibles": ("有形性", "Tangibles"),
}
# Service-blueprint roles (DOMAIN: front stage, back stage, support): who fixes a failed item.
OWNERS = ("reception", "sales_consultant", "sales_manager", "product_specialist", "finance_insurance",
          "delivery_team", "aftersales", "dealer_management")
OWNER_TEXT = {
    "reception": ("前台接待", "Reception"),
    "sales_consultant": ("销售顾问", "Sales consultant"),
    "sales_manager": ("销售经理", "Sales manager"),
    "product_specialist": ("产品专员", "Product specialist"),
    "finance_insurance": ("金融保险专员", "Finance and insurance"),
    "delivery_team": ("交车团队", "Delivery team"),
    "aftersales": ("售后服务", "After-sales"),
    "dealer_management": ("经销店管理层", "Dealer management"),
}
# The five service gaps (Parasuraman, Zeithaml & Berry): a mystery shop observes gap 3 (delivery vs the
# standard) directly, and gap 4 (delivery vs what was promised) on promise items.
GAPS = (1, 2, 3, 4, 5)
DEFAULT_GAP = 3
GAP_TEXT = {
    1: ("顾客期望与管理层认知的差距", "Management does not know what customers expect"),
    2: ("管理层认知与服务标准的差距", "Standards do not reflect what management knows"),
    3: ("服务标准与服务交付的差距", "Staff do not deliver the standard"),
    4: ("服务交付与对外承诺的差距", "Delivery differs from what was promised"),
    5: ("顾客期望与感知服务的差距", "Expected versus perceived service"),
}
# How the shopper meets the dealer; visit proof (GPS check-in) and quality flags follow it.
CHANNELS = ("visit", "phone", "online")
DEFAULT_CHANNEL = "visit"
CHANNEL_TEXT = {
    "visit": ("到店", "Showroom visit"),
    "phone": ("电话", "Phone"),
    "online": ("线上", "Online"),
}
# Checklist, section and item keys: they name report files and JSON keys, so letters, digits and "_" only.
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
CRITICAL_SCOPES = ("none", "section", "audit")
EVIDENCE_LEVELS = ("none", "optional", "required")
DISPUTABLE_BY_DEFAULT = ("yes_no", "seconds", "minutes", "number", "choice")


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Band:
    upto: float | None
    score: float


@dataclass(frozen=True)
class Option:
    key: str
    text: Text
    score: float


@dataclass(frozen=True)
class ShowIf:
    item: str
    values: tuple[str, ...]

    def matches(self, value: Any) -> bool:
        return value in self.values


@dataclass(frozen=True)
class Item:
    key: str
    section: str
    text: Text
    type: str
    weight: float
    help: Text | None = None
    bands: tuple[Band, ...] = ()
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    pass_value: str = "yes"
    critical: str = "none"
    dimension: str | None = None
    na_allowed: bool = False
    show_if: ShowIf | None = None
    evidence: str = "none"
    disputable: bool = False
    required: bool = False
    action: Text | None = None
    owner: str | None = None
    gap: int = DEFAULT_GAP

    @property
    def scored(self) -> bool:
        """Counts towards scores when answered (not N/A, not hidden)."""
        return self.type in SCORED_TYPES and self.weight > 0

    @property
    def option_scores(self) -> Mapping[str, float]:
        return {o.key: o.score for o in self.options}

    def ratio(self, value: Any) -> float:
        """The item's ratio r in [0, 1] for a valid answer value (DESIGN 4)."""
        if self.type == "yes_no":
            return 1.0 if value == self.pass_value else 0.0
        if self.type == "scale":
            assert self.max is not None  # the loader fills in the default of 5
            return (value - 1) / (self.max - 1)
        if self.type in BANDED_TYPES:
            for band in self.bands:
                if band.upto is None or value <= band.upto:
                    return band.score
        if self.type == "choice":
            return self.option_scores[value]
        raise ValueError(f"item {self.key!r} of type {self.type} has no ratio")


@dataclass(frozen=True)
class Section:
    key: str
    title: Text
    weight: float
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    key: str
    version: int
    title: Text
    min_visit_minutes: int
    sections: tuple[Section, ...]
    # The validated document as loaded (defaults filled in, except those of fields added after
    # version 1 was published: filling those in would change the content hash of versions already
    # stored); stored with the version and served to phones, so that what a phone shows is what the
    # server scores.
    document: Mapping[str, Any] = field(repr=False, compare=False)
    content_hash: str = field(compare=False)
    channel: str = DEFAULT_CHANNEL
    items: Mapping[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        items = {item.key: item for section in self.sections for item in section.items}
        object.__setattr__(self, "items", MappingProxyType(items))

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)
