"""Which language a page is in: the switch, the account's setting, the browser, the settings.

And what follows the language: WTForms' own messages, flash messages, stored codes shown as
words, country names, and a third language added without touching code.
"""

from __future__ import annotations

import logging
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sqlalchemy import select

from monitor.core.errors import ConfigError
from monitor.core.settings import Settings
from monitor.db.models import AuditEvent, User, VisitState
from monitor.web import i18n
from tests.conftest import csrf_token, login, make_settings


def html_lang(response) -> str | None:
    found = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    return found.group(1) if found else None


def switch_forms(response) -> list[tuple[str, str, str]]:
    """(form action, language code, button text) of each language switch on the page."""
    html = response.get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)" class="inline language-switch">'
                       r'.*?name="language" value="([^"]+)".*?<button[^>]*>([^<]+)</button>',
                       html, flags=re.DOTALL)
    return [(action, code, text.strip()) for action, code, text in forms]


def switch(client, page, code: str):
    """Press the page's switch button for *code*, as a person would."""
    [(action, _code, _text)] = [f for f in switch_forms(page) if f[1] == code]
    return client.post(action, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                     "language": code, "next": "/"})


# --- the order of preference -------------------------------------------------------------------


def test_the_browser_language_is_used_when_nothing_was_chosen(client) -> None:
    assert html_lang(client.get("/", headers={"Accept-Language": "es-MX"})) == "es"
    assert html_lang(client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"})) == "es"
    assert html_lang(client.get("/", headers={"Accept-Language": "de,en;q=0.5"})) == "en"
    # No language the installation has: the first configured one.
    assert html_lang(client.get("/", headers={"Accept-Language": "de"})) == "en"


def test_the_switch_beats_the_browser_and_is_remembered(client) -> None:
    page = client.get("/", headers={"Accept-Language": "en"})
    assert switch_forms(page) == [("/language/es", "es", "Español")]  # anonymous: the session only
    response = switch(client, page, "es")
    assert response.status_code == 302
    again = client.get("/", headers={"Accept-Language": "en"})
    assert html_lang(again) == "es"
    assert switch_forms(again) == [("/language/en", "en", "English")]


def test_a_link_with_lang_opens_in_that_language_and_is_remembered(client) -> None:
    assert html_lang(client.get("/?lang=es", headers={"Accept-Language": "en"})) == "es"
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "es"
    # A language the installation does not have changes nothing.
    assert html_lang(client.get("/?lang=xx", headers={"Accept-Language": "en"})) == "es"


def test_the_account_setting_beats_the_browser(app, client, make_user, db) -> None:
    user = make_user("monitor")
    user.language = "es"
    db.commit()
    login(client, user.email)
    assert html_lang(client.get("/dashboard/", headers={"Accept-Language": "en"})) == "es"


def test_signing_in_and_out_keeps_the_language_chosen_before(client, make_user) -> None:
    user = make_user("viewer")  # no language of their own
    page = client.get("/login", headers={"Accept-Language": "en"})
    switch(client, page, "es")
    response = login(client, user.email)
    assert response.status_code == 302
    assert html_lang(client.get("/dashboard/", headers={"Accept-Language": "en"})) == "es"
    page = client.get("/dashboard/")
    client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "es"


def test_a_signed_in_switch_is_saved_to_the_account(app, make_user, db) -> None:
    user = make_user("monitor")
    first = app.test_client()
    login(first, user.email)
    page = first.get("/dashboard/", headers={"Accept-Language": "en"})
    [(action, code, text)] = switch_forms(page)
    assert (action, code, text) == ("/account/language", "es", "Español")
    response = switch(first, page, "es")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db.expire_all()
    assert db.get(User, user.id).language == "es"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.language")).one()
    assert event.user_id == user.id and event.summary == {"language": "es"}
    # Another device, another browser language: the account's choice follows the person.
    second = app.test_client()
    login(second, user.email)
    assert html_lang(second.get("/dashboard/", headers={"Accept-Language": "en"})) == "es"


def test_the_account_route_refuses_a_language_the_installation_lacks(app, client, make_user,
                                                                      db) -> None:
    user = make_user("viewer")
    login(client, user.email)
    page = client.get("/dashboard/?lang=es")
    response = client.post("/account/language", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "language": "fr", "next": "/"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "“fr” no es uno de los idiomas de esta instalación" in body
    assert "en (English), es (Español)" in body
    db.expire_all()
    assert db.get(User, user.id).language is None


def test_a_switch_without_a_csrf_token_is_refused(client, make_user) -> None:
    response = client.post("/account/language", data={"language": "es"})
    assert response.status_code == 400


# --- what follows the language -----------------------------------------------------------------


def test_wtforms_messages_and_labels_follow_the_page_language(client) -> None:
    page = client.get("/login?lang=es")
    token = csrf_token(page.get_data(as_text=True))
    spanish = client.post("/login", data={"csrf_token": token, "email": "", "password": ""})
    html = spanish.get_data(as_text=True)
    assert "Este campo es obligatorio." in html
    assert "This field is required." not in html
    assert ">Correo electrónico</label>" in html and ">Contraseña</label>" in html
    client.get("/login?lang=en")
    english = client.post("/login", data={"csrf_token": token, "email": "x", "password": ""})
    html = english.get_data(as_text=True)
    assert "This field is required." in html and "Invalid email address." in html


def test_flash_messages_follow_the_page_language(client, make_user) -> None:
    user = make_user("viewer")
    login(client, user.email)
    page = client.get("/dashboard/?lang=es")
    response = client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))},
                           follow_redirects=True)
    assert "Se cerró su sesión." in response.get_data(as_text=True)


def test_stored_codes_and_countries_are_shown_in_the_page_language(app) -> None:
    from flask import render_template_string

    template = "{{ state|label }} · {{ 'MEX'|country }} · {{ 'ZZZ'|country }} · {{ 1234567|number }}"
    with app.test_request_context("/?lang=es"):
        spanish = render_template_string(template, state=VisitState.PUBLISHED)
    with app.test_request_context("/?lang=en"):
        english = render_template_string(template, state=VisitState.PUBLISHED)
    assert spanish == "Publicada · México · ZZZ · 1.234.567"
    assert english == "Published · Mexico · ZZZ · 1,234,567"


# --- a third language, from the settings alone -------------------------------------------------


def test_the_languages_come_from_the_settings() -> None:
    assert Settings.from_env({}).languages == ("en", "es")
    spanish_first = Settings.from_env({"MONITOR_LANGUAGES": "es, en"})
    assert spanish_first.languages == ("es", "en") and spanish_first.default_language == "es"
    assert Settings.from_env({"MONITOR_LANGUAGES": "en,es,pt-BR"}).languages == ("en", "es",
                                                                                   "pt_BR")
    with pytest.raises(ConfigError, match="MONITOR_LANGUAGES.*not a language code: 'english'"):
        Settings.from_env({"MONITOR_LANGUAGES": "en,english"})
    with pytest.raises(ConfigError, match="MONITOR_LANGUAGES.*no code in it"):
        Settings.from_env({"MONITOR_LANGUAGES": " , "})


def test_a_third_language_needs_only_settings_and_a_catalogue(tmp_path, database_url,
                                                             caplog) -> None:
    from monitor.web.app import create_app

    settings = make_settings(tmp_path, database_url, languages=("en", "es", "fr"))
    with caplog.at_level(logging.WARNING, logger="monitor.web.i18n"):
        app = create_app(settings)
    # No French catalogue yet: said once at start-up, and the pages still work (in English).
    assert any("language fr has no compiled catalogue" in r.getMessage() for r in caplog.records)
    client = app.test_client()
    page = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(page) == "fr"
    assert [(code, text) for _a, code, text in switch_forms(page)] == [("en", "English"),
                                                                       ("es", "Español")]
    spanish = client.get("/?lang=es")
    assert [(code, text) for _a, code, text in switch_forms(spanish)] == [("en", "English"),
                                                                          ("fr", "Français")]


def test_missing_catalogues_are_found_per_language(tmp_path) -> None:
    assert i18n.missing_catalogues(("en", "es", "fr"), tmp_path) == ["es", "fr"]
    target = i18n.catalogue_path("fr", tmp_path)
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        write_mo(handle, Catalog(locale="fr"))
    assert i18n.missing_catalogues(("en", "es", "fr"), tmp_path) == ["es"]
    # The catalogue shipped with the code: Spanish is never missing once compiled.
    assert i18n.missing_catalogues(("en", "es")) == []
