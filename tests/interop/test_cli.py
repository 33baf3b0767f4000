"""`monitor checklists export-xlsform|import-xlsform` and `monitor visits import`, as run by people."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor.core.crypto import generate_key
from tests.interop.conftest import SUBMISSION_DATA, XLSFORM_DATA

KEY = generate_key()


def monitor(tmp_path: Path, *args: str, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")
           and k != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
               MONITOR_INSTANCE=str(tmp_path / "instance"), MONITOR_DATA_KEYS=KEY)
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=600)


def test_export_then_import_a_checklist(tmp_path):
    form = tmp_path / "core.xlsx"
    exported = monitor(tmp_path, "checklists", "export-xlsform", "core", "--out", str(form))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip().endswith("296 questions in 49 groups of core v1.")
    installed = monitor(tmp_path, "checklists", "import-xlsform", str(form), "--dry-run")
    assert installed.returncode == 0, installed.stderr  # a dry run notes the clash only
    assert "note: The checklist 'core' version 1 is already installed" in installed.stderr
    refused = monitor(tmp_path, "checklists", "import-xlsform", str(form))
    assert refused.returncode == 1
    assert "'core' version 1 is already installed" in refused.stderr
    out = tmp_path / "copy"
    dry = monitor(tmp_path, "checklists", "import-xlsform", str(form), "--dry-run", "--out",
                  str(out))
    assert dry.returncode == 0, dry.stderr
    assert f"would write {out / 'checklist.yaml'}" in dry.stdout
    assert dry.stdout.strip().splitlines()[-1] == (
        "dry run: checklist core v1: 49 sections, 296 questions, 13 red flags (0 error(s), "
        "0 warning(s))")
    assert not out.exists()
    done = monitor(tmp_path, "checklists", "import-xlsform", str(form), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "checklist.yaml").is_file() and (out / "health.yaml").is_file()
    checked = monitor(tmp_path, "checklists", "validate", str(out))
    assert checked.returncode == 0, checked.stderr


def test_import_problems_are_given_by_sheet_and_row(tmp_path):
    result = monitor(tmp_path, "checklists", "import-xlsform",
                     str(XLSFORM_DATA / "broken_form.xlsx"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "Error: broken_form.xlsx: 7 error(s), 2 warning(s); nothing was written."
    assert all(line.startswith(("sheet survey, row ", "sheet settings, row "))
               for line in lines[:-1])
    assert any(line.startswith("sheet survey, row 6: the calculation of 'guess'")
               for line in lines)
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in result.stderr


def test_export_refuses_unknown_sections_and_other_file_kinds(tmp_path):
    unknown = monitor(tmp_path, "checklists", "export-xlsform", "core", "--out",
                      str(tmp_path / "f.xlsx"), "--sections", "health,nope")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: The checklist 'core' has no section 'nope'.")
    wrong = monitor(tmp_path, "checklists", "export-xlsform", "core", "--out",
                    str(tmp_path / "f.xls"))
    assert wrong.returncode == 2


def test_visits_import_summary_and_reimport(tmp_path):
    assert monitor(tmp_path, "db", "upgrade").returncode == 0
    created = monitor(tmp_path, "users", "create", "coord@example.org", "--role", "coordinator",
                      "--org", "Red de Prueba", stdin="a long enough phrase\n")
    assert created.returncode == 0, created.stderr
    places = tmp_path / "places.csv"
    places.write_text("name,country,other names\nCentro de Estancia Temporal Norte,MEX,CETN\n",
                      encoding="utf-8")
    assert monitor(tmp_path, "facilities", "import", str(places)).returncode == 0
    source = str(SUBMISSION_DATA / "central_odata.json")
    dry = monitor(tmp_path, "visits", "import", source, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().splitlines()[-1] == (
        "dry run: created 3, updated 0, unchanged 0, rejected 1")
    assert "row 1: would create a visit to F-" in dry.stdout
    first = monitor(tmp_path, "visits", "import", source, "--org", "Red de Prueba")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "created 3, updated 0, unchanged 0, rejected 1"
    assert "row 3, column dm_facility_id: no facility of the registry" in first.stderr
    again = monitor(tmp_path, "visits", "import", source, "--as", "coord@example.org")
    assert again.stdout.strip().splitlines()[-1] == (
        "created 0, updated 0, unchanged 3, rejected 1")
    unreadable = tmp_path / "export.pdf"
    unreadable.write_bytes(b"%PDF-1.4 not a table")
    failed = monitor(tmp_path, "visits", "import", str(unreadable), "--checklist", "core")
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: cannot read export.pdf")
