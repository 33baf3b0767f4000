"""Messages raised below the web layer: English as text, in the page's language on a page.

Services, the answer checker and the file import raise :class:`~monitor.core.messages.Message`
objects (English templates marked ``N_``/``Nn_`` plus named values). These tests check the
message type itself, that every marked template has a Spanish translation, that domain code
builds no message from an f-string, and, through the real web app, that a Spanish page shows
them in Spanish.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.support import Translations

from monitor.core import paths
from monitor.core.errors import InputError, message_of
from monitor.core.messages import N_, Message, Nn_, sentences
from monitor.services.findings import IncompleteVisit
from tests.conftest import csrf_token, login
from tests.i18n.conftest import TRANSLATIONS, placeholders, po_path, read_catalogue

ROOT = paths.PACKAGE.parent


@pytest.fixture(scope="module")
def spanish() -> Translations:
    """The compiled Spanish catalogue, read without Flask."""
    return Translations.load(str(TRANSLATIONS), ["es"])


# --- the message type ---------------------------------------------------------------------------


def test_a_message_reads_as_english_and_keeps_its_template_and_values() -> None:
    message = N_("'%(text)s' is not a number.", text="abc")
    assert message == "'abc' is not a number."
    assert str(InputError(message)) == "'abc' is not a number."  # the CLI and the logs
    assert (message.template, message.params) == ("'%(text)s' is not a number.", {"text": "abc"})
    assert message_of(InputError(message)) is message


def test_translation_fills_the_values_into_the_translated_template(spanish) -> None:
    message = N_("'%(text)s' is not a number.", text="abc")
    assert message.translate(spanish.gettext) == "'abc' no es un número."


def test_a_message_inside_another_is_translated_too(spanish) -> None:
    inner = N_("the file is empty")
    outer = N_("cannot read %(file)s: %(reason)s", file="lista.csv", reason=inner)
    assert outer == "cannot read lista.csv: the file is empty"
    assert outer.translate(spanish.gettext) == "no se puede leer lista.csv: el archivo está vacío"


def test_plural_messages_take_the_form_the_language_needs(spanish) -> None:
    one = Nn_("row %(rows)s", "rows %(rows)s", 1, rows="4")
    three = Nn_("row %(rows)s", "rows %(rows)s", 3, rows="4, 7, 9")
    assert (one, three) == ("row 4", "rows 4, 7, 9")
    assert one.translate(spanish.gettext, ngettext=spanish.ngettext) == "fila 4"
    assert three.translate(spanish.gettext, ngettext=spanish.ngettext) == "filas 4, 7, 9"


def test_sentences_are_translated_one_by_one(spanish) -> None:
    both = sentences([N_("The facility needs a name."), N_("Capacity cannot be negative.")])
    assert both == "The facility needs a name. Capacity cannot be negative."
    assert both.translate(spanish.gettext) == (
        "El centro de detención necesita un nombre. La capacidad no puede ser negativa.")


def test_a_translation_that_breaks_its_placeholder_gives_the_english_sentence() -> None:
    message = N_("There is no visit %(id)s.", id=7)
    assert message.translate(lambda _text: "No existe la visita %(numero)s.") == (
        "There is no visit 7.")


def test_values_can_be_shown_as_the_reader_sees_them(spanish) -> None:
    message = N_("Visit %(id)s is already %(state)s.", id=3, state="submitted")
    shown = message.translate(spanish.gettext, lambda value: {"submitted": "Enviada"}.get(
        value, value))
    assert shown == "La visita 3 ya está en estado «Enviada»."


def test_a_message_survives_pickling_with_its_template() -> None:
    for message in (N_("There is no visit %(id)s.", id=7),
                    Nn_("row %(rows)s", "rows %(rows)s", 2, rows="1, 2")):
        copy = pickle.loads(pickle.dumps(message))
        assert (copy, type(copy), copy.template, copy.params) == (
            message, type(message), message.template, message.params)


# --- every marked template is translated ---------------------------------------------------------


def _marked_templates() -> list[tuple[str, tuple[str, ...], str]]:
    """(template, every form, where) for each N_/Nn_ call in the package, read from the source."""
    found = []
    for filename, line, text, _comments, _context in extract_from_dir(
            str(paths.PACKAGE), method_map=[("**.py", "python")],
            keywords={"N_": None, "Nn_": (1, 2)}):
        forms = (text,) if isinstance(text, str) else tuple(text)
        found.append((forms[0], forms, f"monitor/{filename}:{line}"))
    return found


def test_every_marked_template_has_a_spanish_translation_with_the_same_placeholders() -> None:
    marked = _marked_templates()
    assert len(marked) > 150, "the extraction found too few templates to prove anything"
    catalogue = read_catalogue(po_path("es"), "es")
    problems = []
    for template, forms, where in marked:
        entry = catalogue.get(template)
        strings = () if entry is None else (
            (entry.string,) if isinstance(entry.string, str) else tuple(entry.string))
        if entry is None or entry.fuzzy or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {template!r} ({where})")
        elif any(placeholders(s) != placeholders(forms) for s in strings):
            problems.append(f"placeholders differ: {template!r} ({where})")
    assert not problems, "\n".join(problems)


def test_the_readme_extraction_command_collects_the_marked_templates() -> None:
    command = re.search(r"pybabel extract ([^\n]+)", (ROOT / "README.md").read_text())
    assert command is not None
    assert "-k N_" in command.group(1) and "-k Nn_:1,2" in command.group(1)


#: Modules whose messages reach people through the web app. A KeyError, ValueError or TypeError
#: raised there is a programmer's error, not a message for people (the import's own ValueErrors
#: for people are checked through the _Bad and error() patterns).
DOMAIN_MODULES = [
    *sorted((paths.PACKAGE / "imports").glob("*.py")),
    paths.PACKAGE / "checklists" / "answers.py",
    *(paths.PACKAGE / "services" / f"{name}.py" for name in (
        "accounts", "catalog", "dashboards", "exports", "facilities", "facility_import",
        "findings", "interviews", "keys", "permissions", "public", "recommendations",
        "report_data", "users", "visits")),
]
#: A message built with an f-string: it cannot be looked up in a catalogue.
_F_STRING_MESSAGE = re.compile(
    r"(?:raise\s+(?!KeyError|ValueError|TypeError)\w+\(|_Bad\(|AnswerError\(|"
    r"RowProblem\(\s*[^,()]+,\s*[^,()]+,\s*|"
    r"_unreadable\(\s*path,\s*|"
    r"problems\.append\(|error\(\w+,\s*|warning\(\w+,\s*)\s*f[\"']")


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_domain_code_builds_no_message_from_an_f_string(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [text[:m.start()].count("\n") + 1 for m in _F_STRING_MESSAGE.finditer(text)]
    assert not found, f"{path.name}: f-string messages on lines {found}; mark a template with N_"


def test_the_f_string_check_sees_one() -> None:
    assert _F_STRING_MESSAGE.search('raise InputError(f"There is no visit {visit_id}.")')
    assert _F_STRING_MESSAGE.search('RowProblem(row, None, f"capacity {value} is negative")')
    assert not _F_STRING_MESSAGE.search('raise InputError(N_("There is no visit %(id)s."))')
    assert not _F_STRING_MESSAGE.search('RowProblem(row, f"{sheet}!A", N_("the cell is empty"))')


# --- through the web app, in Spanish -----------------------------------------------------------


def _spanish(client) -> None:
    """Choose Spanish for this browser, as the ``?lang=`` link of the switch does."""
    assert client.get("/login?lang=es").status_code == 200


def test_a_wrong_password_is_refused_in_spanish(client, make_user) -> None:
    user = make_user("monitor")
    _spanish(client)
    response = login(client, user.email, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "El correo electrónico o la contraseña no son correctos." in page
    assert "not right" not in page


def test_a_wrong_password_is_still_refused_in_english(client, make_user) -> None:
    user = make_user("monitor")
    client.get("/login?lang=en")
    page = login(client, user.email, "not the password").get_data(as_text=True)
    assert "The email or password is not right." in page


def test_a_missing_visit_is_reported_in_spanish(client, make_user) -> None:
    user = make_user("monitor")
    login(client, user.email)
    response = client.get("/visits/987654?lang=es")
    assert response.status_code == 404
    # The visit service says so (RecordNotFound): the error page shows it in Spanish.
    assert "No existe la visita 987654." in response.get_data(as_text=True)


def _draft(client, db, user) -> int:
    from tests.web.test_visits import make_facility, open_visit

    login(client, user.email)
    return open_visit(client, make_facility(db))


def test_text_that_is_not_a_number_is_refused_in_spanish_beside_the_question(
        client, db, make_user) -> None:
    from tests.web.test_visits import answer_access, open_section, post

    visit_id = _draft(client, db, make_user("monitor"))
    answer_access(client, visit_id)
    _spanish(client)
    page = open_section(client, visit_id, "access").fill("entry_delay_minutes", "abc")
    response = post(client, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="q-entry_delay_minutes-error"[^>]*>\s*&#39;abc&#39; no es un número\.',
                     html), "the Spanish message is not beside the question"
    assert "is not a number" not in html


def test_autosave_answers_with_the_refusal_in_spanish(client, db, make_user) -> None:
    from tests.web.test_visits import answer_access, autosave, open_section

    visit_id = _draft(client, db, make_user("monitor"))
    answer_access(client, visit_id)
    _spanish(client)
    page = open_section(client, visit_id, "access").fill("entry_delay_minutes", "3,5")
    reply = autosave(client, page).get_json()
    assert reply["errors"] == {"entry_delay_minutes": "'3,5' no es un número entero."}


def test_an_incomplete_visit_is_refused_in_spanish(app, client, db, make_user) -> None:
    from monitor.db.models import Visit
    from monitor.services import visits as visit_service
    from monitor.services.catalog import load_catalog

    monitor = make_user("monitor")
    visit_id = _draft(client, db, monitor)
    # An answer the form would refuse, stored as an import could have stored it.
    visit = db.get(Visit, visit_id)
    checklist = load_catalog(paths.CHECKLISTS).get(visit.checklist_id, visit.checklist_version)
    visit_service.save_answers(db, visit, {"visit_took_place": "yes", "entry_delay_minutes": 5000},
                               by=monitor, vault=app.extensions["monitor.vault"],
                               checklist=checklist)
    db.commit()
    overview = client.get(f"/visits/{visit_id}?lang=es").get_data(as_text=True)
    response = client.post(f"/visits/{visit_id}/submit",
                           data={"csrf_token": csrf_token(overview)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Todavía no se puede enviar la visita" in html
    # The checklist's own message for the refused answer, in the page's language.
    assert "Escriba un número de minutos entre 0 y 1440 (un día)." in html
    assert "Enter a number of minutes" not in html


def test_the_incomplete_visit_message_itself_is_one_translated_sentence(app) -> None:
    from monitor.web.i18n import localise

    error = IncompleteVisit(["a", "b"], {"c": "x"})
    assert str(error) == ("The visit cannot be submitted yet: 2 required question(s) unanswered "
                          "and 1 answer(s) not possible.")
    with app.test_request_context("/?lang=es"):
        assert localise(error) == ("La visita todavía no se puede enviar: 2 pregunta(s) "
                                   "obligatoria(s) sin respuesta y 1 respuesta(s) no posible(s).")
    with app.test_request_context("/?lang=en"):
        assert localise(error) == str(error)


def test_a_bad_row_of_a_facility_list_is_explained_in_spanish(client, make_user) -> None:
    from tests.imports.test_upload_page import plan_rows, upload

    login(client, make_user("coordinator").email)
    _spanish(client)
    content = ("name,country,latitude,longitude\n"
               "Estación Migratoria Siglo XXI,MEX,14.9056,-92.2611\n"
               "Estancia Provisional Tenosique,MEX,norte,-91.42\n").encode()
    response = upload(client, "estaciones.csv", content)
    assert response.status_code == 200
    rows = plan_rows(response)
    action, _changed, problems = rows[3]
    assert action == "reject"
    assert problems == ["fila 3, columna latitude: 'norte' no es una latitud; escríbala en grados "
                        "decimales (14.9056) o en grados, minutos y segundos (14°54'20\"N)"]
    page = response.get_data(as_text=True)
    assert "Simulación: creados 1, actualizados 0, sin cambios 0, rechazados 1" in page


def test_an_unreadable_upload_is_explained_in_spanish(client, make_user) -> None:
    from tests.imports.test_upload_page import upload

    login(client, make_user("coordinator").email)
    _spanish(client)
    response = upload(client, "vacia.csv", b"  \r\n\r\n")
    assert response.status_code == 422
    assert "no se puede leer vacia.csv: el archivo está vacío" in response.get_data(as_text=True)


def test_a_message_kept_in_english_by_the_cli() -> None:
    # The command line has no page language: the same error reads as English there.
    from monitor.imports.tables import read_table

    with pytest.raises(InputError) as caught:
        read_table(ROOT / "no-such-file.csv")
    assert str(caught.value) == "cannot read no-such-file.csv: there is no such file"
    assert isinstance(message_of(caught.value), Message)
