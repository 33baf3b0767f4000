"""Language names in XLSForm column headers: ``label::Español (es)`` ↔ the code ``es``.

XLSForm names a translation by the text after ``::`` in a header; ODK and KoboToolbox show that
text to people choosing a language, and read a code in brackets at its end. Our exports always
write ``Name (code)``, the name in its own language. Forms written elsewhere sometimes give only
a name (``label::English``); a small table and the ISO 639 names of pycountry turn the common
ones into codes.
"""

from __future__ import annotations

import re

import pycountry

from monitor.checklists.parse import LANGUAGE_CODE
from monitor.core.text import fold

__all__ = ["column_language", "code_for_name", "display_name", "split_header"]

#: How each language is named in its own words, for the headers we write.
_OWN_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "pt": "Português",
    "ar": "العربية",
    "de": "Deutsch",
    "it": "Italiano",
    "ru": "Русский",
}

#: Names without a code that forms commonly use, folded (lower case, no accents).
_NAME_CODES = {
    "english": "en", "ingles": "en", "anglais": "en",
    "espanol": "es", "spanish": "es", "castellano": "es", "espagnol": "es",
    "francais": "fr", "french": "fr", "frances": "fr",
    "portugues": "pt", "portuguese": "pt", "portugais": "pt",
    "arabic": "ar", "arabe": "ar",
    "deutsch": "de", "german": "de",
}

_HEADER = re.compile(r"^\s*(?P<base>[^:]+?)\s*::\s*(?P<rest>.+?)\s*$")
_CODE_AT_END = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)$")


def display_name(code: str) -> str:
    """Return the header text for *code*: ``Español (es)``; unknown codes by their ISO name."""
    name = _OWN_NAMES.get(code)
    if name is None:
        found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
        if found is None and len(code) == 3:
            found = pycountry.languages.get(alpha_3=code)
        # pycountry qualifies some names ("Swahili (macrolanguage)"): keep the name itself.
        name = found.name.split(" (")[0] if found is not None else code
    return f"{name} ({code})"


def code_for_name(name: str) -> str | None:
    """Return the code of a language named without one (``Spanish`` → ``es``), if known."""
    folded = fold(name)
    if folded in _NAME_CODES:
        return _NAME_CODES[folded]
    try:
        found = pycountry.languages.lookup(name.strip())
    except LookupError:
        return None
    return getattr(found, "alpha_2", None) or getattr(found, "alpha_3", None)


def split_header(header: str) -> tuple[str, str | None]:
    """Split ``label::English (en)`` into ``("label", "English (en)")``; plain headers give ``None``.

    The base is lower-cased and its spaces become ``_`` (``constraint message`` →
    ``constraint_message``), as pyxform reads it.
    """
    match = _HEADER.match(header)
    if match is None:
        return _base(header), None
    return _base(match.group("base")), match.group("rest")


def _base(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip().lower())


def column_language(language: str) -> str | None:
    """Return the code a header's language part stands for, or ``None`` when it cannot tell.

    ``English (en)`` → ``en`` (a code in brackets wins); ``Español`` → ``es`` (by name);
    ``es`` → ``es`` (a bare code); ``Kiswahili`` → ``None``.
    """
    match = _CODE_AT_END.match(language.strip())
    if match is not None:
        code = match.group("code").replace("_", "-")
        return code if LANGUAGE_CODE.match(code) else None
    bare = language.strip()
    if LANGUAGE_CODE.match(bare):
        return bare.replace("_", "-")
    return code_for_name(bare)
