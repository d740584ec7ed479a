"""The message catalogue: every text in both languages, and every key the code uses exists."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import auditapp
from auditapp import errors
from auditapp.api.input_messages import _templates, as_message
from auditapp.constants import WEBHOOK_EVENTS
from auditapp.messages import CATALOGUE, LANGUAGES, Message, localize, placeholders

PACKAGE = Path(auditapp.__file__).parent
ERROR_CLASSES = {name for name, value in vars(errors).items()
                 if isinstance(value, type) and issubclass(value, errors.DomainError)}
KEY = re.compile(r"^[a-z_]+\.[a-z0-9_.]+$")
NAMESPACES = {key.split(".")[0] for key in CATALOGUE}
# Keys chosen at run time rather than written out: HTTP statuses (api/errors.py) and marshmallow's own
# messages (api/input_messages.py, checked against marshmallow's templates below).
BUILT_KEYS = ("http.", "input.")
# Webhook event names (`dispute.filed`...) look like keys but are the webhooks' own vocabulary.


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(PACKAGE.rglob("*.py"))
            if "migrations" not in path.parts]


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_entry_has_both_languages_with_the_same_placeholders(key):
    texts = CATALOGUE[key]
    assert set(texts) == set(LANGUAGES)
    assert all(texts[language].strip() for language in LANGUAGES)
    assert placeholders(texts["zh"]) == placeholders(texts["en"])


def test_chinese_texts_are_chinese():
    # A zh text copied from the English one would pass the placeholder check; the `input.*` keys of
    # marshmallow and texts made only of placeholders and symbols are the exceptions that cannot have Han.
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [key for key, texts in CATALOGUE.items()
                    if not han.search(texts["zh"]) and re.sub(r"\{\w+\}|[\s\W]", "", texts["zh"])]
    assert untranslated == []


def test_every_domain_error_and_message_in_the_code_names_a_known_key():
    """Every `SomeDomainError(...)` and `Message(...)` call passes a catalogue key (or a name holding one),
    never a sentence; and every key-shaped string in the code is in the catalogue."""
    bad = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in ERROR_CLASSES | {"Message"}:
                if path.name == "messages.py" or not node.args:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    if first.value not in CATALOGUE:
                        bad.append(f"{path.name}:{node.lineno} {first.value!r}")
                elif isinstance(first, ast.IfExp):
                    for branch in (first.body, first.orelse):
                        if not (isinstance(branch, ast.Constant) and branch.value in CATALOGUE):
                            bad.append(f"{path.name}:{node.lineno} {ast.unparse(branch)}")
                elif isinstance(first, ast.JoinedStr):
                    start = first.values[0]
                    if not (isinstance(start, ast.Constant) and start.value.startswith(BUILT_KEYS)):
                        bad.append(f"{path.name}:{node.lineno} {ast.unparse(first)}")
                elif not isinstance(first, (ast.Name, ast.Subscript, ast.Attribute)):
                    bad.append(f"{path.name}:{node.lineno} {ast.unparse(first)}")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value)
                  and node.value.split(".")[0] in NAMESPACES and path.name != "messages.py"
                  and node.value not in CATALOGUE and node.value not in WEBHOOK_EVENTS):
                bad.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert bad == []


def test_every_catalogue_entry_is_used():
    used = {node.value for _, tree in _sources() for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    unused = [key for key in CATALOGUE if key not in used and not key.startswith(BUILT_KEYS)]
    assert unused == []


def test_marshmallow_texts_are_recognised_from_marshmallows_own_templates():
    for key, template in _templates().items():
        assert CATALOGUE[key]["en"] == template, key
    message = as_message("Length must be between 1 and 200.")
    assert (message.key, message.render("zh")) == ("input.length_between", "长度必须在 1 到 200 之间。")
    assert as_message("Must be one of: yes, no.").render("zh") == "必须是以下之一：yes, no。"
    assert as_message("Something else entirely.") is None


def test_a_message_is_its_english_text_and_renders_in_each_language():
    message = Message("dispute.window_closed", deadline="2026-11-10 00:00 CST", days=5)
    assert message == "the dispute window closed on 2026-11-10 00:00 CST (5 working days after publication)"
    assert message.render("zh") == "申诉期已于 2026-11-10 00:00 CST 结束（发布后 5 个工作日）"
    nested = Message("photo.invalid_file", type="PDF", why=Message("photo.no_pdf_header"))
    assert "没有 PDF 版本头" in nested.render("zh") and "no PDF version header" in nested
    assert localize({"a": [nested], "b": "plain"}, "zh") == {"a": [nested.render("zh")], "b": "plain"}


def test_unknown_keys_and_missing_parameters_fail_at_the_raise_site():
    with pytest.raises(KeyError):
        Message("dispute.no_such_key")
    with pytest.raises(KeyError):
        errors.Conflict("dispute.window_closed", deadline="tomorrow")  # `days` missing


def test_marshmallow_keeps_the_key_when_it_formats_and_copies_a_message():
    import copy

    from marshmallow import ValidationError, validate

    from auditapp.api.fields import Code
    error = pytest.raises(ValidationError, Code().deserialize, "lower case").value
    (message,) = error.messages
    assert isinstance(message, Message) and message.key == "field.code_rule"
    assert copy.deepcopy(message).key == "field.code_rule"
    assert validate.Length(max=2, error=Message("field.not_finite")).error.format(input="x").key == "field.not_finite"
