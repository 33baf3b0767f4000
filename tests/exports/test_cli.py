"""`monitor export` as operators run it, and facility exports that import back unchanged."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.exports.support import MARK, read_csv, read_geojson, text_of


@pytest.fixture
def run(world, tmp_path):
    """Run `monitor …` on a copy of the demo database (imports must not touch the original)."""
    source = Path(make_url(world.settings.database_url).database)
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(source, copy)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{copy}", MONITOR_INSTANCE=str(tmp_path / "instance"),
               MONITOR_DATA_KEYS=world.settings.data_keys[0])

    def monitor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "monitor", *args], env=env, text=True,
                              capture_output=True, timeout=600, check=False)

    return monitor


@pytest.mark.parametrize(("fmt", "public"), [("csv", False), ("geojson", True),
                                             ("xlsx", False)])
def test_exported_facilities_import_back_unchanged(run, tmp_path, fmt, public):
    out = tmp_path / f"facilities.{fmt}"
    exported = run("export", "facilities", "--format", fmt, "--out", str(out),
                   *(["--public"] if public else []))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("17 facilities written to")
    if fmt == "geojson":
        assert len(read_geojson(out)["features"]) == 17

    imported = run("facilities", "import", str(out))

    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().splitlines()[-1] == (
        "created 0, updated 0, unchanged 17, rejected 0")
    assert "error" not in imported.stderr.lower()


def test_an_edited_export_updates_only_what_changed(run, tmp_path):
    out = tmp_path / "facilities.csv"
    assert run("export", "facilities", "--out", str(out)).returncode == 0
    rows = read_csv(out)
    header = rows[0]
    rows[1][header.index("capacity")] = "999"
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    checked = run("facilities", "import", str(edited), "--dry-run")
    assert f"row 2: would update {rows[1][1]} (capacity)" in checked.stdout
    assert checked.stdout.strip().splitlines()[-1] == (
        "dry run: created 0, updated 1, unchanged 16, rejected 0")


def test_visits_wide_csv_comes_with_its_dictionary(run, tmp_path):
    out = tmp_path / "visits.csv"
    result = run("export", "visits", "--out", str(out), "--public")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f"visits written to {out}")
    assert lines[1] == f"data dictionary written to {tmp_path / 'visits.dictionary.csv'}"
    assert MARK not in text_of(out) + text_of(tmp_path / "visits.dictionary.csv")


def test_long_answers_from_the_command_line(run, tmp_path):
    out = tmp_path / "answers.csv"
    result = run("export", "visits", "--shape", "long", "--checklist", "core", "--out", str(out))

    assert result.returncode == 0, result.stderr
    count = int(result.stdout.split()[0])
    assert result.stdout.startswith(f"{count} answers written") and count > 10_000
    assert len(read_csv(out)) == count + 1


@pytest.mark.parametrize(("args", "code", "message"), [
    (("visits", "--format", "geojson"), 2, "GeoJSON is only for facilities"),
    (("findings", "--shape", "long"), 2, "--shape and --checklist apply to visits only"),
    (("visits", "--checklist", "kore"), 1, "There is no checklist 'kore'"),
])
def test_wrong_requests_say_what_is_wrong(run, tmp_path, args, code, message):
    result = run("export", *args, "--out", str(tmp_path / "x.out"))

    assert result.returncode == code
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.out").exists()
