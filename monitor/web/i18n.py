"""Languages: which one a page is shown in, and the switch between them.

The page language is, in order of preference:

1. a ``?lang=xx`` in the address (a link shared in one language opens in it, and is remembered);
2. the language chosen with the switch in the page header, kept in the session;
3. the signed-in person's own setting (``User.language``, saved when they use the switch);
4. the last choice made in this browser, kept in a cookie of its own: signing in or out
   clears the session, and the pages should not change language because of it;
5. the browser's ``Accept-Language``;
6. the first language of ``MONITOR_LANGUAGES`` (see :mod:`monitor.core.settings`).

The set of languages is a setting, not code: adding one needs its code in ``MONITOR_LANGUAGES``
and a catalogue in ``monitor/translations/<code>/LC_MESSAGES/messages.po`` (compiled to ``.mo``
at install). English is the language of the source and needs no catalogue. WTForms' own
messages ("This field is required.") follow the same locale through Flask-WTF, which loads
WTForms' catalogues for it.

Messages written below the web layer (a service's :class:`~monitor.core.errors.InputError`, an
answer refused by the checklist, a row of an imported file) arrive as English
:class:`~monitor.core.messages.Message` objects that keep their template; :func:`localise`
shows them in the page's language.
"""

from __future__ import annotations

import enum
import functools
import logging
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations, gettext

from monitor.checklists.schema import LocalText
from monitor.core import paths
from monitor.core.errors import message_of
from monitor.core.messages import translated
from monitor.core.settings import Settings

logger = logging.getLogger(__name__)

#: Where the message catalogues live: ``<code>/LC_MESSAGES/messages.po`` and ``.mo``.
TRANSLATIONS = paths.PACKAGE / "translations"
#: The language the interface is written in: it needs no catalogue.
SOURCE_LANGUAGE = "en"
#: Session key of the language chosen with the switch.
SESSION_KEY = "lang"
#: Cookie remembering the browser's last choice across sessions (not sensitive: a language code).
COOKIE = "monitor_lang"
COOKIE_DAYS = 365


def _settings() -> Settings:
    return current_app.extensions["monitor.settings"]


def select_locale() -> str:
    """Return the code of the language this request is shown in (Flask-Babel's selector)."""
    settings = _settings()
    languages = list(settings.languages)
    if not has_request_context():
        return settings.default_language
    chosen = request.args.get("lang")
    if chosen in languages:
        session[SESSION_KEY] = chosen
        return chosen
    if session.get(SESSION_KEY) in languages:
        return session[SESSION_KEY]
    user = g.get("user")
    if user is not None and user.language in languages:
        return user.language
    if request.cookies.get(COOKIE) in languages:
        return request.cookies[COOKIE]
    return request.accept_languages.best_match(languages) or settings.default_language


@functools.lru_cache(maxsize=32)
def language_name(code: str) -> str:
    """The name of a language in that language, as a switch shows it: "Español", "English"."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    """(code, name in that language) for every configured language, in the settings' order."""
    return [(code, language_name(code)) for code in _settings().languages]


def catalogue_path(code: str, folder: Path = TRANSLATIONS) -> Path:
    """Where the compiled catalogue of *code* is read from."""
    return folder / code / "LC_MESSAGES" / "messages.mo"


def missing_catalogues(languages: tuple[str, ...], folder: Path = TRANSLATIONS) -> list[str]:
    """The configured languages (other than English) that have no compiled catalogue yet."""
    return [code for code in languages
            if code != SOURCE_LANGUAGE and not catalogue_path(code, folder).is_file()]


def localise(value: Any) -> str:
    """*value* as the page's reader should see it: a domain message (or an error raised with
    one) translated into the page's language, its values filled in; other text as it is.

    Stored codes among the values (a visit's state, a role) are shown by their label, and
    checklist texts in the page's language, as the ``label`` filter shows them on pages.
    """
    if isinstance(value, BaseException):
        value = message_of(value)
    return translated(value, gettext, _describe, _ngettext)


def _ngettext(singular: str, plural: str, count: int) -> str:
    # The catalogue's own lookup: Flask-Babel's ngettext would format the text already.
    return get_translations().ngettext(singular, plural, count)


def _describe(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        from monitor.web.filters import CODE_LABELS  # the page filters import the services

        label = CODE_LABELS.get(type(value), {}).get(value)
        return str(label) if label is not None else value.value
    if isinstance(value, LocalText):
        return value.get(str(get_locale() or SOURCE_LANGUAGE))
    return value


def register(app: Flask, settings: Settings) -> None:
    """Install Flask-Babel with our locale selector and translation folder."""
    Babel(app, locale_selector=select_locale,
          default_translation_directories=str(TRANSLATIONS))
    # Flask-WTF translates WTForms' built-in messages with the same locale (the default, made
    # explicit here because the forms rely on it).
    app.config.setdefault("WTF_I18N_ENABLED", True)
    for code in missing_catalogues(settings.languages):
        # Not fatal: pages still work, in English. The usual cause is a checkout where the
        # catalogues were never compiled (`./run setup` does it).
        logger.warning("language %s has no compiled catalogue at %s: its pages will show "
                       "English; run `pybabel compile -d monitor/translations`",
                       code, catalogue_path(code).relative_to(paths.PACKAGE.parent))

    @app.context_processor
    def languages() -> dict[str, object]:
        return {"language_choices": language_choices()}

    @app.after_request
    def remember_in_browser(response: Response) -> Response:
        chosen = session.get(SESSION_KEY)
        if chosen in settings.languages and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=COOKIE_DAYS * 24 * 3600,
                                secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
                                httponly=True, samesite="Lax")
        return response
