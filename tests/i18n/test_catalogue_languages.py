"""The languages of the standards catalogue are data: declared in the file, not in the code.

A third language is added by declaring it in ``standards.yaml`` (``languages:``) and writing
its texts and its ``wording:``; findings are then stored, and reports accepted, in it too.
"""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.compliance.standards import load_catalogue
from monitor.compliance.stored import finding_sentence
from monitor.core import paths
from monitor.core.errors import ChecklistError, InputError
from monitor.db.models import AreaScore, Finding
from monitor.services import report_data
from monitor.services import visits as visit_service
from monitor.services.catalog import ChecklistCatalog, load_catalog
from monitor.services.facilities import FacilityData, create_facility
from monitor.services.findings import evaluate_visit, store_evaluation

THREE_LANGUAGES = """
languages: [en, es, fr]
wording:
  operators:
    ">=": {en: at least, es: al menos, fr: au moins}
    ">": {en: more than, es: más de, fr: plus de}
    "<=": {en: at most, es: como máximo, fr: au plus}
    "<": {en: less than, es: menos de, fr: moins de}
    "==": {en: exactly, es: exactamente, fr: exactement}
  units:
    hours: {en: [hour, hours], es: [hora, horas], fr: [heure, heures]}
    day: {en: [day, day], es: [día, día], fr: [jour, jour]}
  to_verify: {en: to be verified, es: por verificar, fr: à vérifier}
sources:
  - id: mandela-2015
    title: {en: Standard Minimum Rules, es: Reglas Mínimas, fr: Règles minima}
    short: {en: Nelson Mandela Rules, es: Reglas Nelson Mandela, fr: Règles Nelson Mandela}
    publisher: UN General Assembly
    year: 2015
    kind: soft_law
    jurisdiction: international
standards:
  - id: mandela-r23
    source: mandela-2015
    cite: {en: "Rule 23(1)", es: "regla 23.1", fr: "règle 23.1"}
    jurisdiction: international
    binding: soft_law
    areas: [regime.outdoor_exercise]
    threshold: {measure: outdoor_hours, operator: ">=", value: 2, unit: hours/day}
    uncertain: true
    uncertain_note:
      en: The figure was recalled.
      es: La cifra se citó de memoria.
      fr: Le chiffre est cité de mémoire.
    paraphrase:
      en: Two hours outdoors a day.
      es: Dos horas diarias al aire libre.
      fr: Deux heures par jour en plein air.
"""

AREAS = """
areas:
  - id: regime
    name: {en: Regime, es: Régimen, fr: Régime}
    parent: null
    order: 1
    standards: [mandela-r23]
  - id: regime.outdoor_exercise
    name: {en: Outdoor exercise, es: Ejercicio al aire libre, fr: Exercice en plein air}
    parent: regime
    standards: [mandela-r23]
"""


def _write(folder: Path, standards: str, areas: str = AREAS) -> tuple[Path, Path]:
    paths_ = folder / "standards.yaml", folder / "areas.yaml"
    for path, text in zip(paths_, (standards, areas)):
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return paths_


def test_the_shipped_catalogue_declares_its_languages() -> None:
    catalogue = load_catalog(paths.CHECKLISTS).standards
    assert catalogue.languages == ("en", "es")
    assert catalogue.standard("cbp-teds-4.1").uncertain_note_text.get("es").strip()


def test_a_third_language_declared_in_the_file_needs_no_code(tmp_path: Path) -> None:
    catalogue = load_catalogue(*_write(tmp_path, THREE_LANGUAGES))
    assert catalogue.languages == ("en", "es", "fr")
    standard = catalogue.standard("mandela-r23")
    assert standard.threshold.describe("fr") == "au moins 2 heures/jour"
    assert standard.threshold.describe("es") == "al menos 2 horas/día"
    assert standard.citation("fr", flag_uncertain=True) == (
        "Règles Nelson Mandela, règle 23.1 (à vérifier)")
    assert standard.uncertain_note_text.get("fr") == "Le chiffre est cité de mémoire."
    assert standard.threshold.describe("de") == "at least 2 hours/day"  # not declared: English


def test_a_declared_language_without_its_texts_is_reported(tmp_path: Path) -> None:
    text = (THREE_LANGUAGES.replace("      fr: Deux heures par jour en plein air.\n", "")
            .replace(", fr: à vérifier}", "}"))
    with pytest.raises(ChecklistError) as caught:
        load_catalogue(*_write(tmp_path, text))
    fields = {problem.field: str(problem) for problem in caught.value.problems}
    assert "French" in fields["standards[mandela-r23].paraphrase"]
    assert "French" in fields["wording.to_verify"]


def test_the_threshold_words_come_from_the_file(tmp_path: Path) -> None:
    catalogue = load_catalogue(*_write(tmp_path, THREE_LANGUAGES.replace(
        "es: al menos,", "es: por lo menos,")))
    assert catalogue.standard("mandela-r23").threshold.describe("es") == (
        "por lo menos 2 horas/día")


def test_reports_are_accepted_in_the_catalogue_languages_only() -> None:
    assert report_data.check_language("fr", ("en", "es", "fr")) == "fr"
    with pytest.raises(InputError) as caught:
        report_data.check_language("de", ("en", "es"))
    assert str(caught.value) == "Reports are written in en, es, not 'de'."


def test_findings_are_said_in_every_language_of_the_catalogue(app, db, make_user) -> None:
    shipped = load_catalog(paths.CHECKLISTS)
    # The shipped catalogue with a third language declared (its texts fall back to English).
    catalog = ChecklistCatalog(dataclasses.replace(shipped.standards,
                                                   languages=("en", "es", "fr")),
                               shipped.checklists)
    monitor = make_user("monitor")
    vault = app.extensions["monitor.vault"]
    facility = create_facility(db, FacilityData(name="Estación Migratoria", country="MEX"))
    checklist = catalog.get("core")
    visit = visit_service.create_visit(db, facility=facility, by=monitor, checklist=checklist,
                                       start_date=date(2025, 3, 1))
    visit_service.save_answers(db, visit, {"visit_took_place": "yes", "entry_delay_minutes": 45},
                               by=monitor, vault=vault, checklist=checklist)
    store_evaluation(db, visit, evaluate_visit(visit, catalog, vault), catalog)
    db.commit()
    findings = db.scalars(select(Finding).where(Finding.visit_id == visit.id)).all()
    areas = db.scalars(select(AreaScore).where(AreaScore.visit_id == visit.id)).all()
    assert findings and areas
    # Sentences are said from the stored evidence, in any catalogue language (a third falls
    # back to the English words of the engine); area rules are stored in each.
    for finding in findings:
        for language in ("en", "es", "fr"):
            assert finding_sentence(finding, catalog.standards, language)
        assert finding_sentence(finding, catalog.standards, "es") != finding_sentence(
            finding, catalog.standards, "en")
    assert all(set(a.rating_rule) == {"en", "es", "fr"} for a in areas)
