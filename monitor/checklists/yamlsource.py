"""Read YAML so that every mapping and list remembers the lines it was written on.

Checklists are written by people, and every complaint about one must say where to look. PyYAML
throws positions away once it has built Python objects, so this loader builds
:class:`LocatedMap` and :class:`LocatedList` instead of plain ``dict`` and ``list``: each keeps
the 1-based line of itself and of each key or item.

Two departures from PyYAML's defaults, both to stop a file from meaning something its author
did not intend:

* Repeated keys in one mapping are refused (PyYAML silently keeps the last one). The first value
  is kept, the repetition is recorded on the mapping and reported as a :class:`Problem` that
  names both lines.
* Plain scalars are read with YAML 1.2's core rules: only ``true``/``false`` are booleans, so
  ``yes``, ``no``, ``on`` and ``off`` stay text (they are common choice codes); ``012`` is
  twelve, not an octal ten; ``12:30`` and ``2024-05-01`` stay text instead of becoming a number
  of seconds or a date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from monitor.core.errors import Problem

__all__ = [
    "DuplicateKey",
    "LocatedList",
    "LocatedMap",
    "YamlDocument",
    "load_yaml",
    "walk_maps",
]


@dataclass(frozen=True)
class DuplicateKey:
    """A key written a second time in the same mapping."""

    key: Any
    line: int
    first_line: int


class LocatedMap(dict):
    """A YAML mapping plus the 1-based line of the mapping and of each key."""

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.duplicates: list[DuplicateKey] = []

    def line_of(self, key: Any) -> int:
        """Return the line *key* was written on, else the line of the mapping itself."""
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A YAML sequence plus the 1-based line of the sequence and of each item."""

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        """Return the line item *index* starts on, else the line of the list itself."""
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


@dataclass
class YamlDocument:
    """What :func:`load_yaml` read.

    ``data`` is ``None`` when the text could not be read at all; ``error`` then says why and
    where. ``duplicates`` lists every repeated key with the mapping it was repeated in.
    """

    path: Path | str
    data: Any
    error: Problem | None = None
    duplicates: list[tuple[LocatedMap, DuplicateKey]] = field(default_factory=list)

    def problems(self, field_of: Callable[[LocatedMap], str | None] | None = None) -> list[Problem]:
        """Every problem met while reading, in file order.

        :param field_of: names the place of a mapping (``sections[staffing]``) for problems
            about its keys; without it, a repeated key is named by the trail of keys leading
            to it.
        """
        if self.error is not None:
            return [self.error]
        trails = {id(mapping): trail for trail, mapping in walk_maps(self.data)}
        found = []
        for mapping, duplicate in self.duplicates:
            place = field_of(mapping) if field_of else None
            if place is None:
                place = trails.get(id(mapping)) or None
            first, again = duplicate.first_line, duplicate.line
            lines = (f"on line {first} and on line {again}" if first != again
                     else f"both on line {again}")
            found.append(Problem(
                self.path, again, place,
                f"The key '{duplicate.key}' is written twice in the same mapping, {lines}.",
                "Keep only one of them.",
            ))
        return sorted(found, key=lambda p: p.line or 0)


# --- YAML 1.2 core schema -------------------------------------------------------------------
# The patterns of the YAML 1.2 core schema (section 10.3.2 of the specification). Anything a
# pattern does not match is text.

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _CoreResolver(BaseResolver):
    """Resolve plain scalars by the YAML 1.2 core schema instead of YAML 1.1."""


_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


class _Loader(Reader, Scanner, Parser, Composer, SafeConstructor, _CoreResolver):
    """A safe loader that records positions, keeps repeated keys out and reads YAML 1.2 scalars."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        _CoreResolver.__init__(self)
        self.found_duplicates: list[tuple[LocatedMap, DuplicateKey]] = []


def _construct_bool(loader: _Loader, node: ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


def _construct_int(loader: _Loader, node: ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # leading zeros are decimal in YAML 1.2


def _construct_float(loader: _Loader, node: ScalarNode) -> float:
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text == ".nan":
        return math.nan
    return float(text)


def _construct_list(loader: _Loader, node: SequenceNode) -> Iterator[LocatedList]:
    result = LocatedList(node.start_mark.line + 1)
    yield result  # yielding first lets aliases refer back to a list still being built
    for item in node.value:
        result.item_lines.append(item.start_mark.line + 1)
        result.append(loader.construct_object(item, deep=True))


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[LocatedMap]:
    result = LocatedMap(node.start_mark.line + 1)
    yield result
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                "while reading a mapping", node.start_mark,
                "a key is a list or a mapping; keys must be plain text", key_node.start_mark,
            ) from None
        if key in result:
            duplicate = DuplicateKey(key, line, result.key_lines[key])
            result.duplicates.append(duplicate)
            loader.found_duplicates.append((result, duplicate))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line


_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _syntax_hint(problem: str) -> str:
    """A sentence on how to fix the commonest YAML slips, keyed on PyYAML's wording."""
    if "'\\t'" in problem or "tab" in problem:
        return "Indent with spaces, not tabs."
    if "but got '?'" in problem:
        return ("Inside { } or [ ], a '?' ends the text: put texts that contain '?' in quotes "
                "({en: 'Is a doctor on site?'}), or write the map on separate lines.")
    if "never closed" in problem:
        return "Check that every quote or bracket opened here is closed."
    if "before a '[' or '{'" in problem:
        return "Check that every '[' and '{' above has its closing ']' or '}'."
    if "mapping values are not allowed" in problem:
        return ("Put text that contains ': ' in quotes, and check that the line is indented like "
                "its neighbours.")
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "Check the indentation of this line and the ones just above it."
    if "found undefined alias" in problem:
        return "Define the anchor (&name) before using the alias (*name)."
    if "constructor for the tag" in problem:
        return "Remove the '!' tag; checklists use plain YAML values only."
    if "more than one YAML document" in problem:
        return "Keep one checklist per file (remove the '---' line)."
    if "found unknown escape" in problem:
        return "Inside double quotes, write a backslash as \\\\, or use single quotes."
    return "Check the indentation and put text with special characters (: # { } [ ]) in quotes."


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


_OPENERS = {
    "quoted scalar": "the quoted text",
    "flow sequence": "the list ('[')",
    "flow mapping": "the mapping ('{')",
}


def _syntax_problem(path: Path | str, error: yaml.YAMLError) -> Problem:
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    what = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None) or ""
    mark = problem_mark or context_mark
    if ("end of stream" in what or "stream end" in what) and context_mark is not None:
        # An unclosed quote or bracket: the place it was opened is where the fix goes.
        opened = next((name for words, name in _OPENERS.items() if words in context), None)
        if opened is None:
            what = "the file ends before a '[' or '{' opened above is closed"
        else:
            mark = context_mark
            what = f"{opened} opened here is never closed"
    elif "another document" in what:
        what = "the file holds more than one YAML document"
    where = f" (column {mark.column + 1})" if mark is not None else ""
    message = f"The YAML cannot be read: {what}{where}."
    line = mark.line + 1 if mark is not None else None
    return Problem(path, line, None, _sentence(message), _syntax_hint(f"{context} {what}"))


def load_yaml(text: str | bytes, path: Path | str = "<text>") -> YamlDocument:
    """Parse one YAML document into :class:`LocatedMap`, :class:`LocatedList` and scalars.

    Never raises for the content of *text*: a syntax error gives ``data=None`` and an ``error``
    with its line; a repeated key keeps its first value and is listed in ``duplicates`` (and on
    the mapping's own ``duplicates``). :meth:`YamlDocument.problems` turns both into problems.

    :param text: the file's content; bytes are decoded as UTF-8 (a byte-order mark is allowed).
    :param path: the name problems carry (as given by the caller).
    :returns: the data and what went wrong while reading it.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = text[: error.start].count(b"\n") + 1
            return YamlDocument(path, None, Problem(
                path, line, None,
                f"The file is not valid UTF-8 text (byte {error.start + 1} cannot be read).",
                "Save the file with the UTF-8 encoding.",
            ))
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        return YamlDocument(path, None, _syntax_problem(path, error))
    finally:
        loader.dispose()
    return YamlDocument(path, data, None, loader.found_duplicates)


def walk_maps(value: Any, trail: str = "") -> Iterator[tuple[str, LocatedMap]]:
    """Yield every :class:`LocatedMap` inside *value* with a dotted trail (``sections[0].rule``)."""
    seen: set[int] = set()

    def visit(item: Any, where: str) -> Iterator[tuple[str, LocatedMap]]:
        if id(item) in seen:  # an alias can make the same object appear twice
            return
        if isinstance(item, LocatedMap):
            seen.add(id(item))
            yield where, item
            for key, child in item.items():
                yield from visit(child, f"{where}.{key}" if where else str(key))
        elif isinstance(item, list):
            seen.add(id(item))
            for index, child in enumerate(item):
                yield from visit(child, f"{where}[{index}]")

    yield from visit(value, trail)

