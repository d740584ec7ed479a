"""Reading checklist YAML files into validated, frozen `Checklist` objects."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, overload

import yaml
from marshmallow import ValidationError

from .model import (
    DEFAULT_CHANNEL,
    DEFAULT_GAP,
    Band,
    Checklist,
    Item,
    Option,
    Section,
    ShowIf,
    Text,
)
from .schema import ChecklistSchema, cross_checks, flatten_errors


class ChecklistError(Exception):
    """A checklist file (or document) that cannot be used, with every problem found."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {path}: {problem}" for path, problem in problems))


class _StrictLoader(yaml.SafeLoader):
    """YAML 1.2-ish booleans and no duplicate keys.

    PyYAML follows YAML 1.1, where `yes`/`no`/`on`/`off` are booleans; in a checklist they are
    answers (`pass: no`, `equals: yes`) and must stay strings.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _StrictLoader.yaml_implicit_resolvers.setdefault(_first, []).append(
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_mapping)


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ChecklistError(source, [(where, exc.problem or str(exc))]) from None
    except yaml.YAMLError as exc:
        raise ChecklistError(source, [("(file)", str(exc))]) from None


def load_checklist_file(path: Path | str, display_name: str | None = None) -> Checklist:
    path = Path(path)
    source = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError(source, [("(file)", f"cannot read: {exc}")]) from None
    return checklist_from_document(parse_yaml(text, source), source)


def checklist_from_document(document: Any, source: str = "checklist") -> Checklist:
    """Validate a parsed document (YAML or stored JSON) and build the frozen checklist."""
    if not isinstance(document, Mapping):
        raise ChecklistError(source, [("(top)", "a checklist must be a mapping")])
    try:
        data = ChecklistSchema().load(document)
    except ValidationError as exc:
        raise ChecklistError(source, flatten_errors(exc.messages)) from None
    problems = cross_checks(data)
    if problems:
        raise ChecklistError(source, problems)
    normal = normalised_document(data)
    return _build(normal)


def normalised_document(data: Mapping[str, Any]) -> dict[str, Any]:
    """The loaded data back in the file's own field names, defaults filled in."""
    def rename(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {{"pass_": "pass", "in_": "in"}.get(k, k): rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value
    return rename(data)


def content_hash(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@overload
def _text(value: Mapping[str, str]) -> Text: ...
@overload
def _text(value: Mapping[str, str] | None) -> Text | None: ...
def _text(value: Mapping[str, str] | None) -> Text | None:
    return Text(zh=value["zh"], en=value["en"]) if value is not None else None


def _build(doc: dict[str, Any]) -> Checklist:
    sections = []
    for s in doc["sections"]:
        items = []
        for i in s["items"]:
            show_if = i.get("show_if")
            items.append(Item(
                key=i["key"], section=s["key"], text=_text(i["text"]), help=_text(i.get("help")),
                type=i["type"], weight=float(i["weight"]),
                bands=tuple(Band(upto=b["upto"], score=float(b["score"])) for b in i.get("bands", ())),
                options=tuple(Option(key=o["key"], text=_text(o["text"]), score=float(o["score"]))
                              for o in i.get("options", ())),
                min=i.get("min"), max=i.get("max"), pass_value=i.get("pass", "yes"),
                critical=i["critical"], dimension=i.get("dimension"), na_allowed=i["na_allowed"],
                show_if=ShowIf(item=show_if["item"], values=tuple(show_if.get("in", [show_if.get("equals")])))
                if show_if else None,
                evidence=i["evidence"], disputable=i["disputable"], required=i["required"],
                action=_text(i.get("action")), owner=i.get("owner"), gap=i.get("gap", DEFAULT_GAP),
            ))
        sections.append(Section(key=s["key"], title=_text(s["title"]), weight=float(s["weight"]),
                                items=tuple(items)))
    return Checklist(key=doc["key"], version=doc["version"], title=_text(doc["title"]),
                     min_visit_minutes=doc["min_visit_minutes"], sections=tuple(sections),
                     document=doc, content_hash=content_hash(doc), channel=doc.get("channel", DEFAULT_CHANNEL))


def load_directory(directory: Path | str, base: Path | str | None = None) -> list[Checklist]:
    """Every `*.yaml` file of a directory; all files are checked before any error is raised."""
    directory = Path(directory)
    return load_files(sorted(directory.glob("*.yaml")), base)


def load_files(paths: Iterable[Path | str], base: Path | str | None = None) -> list[Checklist]:
    checklists: list[Checklist] = []
    errors: list[ChecklistError] = []
    seen: dict[tuple[str, int], str] = {}
    for path in paths:
        path = Path(path)
        name = _display(path, base)
        try:
            checklist = load_checklist_file(path, name)
        except ChecklistError as exc:
            errors.append(exc)
            continue
        ident = (checklist.key, checklist.version)
        if ident in seen:
            problem = f"{checklist.key} v{checklist.version} is already defined in {seen[ident]}"
            errors.append(ChecklistError(name, [("version", problem)]))
            continue
        seen[ident] = name
        checklists.append(checklist)
    errors.extend(_key_drift(checklists, seen))
    if errors:
        raise ChecklistErrors(errors)
    return checklists


def _key_drift(checklists: list[Checklist], sources: Mapping[tuple[str, int], str]) -> list[ChecklistError]:
    """Items whose key changed meaning between versions of one checklist.

    Reports compare versions by item key (a wave on v1 against one on v2), so a key must keep its type
    and its moment of truth; a changed check needs a new key.
    """
    errors: list[ChecklistError] = []
    first: dict[tuple[str, str], tuple[int, Item]] = {}
    for checklist in sorted(checklists, key=lambda c: (c.key, c.version)):
        problems = []
        for s, section in enumerate(checklist.sections):
            for i, item in enumerate(section.items):
                version, earlier = first.setdefault((checklist.key, item.key), (checklist.version, item))
                if earlier is item:
                    continue
                if (earlier.type, earlier.section) != (item.type, item.section):
                    problem = (f"'{item.key}' is a {earlier.type} item of section '{earlier.section}' in "
                               f"v{version}; reports compare versions by key, so a changed item needs a new key")
                    problems.append((f"sections[{s}].items[{i}].key", problem))
        if problems:
            errors.append(ChecklistError(sources[(checklist.key, checklist.version)], problems))
    return errors


class ChecklistErrors(ChecklistError):
    def __init__(self, errors: list[ChecklistError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))
        self.source = ", ".join(e.source for e in errors)
        self.problems = [p for e in errors for p in e.problems]


def _display(path: Path, base: Path | str | None) -> str:
    if base is not None:
        try:
            return str(path.resolve().relative_to(Path(base).resolve()))
        except ValueError:
            pass
    return str(path)
