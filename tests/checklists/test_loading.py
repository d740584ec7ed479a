"""Checklist files: the real ones load, and each kind of broken file is refused with an exact message."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from fixtures.factories import small_checklist_document

from auditapp.checklists import (
    ChecklistError,
    ChecklistErrors,
    load_checklist_file,
    load_directory,
    load_files,
)

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST_FILES = sorted((ROOT / "checklists").glob("*.yaml"))


def test_the_project_ships_checklists():
    names = {p.name for p in CHECKLIST_FILES}
    assert {"sales_visit.yaml", "phone_enquiry.yaml"} <= names


@pytest.mark.parametrize("path", CHECKLIST_FILES, ids=lambda p: p.name)
def test_every_checklist_file_loads(path: Path):
    checklist = load_checklist_file(path)
    assert path.stem.split(".")[0] == checklist.key  # sales_visit.yaml, sales_visit.v2.yaml, ...
    for section in checklist.sections:
        for item in section.items:
            assert item.text.zh.strip() and item.text.en.strip()
            if item.scored:
                assert item.help is not None, f"{item.key}: scored items explain what passes"


def test_sales_visit_covers_the_seven_moments_of_truth():
    checklist = load_checklist_file(ROOT / "checklists" / "sales_visit.yaml")
    assert [s.key for s in checklist.sections] == [
        "greeting", "needs_analysis", "presentation", "test_drive", "negotiation", "delivery", "follow_up"]
    for section in checklist.sections:
        assert 6 <= len(section.items) <= 12, section.key
    assert any(i.critical != "none" for i in checklist.items.values())
    assert any(i.na_allowed for i in checklist.items.values())
    assert any(i.show_if for i in checklist.items.values())
    assert any(i.evidence == "required" for i in checklist.items.values())


def _write(tmp_path: Path, document) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _item(doc, section: int, item: int):
    return doc["sections"][section]["items"][item]


def _broken(mutate):
    doc = copy.deepcopy(small_checklist_document())
    mutate(doc)
    return doc


BROKEN = [
    ("last band has upto",
     lambda d: _item(d, 0, 1)["bands"][-1].update(upto=90),
     "sections[0].items[1].bands: last band must have no 'upto'"),
    ("band without upto in the middle",
     lambda d: _item(d, 0, 1)["bands"][0].pop("upto"),
     "sections[0].items[1].bands[0].upto: every band but the last needs 'upto'"),
    ("bands out of order",
     lambda d: _item(d, 0, 1)["bands"][1].update(upto=10),
     "sections[0].items[1].bands[1].upto: must be greater than the band before"),
    ("band score above 1",
     lambda d: _item(d, 0, 1)["bands"][0].update(score=1.5),
     "sections[0].items[1].bands[0].score: Must be greater than or equal to 0 and less than or equal to 1."),
    ("unknown field on an item",
     lambda d: _item(d, 1, 0).update(colour="red"),
     "sections[1].items[0].colour: unknown field"),
    ("unknown top-level field",
     lambda d: d.update(owner="me"),
     "owner: unknown field"),
    ("show_if pointing at an unknown item",
     lambda d: _item(d, 0, 1)["show_if"].update(item="nope"),
     "sections[0].items[1].show_if.item: unknown item 'nope'"),
    ("show_if pointing at a later item",
     lambda d: _item(d, 0, 1)["show_if"].update(item="written_quote"),
     "sections[0].items[1].show_if.item: 'written_quote' comes later; show_if must refer to an earlier item"),
    ("show_if with a value the item cannot have",
     lambda d: _item(d, 0, 1)["show_if"].update(equals="maybe"),
     "sections[0].items[1].show_if.equals: 'maybe' is not an answer of 'greeted' (one of yes, no)"),
    ("weight on a photo item",
     lambda d: _item(d, 0, 2).update(weight=2),
     "sections[0].items[2].weight: photo items are not scored: weight must be 0"),
    ("scored item without dimension",
     lambda d: _item(d, 1, 0).pop("dimension"),
     "sections[1].items[0].dimension: scored items need a dimension"),
    ("missing English text",
     lambda d: _item(d, 1, 1)["text"].pop("en"),
     "sections[1].items[1].text.en: required field missing"),
    ("empty Chinese title",
     lambda d: d["sections"][1]["title"].update(zh="  "),
     "sections[1].title.zh: must not be empty"),
    ("duplicate item key across sections",
     lambda d: _item(d, 1, 1).update(key="greeted"),
     "sections[1].items[1].key: duplicate item key 'greeted'"),
    ("section weight zero",
     lambda d: d["sections"][0].update(weight=0),
     "sections[0].weight: Must be greater than 0."),
    ("unknown type",
     lambda d: _item(d, 1, 0).update(type="stars"),
     "sections[1].items[0].type: Must be one of: yes_no, scale, seconds, minutes, number, choice, text, photo."),
    ("bands on a yes_no item",
     lambda d: _item(d, 1, 0).update(bands=[{"score": 1}]),
     "sections[1].items[0].bands: only seconds, minutes, number items have bands"),
    ("seconds item without bands",
     lambda d: _item(d, 0, 1).pop("bands"),
     "sections[0].items[1].bands: seconds items need bands"),
    ("knock-out on an unscored item",
     lambda d: _item(d, 0, 2).update(critical="audit"),
     "sections[0].items[2].critical: a knock-out item must be scored (weight > 0)"),
    ("scale max out of range",
     lambda d: _item(d, 1, 1).update(max=11),
     "sections[1].items[1].max: a scale's max must be a whole number from 2 to 10"),
    ("version not an integer",
     lambda d: d.update(version="1"),
     "version: must be a whole number"),
    ("no sections",
     lambda d: d.update(sections=[]),
     "sections: Shorter than minimum length 1."),
    ("choice without a full-score option",
     lambda d: _item(d, 1, 0).update(type="choice", options=[
         {"key": "a", "text": {"zh": "甲", "en": "A"}, "score": 0.5},
         {"key": "b", "text": {"zh": "乙", "en": "B"}, "score": 0}]),
     "sections[1].items[0].options: at least one option must score 1"),
    ("unknown channel",
     lambda d: d.update(channel="email"),
     "channel: Must be one of: visit, phone, online."),
]


@pytest.mark.parametrize("mutate,expected", [(m, e) for _, m, e in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_checklist_is_refused_with_path_and_problem(tmp_path, mutate, expected):
    path = _write(tmp_path, _broken(mutate))
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path, "checklists/broken.yaml")
    assert f"checklists/broken.yaml: {expected}" in str(caught.value).splitlines()


def test_duplicate_yaml_key_is_refused_with_its_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("key: mini\nversion: 1\nversion: 2\n", encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path, "checklists/dup.yaml")
    assert str(caught.value) == "checklists/dup.yaml: line 3, column 1: duplicate key 'version'"


def test_yes_and_no_stay_strings(tmp_path):
    """YAML 1.1 would read `pass: no` as False; a checklist means the answer "no"."""
    doc = small_checklist_document()
    text = yaml.safe_dump(doc, allow_unicode=True).replace("key: written_quote", "key: written_quote\n    pass: no", 1)
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    checklist = load_checklist_file(path)
    assert checklist.items["written_quote"].pass_value == "no"
    assert checklist.items["greet_seconds"].show_if.values == ("yes",)


def test_defaults_are_filled_in():
    checklist = load_checklist_file(_write(Path(__import__("tempfile").mkdtemp()), small_checklist_document()))
    quote, pressure, photo = (checklist.items[k] for k in ("written_quote", "pressure", "card_photo"))
    assert (quote.disputable, quote.required, quote.critical, quote.pass_value) == (True, True, "none", "yes")
    assert (pressure.disputable, pressure.max) == (False, 5)
    assert (photo.disputable, photo.required, photo.weight) == (False, False, 0.0)
    assert checklist.channel == "visit"


@pytest.mark.parametrize("channel", ["visit", "phone", "online"])
def test_the_channel_is_read(tmp_path, channel):
    checklist = load_checklist_file(_write(tmp_path, {**small_checklist_document(), "channel": channel}))
    assert checklist.channel == channel


def test_every_problem_of_a_directory_is_reported(tmp_path):
    good = small_checklist_document()
    _write(tmp_path, good).rename(tmp_path / "a.yaml")
    _write(tmp_path, _broken(lambda d: d.update(owner="x"))).rename(tmp_path / "b.yaml")
    _write(tmp_path, good).rename(tmp_path / "c.yaml")
    with pytest.raises(ChecklistErrors) as caught:
        load_directory(tmp_path, base=tmp_path)
    assert str(caught.value).splitlines() == [
        "b.yaml: owner: unknown field",
        "c.yaml: version: mini v1 is already defined in a.yaml",
    ]


def test_unreadable_file(tmp_path):
    with pytest.raises(ChecklistError, match="cannot read"):
        load_files([tmp_path / "missing.yaml"])
