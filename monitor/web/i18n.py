"""Languages: which one a page is shown in, and the switch between them.

Order of preference: the language chosen with the switch (kept in the session), the signed-in
user's setting, then the browser's Accept-Language. Adding a language needs only a catalogue in
``monitor/translations`` and its code in ``MONITOR_LANGUAGES``; no code changes.
"""

from __future__ import annotations

from flask import Flask, g, request, session
from flask_babel import Babel

from monitor.core import paths
from monitor.core.settings import Settings


def select_locale() -> str:
    settings: Settings = g.get("settings_for_locale")  # set in register()
    languages = list(settings.languages)
    chosen = request.args.get("lang") if request else None
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    user = g.get("user")
    if user is not None and user.language in languages:
        return user.language
    return request.accept_languages.best_match(languages) or settings.default_language


def register(app: Flask, settings: Settings) -> None:
    """Install Flask-Babel with our locale selector and translation folder."""

    @app.before_request
    def remember_settings() -> None:
        g.settings_for_locale = settings

    Babel(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(paths.PACKAGE / "translations"),
    )
