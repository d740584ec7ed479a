"""Believable answers for demo programs: a dealer's service quality drives what the shopper observes.

Pure (a seeded random generator in, answers out), so the demo is the same on every machine.
"""
from __future__ import annotations

import math
import random
from typing import Any

from ..checklists import Checklist, Item

COMMENTS = {
    "fail": ["顾问忙于接电话，等了很久", "没有主动提及", "需要我追问才说明",
             "Consultant was busy with another customer", "Only after I asked twice", "没有书面材料"],
    "pass": ["做得很好，热情专业", "Very clear and friendly", "主动介绍了金融方案", "准时且准备充分"],
}


# Items whose difficulty the demo sets by hand. The test car was a knock-out in sales_visit v1 (a
# basic promise, rarely broken) and is not in v2, where a recovery is scored instead; the fleet is the
# same, so the car is missing about as often in both waves.
DIFFICULTY = {"test_car_available": 0.35}


def _chance(quality: float, difficulty: float) -> float:
    """Probability of a pass: a logistic curve of the dealer's quality against the item's difficulty."""
    return 1 / (1 + math.exp(-(quality - difficulty) * 6))


def draw_answers(checklist: Checklist, quality: float, rng: random.Random, *, purchase: bool = False,
                 photo_hash: str | None = None) -> dict[str, dict[str, Any]]:
    """Answers for one visit to a dealer of the given quality (0 poor … 1 excellent).

    Items get a fixed difficulty from their key, so the same items are hard for every dealer (the
    gaps then look like a real network's). Without a purchase, delivery items are N/A where allowed.
    """
    answers: dict[str, dict[str, Any]] = {}
    for item in checklist.items.values():
        if item.show_if is not None:
            controller = answers.get(item.show_if.item)
            if controller is None or controller.get("na") or controller.get("value") not in item.show_if.values:
                continue
        difficulty = DIFFICULTY.get(item.key, random.Random(item.key).uniform(0.15, 0.75))
        if item.critical != "none" and item.key not in DIFFICULTY:
            difficulty -= 0.35  # knock-outs are basic promises: rarely broken
        passed = rng.random() < _chance(quality, difficulty)
        if item.na_allowed and ((item.section == "delivery" and not purchase) or rng.random() < 0.04):
            answers[item.key] = {"na": True}
            continue
        answer = _answer(item, passed, rng)
        if answer is None:
            continue
        if item.evidence == "required" or (item.type == "photo"):
            answer["attachments"] = [photo_hash or f"{rng.getrandbits(256):064x}"]
        if item.type not in ("text", "photo") and rng.random() < 0.12:
            answer["comment"] = rng.choice(COMMENTS["pass" if passed else "fail"])
        answers[item.key] = answer
    return answers


def _answer(item: Item, passed: bool, rng: random.Random) -> dict[str, Any] | None:
    if item.type == "yes_no":
        other = "no" if item.pass_value == "yes" else "yes"
        return {"value": item.pass_value if passed else other}
    if item.type == "scale":
        top = int(item.max or 5)  # a scale runs over whole points
        value = top if passed and rng.random() < 0.6 else rng.randint(max(1, top // 2), top) if passed \
            else rng.randint(1, max(1, top - 2))
        return {"value": value}
    if item.type in ("seconds", "minutes", "number"):
        return {"value": _banded_value(item, passed, rng)}
    if item.type == "choice":
        best = [o.key for o in item.options if o.score == 1]
        rest = [o.key for o in item.options if o.score < 1]
        return {"value": rng.choice(best if passed or not rest else rest)}
    if item.type == "text":
        return {"value": rng.choice(["王磊", "李娜", "张伟", "刘洋", "陈静"])} if item.required or rng.random() < 0.5 \
            else None
    return {}  # photo: attachments only


def _banded_value(item: Item, passed: bool, rng: random.Random) -> float:
    low = item.min or 0
    bands = item.bands
    if passed or len(bands) == 1:
        high = bands[0].upto if bands[0].upto is not None else low + 10
        lo = low
    else:
        band = rng.choice(bands[1:])
        index = bands.index(band)
        lo = bands[index - 1].upto or low
        high = band.upto if band.upto is not None else lo * 2 + 10
    if item.max is not None:
        high = min(high, item.max)
    value = rng.uniform(lo, high) if high > lo else lo
    if item.type in ("seconds", "minutes") or float(low).is_integer():
        value = round(value)
        if not passed and bands[0].upto is not None and value <= bands[0].upto:
            value = math.floor(bands[0].upto) + 1
        if item.max is not None:
            value = min(value, int(item.max))
    return max(value, low)
