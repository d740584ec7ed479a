"""What a failed item asks of the dealer (action, owner, gap) and how the shopper meets it (channel)."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest
import yaml
from fixtures.factories import small_checklist_document

from auditapp.checklists import (
    CHANNEL_TEXT,
    CHANNELS,
    OWNER_TEXT,
    OWNERS,
    ChecklistError,
    ChecklistErrors,
    load_checklist_file,
    load_directory,
)

ROOT = Path(__file__).resolve().parents[2]
ACTION = {"zh": "晨会演练三分钟问候标准", "en": "Rehearse the three-minute greeting standard at the morning briefing"}


def _load(tmp_path: Path, document, name: str = "mini.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_checklist_file(path, f"checklists/{name}")


def _problems(tmp_path: Path, mutate) -> list[str]:
    document = copy.deepcopy(small_checklist_document())
    mutate(document)
    with pytest.raises(ChecklistError) as caught:
        _load(tmp_path, document)
    return str(caught.value).splitlines()


def _item(document, section: int, item: int):
    return document["sections"][section]["items"][item]


def test_action_owner_and_gap_are_read_into_the_item(tmp_path):
    document = small_checklist_document()
    _item(document, 0, 0).update(action=ACTION, owner="reception", gap=4)
    checklist = _load(tmp_path, document)
    greeted = checklist.items["greeted"]
    assert greeted.action is not None and greeted.action.to_dict() == ACTION
    assert (greeted.owner, greeted.gap) == ("reception", 4)


def test_without_them_an_item_has_no_action_no_owner_and_points_to_gap_3(tmp_path):
    checklist = _load(tmp_path, small_checklist_document())
    quote = checklist.items["written_quote"]
    assert (quote.action, quote.owner, quote.gap) == (None, None, 3)
    assert checklist.channel == "visit"


@pytest.mark.parametrize("channel", ["visit", "phone", "online"])
def test_each_channel_is_accepted(tmp_path, channel):
    document = small_checklist_document()
    document["channel"] = channel
    assert _load(tmp_path, document).channel == channel


BROKEN = [
    ("action without English",
     lambda d: _item(d, 1, 0).update(action={"zh": ACTION["zh"]}, owner="sales_consultant"),
     "sections[1].items[0].action.en: required field missing"),
    ("action as plain text",
     lambda d: _item(d, 1, 0).update(action="train the team", owner="sales_consultant"),
     "sections[1].items[0].action: Invalid input type."),
    ("empty Chinese action",
     lambda d: _item(d, 1, 0).update(action={"zh": " ", "en": "Train"}, owner="sales_consultant"),
     "sections[1].items[0].action.zh: must not be empty"),
    ("unknown owner",
     lambda d: _item(d, 1, 0).update(owner="salesman"),
     "sections[1].items[0].owner: Must be one of: " + ", ".join(OWNERS) + "."),
    ("gap out of range",
     lambda d: _item(d, 1, 0).update(gap=6),
     "sections[1].items[0].gap: must be one of the five service gaps: 1 to 5"),
    ("gap zero",
     lambda d: _item(d, 1, 0).update(gap=0),
     "sections[1].items[0].gap: must be one of the five service gaps: 1 to 5"),
    ("gap as a string",
     lambda d: _item(d, 1, 0).update(gap="4"),
     "sections[1].items[0].gap: must be a whole number"),
    ("gap as a boolean",
     lambda d: _item(d, 1, 0).update(gap=True),
     "sections[1].items[0].gap: must be a whole number"),
    ("gap as a fraction",
     lambda d: _item(d, 1, 0).update(gap=3.5),
     "sections[1].items[0].gap: must be a whole number"),
    ("action on a photo item",
     lambda d: _item(d, 0, 2).update(action=ACTION, owner="reception"),
     "sections[0].items[2].action: only scored items have 'action': an unscored item cannot fail"),
    ("owner on a photo item",
     lambda d: _item(d, 0, 2).update(owner="reception"),
     "sections[0].items[2].owner: only scored items have 'owner': an unscored item cannot fail"),
    ("gap on a yes_no item of weight 0",
     lambda d: _item(d, 1, 0).update(weight=0, gap=4),
     "sections[1].items[0].gap: only scored items have 'gap': an unscored item cannot fail"),
    ("action nobody owns",
     lambda d: _item(d, 1, 0).update(action=ACTION),
     "sections[1].items[0].owner: an action needs an owner: the role that carries it out"),
    ("unknown channel",
     lambda d: d.update(channel="store"),
     "channel: Must be one of: visit, phone, online."),
    ("channel not a string",
     lambda d: d.update(channel=["phone"]),
     "channel: Not a valid string."),
]


@pytest.mark.parametrize("mutate,expected", [(m, e) for _, m, e in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_bad_remedy_or_channel_is_refused_with_path_and_problem(tmp_path, mutate, expected):
    assert f"checklists/mini.yaml: {expected}" in _problems(tmp_path, mutate)


def test_an_owner_without_an_action_is_allowed(tmp_path):
    """Who fixes it can be known before the program has written the action."""
    document = small_checklist_document()
    _item(document, 1, 0)["owner"] = "sales_consultant"
    assert _load(tmp_path, document).items["written_quote"].owner == "sales_consultant"


def test_every_owner_and_channel_has_a_label_in_both_languages():
    assert set(OWNER_TEXT) == set(OWNERS) and set(CHANNEL_TEXT) == set(CHANNELS)
    for zh, en in [*OWNER_TEXT.values(), *CHANNEL_TEXT.values()]:
        assert zh.strip() and en.strip() and zh != en


def test_fields_left_out_are_not_written_into_the_stored_document(tmp_path):
    """Defaults of fields added after a version was published stay out of its document: otherwise the
    content hash of a version already stored would change and reloading it would be refused."""
    checklist = _load(tmp_path, small_checklist_document())
    assert "channel" not in checklist.document
    assert all(not {"action", "owner", "gap"} & set(item) for s in checklist.document["sections"]
               for item in s["items"])


# Published version 1 files: their bytes and the content hash databases already hold for them.
PUBLISHED = {
    "sales_visit.yaml": ("8050b7ba4e8a527e63de0bc4d467e9db2a870eaa18aa1d76fe1a26fe8a225cef",
                         "529527878c34f00be4aed67dad74ec0f5e3954382da8a9ade3483a0ae4e78294"),
    "phone_enquiry.yaml": ("2849fd3c02b934f75a22f4d2ffa6a5f1bad9636cb6a0bf24338d5ffa01cef711",
                           "1a45d0db7a8160f876672f5cfeca76939e5c2780f42f1b6a17f1d87d1db087f2"),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_version_1_never_changes(name):
    path = ROOT / "checklists" / name
    file_hash, stored_hash = PUBLISHED[name]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == file_hash
    checklist = load_checklist_file(path)
    assert (checklist.version, checklist.content_hash, checklist.channel) == (1, stored_hash, "visit")


def _two_versions(tmp_path: Path, change) -> None:
    first = small_checklist_document()
    second = copy.deepcopy(first)
    second["version"] = 2
    change(second)
    for document, name in ((first, "mini.yaml"), (second, "mini.v2.yaml")):
        (tmp_path / name).write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")
    load_directory(tmp_path, base=tmp_path)


def test_a_new_version_may_add_items_and_remedies(tmp_path):
    def change(document):
        _item(document, 1, 0).update(action=ACTION, owner="sales_consultant", gap=4)
        document["sections"][1]["items"].append(
            {"key": "manager_available", "text": {"zh": "经理到场", "en": "Manager came"}, "type": "yes_no",
             "dimension": "assurance", "owner": "sales_manager"})
    _two_versions(tmp_path, change)


@pytest.mark.parametrize("change,problem", [
    (lambda d: _item(d, 1, 0).update(type="scale"),
     "'written_quote' is a yes_no item of section 'negotiation' in v1"),
    (lambda d: d["sections"][0]["items"].append(d["sections"][1]["items"].pop(0)),
     "'written_quote' is a yes_no item of section 'negotiation' in v1"),
], ids=["type changed", "moved to another section"])
def test_an_item_key_keeps_its_meaning_across_versions(tmp_path, change, problem):
    with pytest.raises(ChecklistErrors) as caught:
        _two_versions(tmp_path, change)
    [line] = str(caught.value).splitlines()
    assert line.startswith("mini.v2.yaml: sections[") and problem in line
    assert line.endswith("reports compare versions by key, so a changed item needs a new key")
