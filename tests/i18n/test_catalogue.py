"""Every catalogue (Spanish, and any language added later) is complete and safe to format.

The strings are extracted afresh from the source tree (Python and Jinja, with ``babel.cfg``),
so a string wrapped today without a translation fails here, not in front of a Spanish reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message

from tests.i18n.conftest import (
    PLACEHOLDER,
    ROOT,
    TRANSLATIONS,
    extract_fresh,
    placeholders,
    po_path,
    read_catalogue,
)

#: Every language with a catalogue in monitor/translations (English, the source, has none).
LANGUAGES = sorted(folder.name for folder in TRANSLATIONS.iterdir()
                   if (folder / "LC_MESSAGES" / "messages.po").is_file())
HOW_TO_FIX = (
    "Run `pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k Nn_:1,2 "
    "-o monitor/translations/messages.pot .` "
    "then `pybabel update -i monitor/translations/messages.pot -d monitor/translations`, and "
    "write the translations in monitor/translations/{lang}/LC_MESSAGES/messages.po "
    "(remove the `fuzzy` flag once a guessed translation is checked)."
)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return extract_fresh(tmp_path_factory.mktemp("extract"))


@pytest.fixture(scope="module", params=LANGUAGES)
def catalogue(request: pytest.FixtureRequest) -> Catalog:
    """Each committed catalogue in turn."""
    return read_catalogue(po_path(request.param), request.param)


def test_spanish_is_among_the_catalogues() -> None:
    assert "es" in LANGUAGES


def _where(message: Message) -> str:
    def relative(file: str) -> str:
        path = Path(file)
        return (path.relative_to(ROOT) if path.is_absolute() else path).as_posix()

    return ", ".join(f"{relative(file)}:{line}" for file, line in message.locations[:3])


def _strings(message: Message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def test_the_source_has_strings_to_translate(fresh: Catalog) -> None:
    # Guards the test below: an extraction that found nothing would make it pass vacuously.
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in fresh if m.id}
    assert len(ids) > 500
    assert {"Sign in", "Save draft", "Red flags"} <= ids  # a page chrome, a form, a result label


def test_every_extracted_string_is_translated(fresh: Catalog, catalogue: Catalog) -> None:
    problems = []
    for message in fresh:
        if not message.id:
            continue
        found = catalogue.get(message.id)
        label = message.id if isinstance(message.id, str) else message.id[0]
        if found is None:
            problems.append(f"missing: {label!r} ({_where(message)})")
        elif found.fuzzy:
            problems.append(f"fuzzy (unchecked): {label!r} ({_where(message)})")
        elif not all(s.strip() for s in _strings(found)) or len(_strings(found)) != (
                catalogue.num_plurals if message.pluralizable else 1):
            problems.append(f"empty: {label!r} ({_where(message)})")
    language = str(catalogue.locale)
    assert not problems, (f"{len(problems)} strings lack a translation into '{language}':\n  "
                          + "\n  ".join(problems) + "\n" + HOW_TO_FIX.format(lang=language))


def test_no_sentence_is_left_in_english(catalogue: Catalog) -> None:
    # A translation copied from the English text passes the completeness test above but leaves
    # English on the page. Short texts may rightly stay as they are ("m²", "Detention Monitor").
    copied = [f"{message.id!r} (line {message.lineno})" for message in catalogue
              if message.id and isinstance(message.id, str)
              and len(PLACEHOLDER.sub("", message.id).split()) >= 4
              and message.string.strip() == message.id.strip()]
    assert not copied, "Translations identical to the English text:\n  " + "\n  ".join(copied)


def test_translations_keep_every_placeholder(catalogue: Catalog) -> None:
    problems = []
    for message in catalogue:
        if not message.id or not any(_strings(message)):
            continue
        expected = placeholders(message.id)
        for form, text in enumerate(_strings(message)):
            got = placeholders(text)
            if got != expected:
                problems.append(f"{message.id!r} (line {message.lineno}, form {form}): "
                                f"msgid has {sorted(expected)}, translation has {sorted(got)}")
    assert not problems, ("A translation must use exactly the %(name)s placeholders of its "
                          "English text, or formatting the page fails or drops a value:\n  "
                          + "\n  ".join(problems))


def test_catalogue_passes_babel_own_checks(catalogue: Catalog) -> None:
    # The checks `pybabel compile` runs (python-format compatibility, plural counts): an
    # error there makes the compile step of ./run setup fail.
    errors = [f"line {message.lineno}: {message.id!r}: {'; '.join(map(str, found))}"
              for message, found in catalogue.check()]
    assert not errors, "\n".join(errors)


def test_placeholder_check_sees_a_dropped_or_renamed_placeholder() -> None:
    assert placeholders("Visit to %(name)s on %(date)s") == {"name", "date"}
    assert placeholders("Visita a %(nombre)s") != placeholders("Visit to %(name)s")
    assert placeholders(("%(num)d visit", "%(num)d visits")) == {"num"}
    assert placeholders("100%% of %(n)0.1f") == {"n"}
