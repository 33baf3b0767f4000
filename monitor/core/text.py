"""Text helpers shared by search, import matching and exports."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)


def fold(text: str | None) -> str:
    """Return *text* lower-cased, without accents or punctuation, spaces collapsed.

    ``fold("Estación Migratoria  Siglo XXI")`` → ``"estacion migratoria siglo xxi"``: the key for
    accent-insensitive search and for matching names across files.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = _NOT_WORD.sub(" ", stripped.casefold())
    return _SPACES.sub(" ", stripped).strip()


def clean(text: str | None) -> str:
    """Trim and collapse white space, normalising to NFC (for names typed by people)."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()
