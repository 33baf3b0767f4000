"""`monitor report …` as operators run it: a real process on the demo world's database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from babel.dates import format_date
from pypdf import PdfReader
from sqlalchemy import func, select

from monitor.core.clock import today
from monitor.db.models import AuditEvent, Facility
from tests.reports.conftest import World


def monitor(world: World, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MONITOR_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=world.url, MONITOR_INSTANCE=str(tmp_path / "instance"),
               MONITOR_DATA_KEYS=world.settings.data_keys[0],
               MONITOR_ORG_NAME=world.settings.organisation_name)
    return subprocess.run([sys.executable, "-m", "monitor", "report", *args], env=env,
                          capture_output=True, text=True, timeout=600)


def audited(world: World, action: str) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action))


def test_a_facility_report_by_public_id_as_pdf(world, tmp_path):
    before = audited(world, "report.facility")
    out = tmp_path / "facility.pdf"
    result = monitor(world, tmp_path, "facility", world.facility, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Facility report written to {out}")
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    with world.sessions() as session:
        name = session.get(Facility, world.facility_id).name
    assert name in reader.pages[0].extract_text()
    assert reader.metadata.author == "Observatorio de Prueba"
    assert audited(world, "report.facility") == before + 1


def test_a_visit_report_by_database_id_as_html_in_spanish(world, tmp_path):
    out = tmp_path / "visit.html"  # the format follows the file name
    result = monitor(world, tmp_path, "visit", str(world.visit_id), "--out", str(out),
                     "--lang", "es")
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert format_date(today(), "long", locale="es") in html
    assert world.internal["team-member"] in html


def test_a_public_thematic_report(world, tmp_path):
    out = tmp_path / "children.html"
    result = monitor(world, tmp_path, "thematic", "children", "--country", "mex", "--from",
                     "2020-01-01", "--to", "2030-12-31", "--out", str(out), "--public")
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "Children in detention" in html
    assert not [k for k, v in world.secret.items() if v in html]


def test_errors_are_one_sentence_and_exit_1(world, tmp_path):
    cases = [
        (("visit", "999999", "--out", str(tmp_path / "x.pdf")), "Error: There is no visit 999999."),
        (("facility", "F-NOSUCH", "--out", str(tmp_path / "x.pdf")),
         "Error: There is no facility F-NOSUCH."),
        (("thematic", "sanitation", "--country", "MEX", "--from", "2024-01-01", "--to",
          "2024-12-31", "--out", str(tmp_path / "x.pdf")), "There is no theme 'sanitation'"),
        (("thematic", "health", "--country", "XYZ", "--from", "2024-01-01", "--to",
          "2024-12-31", "--out", str(tmp_path / "x.pdf")), "'XYZ' is not an ISO 3166-1"),
        (("thematic", "health", "--country", "MEX", "--from", "2024-12-31", "--to",
          "2024-01-01", "--out", str(tmp_path / "x.pdf")), "after it ends"),
        (("facility", world.facility, "--out", str(tmp_path / "no" / "such" / "x.pdf")),
         "does not exist"),
    ]
    for args, message in cases:
        result = monitor(world, tmp_path, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_wrong_usage_exits_2(world, tmp_path):
    missing = monitor(world, tmp_path, "thematic", "health", "--out", str(tmp_path / "x.pdf"))
    assert missing.returncode == 2 and "--country" in missing.stderr
    bad_date = monitor(world, tmp_path, "facility", world.facility, "--from", "2024-31-12",
                       "--out", str(tmp_path / "x.pdf"))
    assert bad_date.returncode == 2
    bad_format = monitor(world, tmp_path, "visit", "1", "--format", "docx", "--out",
                         str(tmp_path / "x.docx"))
    assert bad_format.returncode == 2


def test_the_batch_writes_one_pdf_per_facility(world, tmp_path):
    folder = tmp_path / "public-reports"
    with world.sessions() as session:
        expected = set(session.scalars(select(Facility.public_id).where(
            Facility.country == "GBR")))
    before = audited(world, "report.facility")
    result = monitor(world, tmp_path, "facilities", "--country", "GBR", "--public",
                     "--out-dir", str(folder))
    assert result.returncode == 0, result.stderr
    written = {p.stem for p in folder.glob("*.pdf")}
    assert written == expected and written
    assert f"{len(expected)} facility report(s) written to {folder}" in result.stdout
    assert audited(world, "report.facility") == before + len(expected)
    for path in folder.glob("*.pdf"):
        text = " ".join(page.extract_text() for page in PdfReader(path).pages)
        assert "CONFIDENTIAL" not in text and "Page 1 of" in text
