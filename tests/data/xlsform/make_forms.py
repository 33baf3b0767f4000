"""Write the hand-made XLSForm fixtures of the interop tests (``field_form.xlsx``, ``broken_form.xlsx``).

Run once, by hand, after changing a form here: ``python tests/data/xlsform/make_forms.py``.
The .xlsx files are committed. Both forms imitate what people build in KoboToolbox's form
builder or in a spreadsheet, with the features a checklist cannot hold (repeats, notes,
locations, photos, choice filters, regex constraints...). The facilities and places are
invented.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

SURVEY_HEADER = ["type", "name", "label::English (en)", "label::Français (fr)",
                 "hint::English (en)", "hint::Français (fr)", "required", "relevant",
                 "constraint", "constraint_message::English (en)",
                 "constraint_message::Français (fr)", "calculation", "appearance",
                 "choice_filter", "default"]

# One list per row, in SURVEY_HEADER order; the comment is the spreadsheet row number.
FIELD_SURVEY = [
    ["start", "start"],  # 2
    ["end", "end"],  # 3
    ["deviceid", "deviceid"],  # 4
    ["note", "intro", "Welcome to the visit form", "Bienvenue"],  # 5
    ["begin_group", "site", "The site", "Le lieu"],  # 6
    ["text", "site_name", "Name of the site", "Nom du lieu", None, None, "yes"],  # 7
    ["select_one region", "region", "Region", "Région"],  # 8
    ["select_one district", "district", "District", "District", None, None, None, None, None,
     None, None, None, None, "region=${region}"],  # 9
    ["geopoint", "location", "Location", "Position"],  # 10
    ["integer", "capacity", "Official capacity", "Capacité officielle", None, None, "yes", None,
     ". >= 0", "Cannot be negative", "Ne peut pas être négatif"],  # 11
    ["integer", "population", "People held today", "Personnes détenues aujourd'hui",
     "Count everyone", "Comptez tout le monde", "true", None, ". >= 0 and . <= 5000",
     "Between 0 and 5000", "Entre 0 et 5000"],  # 12
    ["calculate", "occupancy", None, None, None, None, None, None, None, None, None,
     "${population} div ${capacity}"],  # 13
    ["begin_group", "conditions", "Living conditions", "Conditions de vie", None, None, None,
     "${population} > 0"],  # 14
    ["select_one yn", "beds", "Does everyone have a bed?", "Chacun a-t-il un lit ?"],  # 15
    ["text", "beds_notes", "Notes on beds", "Notes sur les lits", None, None, None,
     "${beds} = 'no'", None, None, None, None, "multiline"],  # 16
    ["select_multiple problems", "problems", "Problems seen", "Problèmes constatés"],  # 17
    ["end_group"],  # 18
    ["end_group"],  # 19
    ["begin_repeat", "interviews", "Interviews", "Entretiens"],  # 20
    ["text", "interviewee_code", "Code", "Code"],  # 21
    ["integer", "interviewee_age", "Age", "Âge"],  # 22
    ["end_repeat"],  # 23
    ["image", "photo", "Photo of the entrance", "Photo de l'entrée"],  # 24
    ["text", "phone", "Contact phone", "Téléphone", None, None, None, None,
     "regex(., '^[0-9 ]+$')", "Digits only", "Chiffres seulement"],  # 25
    ["date", "visit_day", "Day of the visit", "Jour de la visite", None, None, None, None,
     None, None, None, None, None, None, "today()"],  # 26
    ["calculate", "stamp", "Date stamp", "Horodatage", None, None, None, None, None, None,
     None, "once(today())"],  # 27
    ["text", "final_remarks", "Final remarks", "Remarques finales"],  # 28
]

FIELD_CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)", "region"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "no", "No", "Non"],
    ["region", "north", "North", "Nord"],
    ["region", "south", "South", "Sud"],
    ["district", "d1", "Harbour district", "Quartier du port", "north"],
    ["district", "d2", "Hill district", "Quartier de la colline", "south"],
    ["problems", "crowding", "Crowding", "Surpeuplement"],
    ["problems", "vermin", "Vermin", "Nuisibles"],
    ["problems", "heat", "Heat", "Chaleur"],
    ["leftover", "a", "Leftover", "Reste"],
]

FIELD_SETTINGS = [["form_title", "form_id", "version", "default_language", "style"],
                  ["Field visit", "field_visit", "2024031501", "English (en)", "pages"]]

BROKEN_SURVEY = [
    ["begin_group", "main", "Main", "Principal"],  # 2
    ["geopoint", "where", "Where", "Où"],  # 3
    ["select_one yn", "open", "Is it open?", "Est-ce ouvert ?"],  # 4
    ["text", "who", "Who runs it?", "Qui le gère ?", None, None, None,
     "jr:choice-name(${open}, '${open}') = 'Yes'"],  # 5
    ["calculate", "guess", "Guess", "Estimation", None, None, None, None, None, None, None,
     "pulldata('places', 'size', 'name', ${who})"],  # 6
    ["integer", "distance", "Distance", "Distance", None, None, None, "${where} != ''"],  # 7
    ["select_one sizes", "size", "Size", "Taille"],  # 8
    ["text", "who", "Again who", "Encore qui"],  # 9
    ["text", "untranslated", "Only in English", None],  # 10
    ["end_group"],  # 11
    ["end_group"],  # 12
]

BROKEN_CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "no", "No", "Non"],
]

BROKEN_SETTINGS = [["form_title", "form_id", "version", "default_language"],
                   ["Broken", "broken_form", "1", "English (en)"]]


def write(path: Path, survey: list[list], choices: list[list], settings: list[list]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(SURVEY_HEADER)
    for row in survey:
        sheet.append(row)
    for title, rows in (("choices", choices), ("settings", settings)):
        extra = book.create_sheet(title)
        for row in rows:
            extra.append(row)
    book.save(path)


if __name__ == "__main__":
    write(HERE / "field_form.xlsx", FIELD_SURVEY, FIELD_CHOICES, FIELD_SETTINGS)
    write(HERE / "broken_form.xlsx", BROKEN_SURVEY, BROKEN_CHOICES, BROKEN_SETTINGS)
