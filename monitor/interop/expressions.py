"""Bring an expression from an XLSForm written elsewhere into the checklist language.

The checklist language is the part of XPath that XLSForm forms use most (see
``checklists/README.md``). A few other ODK functions have a faithful or close counterpart and
are rewritten, each with a warning that says what changed:

- ``once(x)`` becomes ``x``: a checklist computes a value from the answers every time, so a
  value frozen at the first computation has no counterpart; for a value of the answers alone
  the result is the same.
- ``now()`` becomes ``today()``: the date without the time of day.
- ``string(x)`` becomes ``concat(x)``: the same text.

Everything else outside the language is refused with a sentence naming it: ``regex()``,
``jr:choice-name()``, ``pulldata()``, ``indexed-repeat()``, ``position()``, XPath paths
(``/data/group/q``, ``../q``, ``current()``)... The caller decides what a refusal means for
the row (see :mod:`monitor.interop.xlsform_import`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.checklists.expr import FUNCTIONS, ExpressionError, parse

__all__ = ["Converted", "convert", "rename_references"]

_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
_CALL = re.compile(r"(?<![\w$.:-])([A-Za-z_][\w.:-]*)\s*\(")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_PATH = re.compile(r"(?:^|[\s(,=<>!+*])(?:\.\./|/[A-Za-z_])")

#: Operator words that may stand before a bracket: ``a and (b or c)``.
_OPERATORS = frozenset({"and", "or", "div", "mod"})

#: Why some common ODK functions cannot be kept, for the message.
_WHY = {
    "jr:choice-name": "it shows the label of a choice, and checklists compare choice codes "
                      "(write the code, such as ${q} = 'yes')",
    "regex": "checklists have no pattern matching",
    "pulldata": "it reads a CSV file attached to the form",
    "indexed-repeat": "checklists have no repeats",
    "position": "checklists have no repeats",
    "current": "checklists refer to questions only as ${name}",
    "instance": "checklists have no secondary instances",
    "format-date": "checklists compare dates as YYYY-MM-DD text",
    "random": "a checklist computes the same value from the same answers",
    "uuid": "a checklist computes the same value from the same answers",
}

#: Functions rewritten into the language, and what the warning says.
_REWRITES = {
    "once": "once() is left out: the value is computed again whenever the answers it uses "
            "change",
    "now": "now() becomes today(): the date without the time of day",
    "string": "string() becomes concat(), which gives the same text",
}


@dataclass
class Converted:
    """The result of :func:`convert`: the expression in the checklist language, or why not.

    :ivar text: canonical text (``None`` when refused).
    :ivar references: question names the expression uses.
    :ivar warnings: sentences about what a rewrite changed.
    :ivar error: why the expression cannot be kept (``None`` when it can).
    """

    text: str | None
    references: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def rename_references(text: str, renames: Mapping[str, str]) -> str:
    """Rewrite ``${old}`` as ``${new}`` for every renamed question."""
    return _REFERENCE.sub(lambda m: "${" + renames.get(m.group(1).strip(), m.group(1).strip())
                          + "}", text)


def convert(text: str, renames: Mapping[str, str] | None = None) -> Converted:
    """Turn an XLSForm expression into the checklist language.

    :param text: the expression as written in the form.
    :param renames: question names the import changed (old → new).
    :returns: the canonical text and its references, or the reason it cannot be kept.
    """
    written = rename_references(text.strip(), renames or {})
    bare = _STRING.sub("''", written)  # so that text inside quotes is never taken for code
    if _PATH.search(" " + bare):
        return Converted(None, error="it uses an XPath path; refer to questions as ${name}")
    warnings: list[str] = []
    for name in dict.fromkeys(_CALL.findall(bare)):
        if name in FUNCTIONS or name in _OPERATORS:
            continue
        if name in _REWRITES:
            warnings.append(_REWRITES[name])
            continue
        why = _WHY.get(name)
        reason = f": {why}" if why else ""
        return Converted(None, error=f"it uses {name}(), which checklists do not have{reason}. "
                                     f"Functions checklists know: {', '.join(sorted(FUNCTIONS))}")
    rewritten = _unwrap(written, "once")
    rewritten = re.sub(r"(?<![\w$.:-])now\s*\(\s*\)", "today()", rewritten)
    rewritten = re.sub(r"(?<![\w$.:-])string\s*\(", "concat(", rewritten)
    try:
        expression = parse(rewritten)
    except ExpressionError as error:
        return Converted(None, error=f"it cannot be read: {error.message}")
    return Converted(expression.to_xlsform(), expression.references, warnings)


def _unwrap(text: str, function: str) -> str:
    """Replace every ``function(x)`` by ``(x)``, brackets matched outside quoted text."""
    pattern = re.compile(rf"(?<![\w$.:-]){re.escape(function)}\s*\(")
    while True:
        match = next((m for m in pattern.finditer(text) if not _inside_quotes(text, m.start())),
                     None)
        if match is None:
            return text
        depth, index, quote = 1, match.end(), ""
        while index < len(text) and depth:
            char = text[index]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            index += 1
        if depth:
            return text  # unbalanced: let the parser say where
        text = f"{text[:match.start()]}({text[match.end():index - 1]}){text[index:]}"


def _inside_quotes(text: str, position: int) -> bool:
    quote = ""
    for char in text[:position]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
    return bool(quote)
