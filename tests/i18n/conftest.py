"""Shared pieces of the language tests: the catalogues, fresh extraction, visible page text.

The compiled catalogues (``.mo``) are not committed: ``./run setup`` builds them from the
``.po`` files. So that a test never reads a stale one, the session compiles any ``.mo`` that is
missing or older than its ``.po`` first — exactly what the setup step does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from monitor.core import paths

ROOT = paths.PACKAGE.parent
TRANSLATIONS = paths.PACKAGE / "translations"
BABEL_CFG = ROOT / "babel.cfg"
#: The extraction command of the README, minus the output file.
EXTRACT = ["pybabel", "extract", "-F", str(BABEL_CFG), "-k", "_l", "-k", "lazy_gettext",
           "-k", "N_", "-k", "Nn_:1,2", "--no-wrap"]
#: Named placeholders as Python's % formatting reads them: %(name)s, %(num)d, %(n)0.1f.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def extract_fresh(folder: Path) -> Catalog:
    """Extract every wrapped string of the source tree now, as the README says to."""
    output = folder / "fresh.pot"
    CommandLineInterface().run([*EXTRACT, "-o", str(output), str(ROOT)])
    return read_catalogue(output)


def placeholders(text: str | tuple[str, ...]) -> set[str]:
    parts = (text,) if isinstance(text, str) else text
    return {name for part in parts for name in PLACEHOLDER.findall(part or "")}


def compile_if_stale(language: str) -> Path:
    """Compile ``<language>``'s ``.po`` to ``.mo`` when the ``.mo`` is missing or older."""
    source = po_path(language)
    target = source.with_suffix(".mo")
    if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
        catalogue = read_catalogue(source, language)
        with target.open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)
    return target


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> Iterator[None]:
    for folder in sorted(TRANSLATIONS.iterdir()):
        if (folder / "LC_MESSAGES" / "messages.po").exists():
            compile_if_stale(folder.name)
    yield


# --- what a person sees on a page --------------------------------------------------------------

#: Attributes whose text is read out or shown (tooltips, screen readers, buttons).
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description"}


@dataclass
class PageText:
    """The visible text of a page, and what its markup says about language."""

    text: str
    lang: str | None


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lang: str | None = None
        self._hidden = 0  # depth inside <script>, <style>, <template>
        self._json: list[str] | None = None  # inside a JSON data block (messages for scripts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "script" and values.get("type") == "application/json":
            self._json = []
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        if tag == "script" and self._json is not None:
            # Messages a page script shows later (autosave status, alerts) are text too.
            try:
                self.parts.extend(_strings(json.loads("".join(self._json))))
            except ValueError:
                pass  # not JSON after all: nothing a person reads
            self._json = None

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
        elif not self._hidden:
            self.parts.append(data)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def page_text(html: str) -> PageText:
    """The text a person reads on *html* (scripts and styles left out), spaces normalised."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return PageText(" ".join(" ".join(parser.parts).split()), parser.lang)
