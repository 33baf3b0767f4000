"""Write checklist YAML that a person can read and edit, remembering where each part came from.

The checklist loader reads YAML 1.2 (only ``true``/``false`` are yes/no values), and people
read the files afterwards: so mappings are written in block style, ids and codes plain when
nothing can mistake them for another kind of value, and every other text in double quotes.
Each item may carry a comment (``# survey row 12``) and an *origin*; :meth:`YamlText.origin_at`
tells which origin a line of the result belongs to, so that a problem the validator finds on
line 40 can be reported against the spreadsheet row it came from.

:func:`render` checks its own output by reading it back with the checklist loader's YAML
reader: a value that would come back as something else is a bug, and raises.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.checklists.yamlsource import load_yaml

__all__ = ["Item", "YamlText", "render"]

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
#: Words some YAML readers take for yes/no or nothing: always quoted.
_RESERVED = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


@dataclass(frozen=True)
class Item:
    """A mapping in a list that should carry a comment and an origin where it is written."""

    data: Mapping[str, Any]
    comment: str | None = None
    origin: Any = None


@dataclass
class YamlText:
    """The YAML text, and which origin each line belongs to."""

    text: str = ""
    starts: list[int] = field(default_factory=list)  # 1-based first lines, ascending
    origins: list[Any] = field(default_factory=list)

    def origin_at(self, line: int | None) -> Any:
        """The origin of the item that *line* falls in (``None`` before the first one)."""
        if line is None:
            return None
        index = bisect_right(self.starts, line) - 1
        return self.origins[index] if index >= 0 else None


def render(data: Mapping[str, Any], header: str = "", origin: Any = None) -> YamlText:
    """Write *data* (mappings, lists, :class:`Item`, text, numbers, booleans) as YAML.

    :param header: comment lines put at the top (without ``#``).
    :param origin: the origin of the lines that belong to no :class:`Item`.
    :raises RuntimeError: the text would not read back as *data* (a bug in this module).
    """
    writer = _Writer()
    if origin is not None:
        writer.starts.append(1)
        writer.origins.append(origin)
    for line in header.splitlines():
        writer.lines.append(f"# {line}".rstrip())
    writer.mapping(data, 0)
    result = YamlText("\n".join(writer.lines) + "\n", writer.starts, writer.origins)
    document = load_yaml(result.text)
    if document.error is not None or document.data != _plain(data):
        raise RuntimeError("the checklist YAML written would not read back as intended")
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, Item):
        return _plain(value.data)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.starts: list[int] = []
        self.origins: list[Any] = []

    def mapping(self, data: Mapping[str, Any], indent: int, first_prefix: str | None = None,
                comment: str | None = None) -> None:
        pad = " " * indent
        for position, (key, value) in enumerate(data.items()):
            lead = first_prefix if position == 0 and first_prefix is not None else pad
            note = f"  # {comment}" if position == 0 and comment else ""
            name = _scalar(key)
            if isinstance(value, Item):
                value = value.data
            if isinstance(value, Mapping) and value:
                self.lines.append(f"{lead}{name}:{note}")
                self.mapping(value, indent + 2)
            elif isinstance(value, (list, tuple)) and value and all(
                    _is_scalar(v) for v in value):
                # Short lists of ids and codes read best on one line: [en, es].
                shown = ", ".join(_scalar(v) for v in value)
                self.lines.append(f"{lead}{name}: [{shown}]{note}")
            elif isinstance(value, (list, tuple)) and value:
                self.lines.append(f"{lead}{name}:{note}")
                self.sequence(value, indent + 2)
            elif isinstance(value, (list, tuple)):
                self.lines.append(f"{lead}{name}: []{note}")
            elif isinstance(value, Mapping):
                self.lines.append(f"{lead}{name}: {{}}{note}")
            else:
                self.lines.append(f"{lead}{name}: {_scalar(value)}{note}")

    def sequence(self, items: Any, indent: int) -> None:
        pad = " " * indent
        for item in items:
            comment, origin = None, None
            if isinstance(item, Item):
                comment, origin, item = item.comment, item.origin, item.data
            if origin is not None:
                self.starts.append(len(self.lines) + 1)
                self.origins.append(origin)
            if isinstance(item, Mapping) and item:
                self.mapping(item, indent + 2, first_prefix=f"{pad}- ", comment=comment)
            elif isinstance(item, (list, tuple)):
                self.lines.append(f"{pad}- {json.dumps(list(item), ensure_ascii=False)}")
            else:
                self.lines.append(f"{pad}- {_scalar(item)}")


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    # A JSON string is a valid YAML double-quoted scalar, with the same escapes.
    return json.dumps(text, ensure_ascii=False)
