"""`monitor map`: a standalone map file, run as operators run it (a real process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.core.crypto import generate_key
from monitor.db.models import AuditEvent, VisitState
from monitor.db.session import make_session_factory
from tests.dashboard import factory

KEY = generate_key()


def monitor(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MONITOR_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, MONITOR_INSTANCE=str(tmp_path / "instance"),
               MONITOR_DATA_KEYS=KEY)
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=env, check=False,
                          capture_output=True, text=True, timeout=600)


def _map_rows(path: Path) -> list[dict]:
    return factory.map_rows(path.read_text(encoding="utf-8"))


@pytest.fixture
def filled(sqlite_url: str) -> str:
    """400 facilities, most with a published visit; one with an unpublished newer visit."""
    sessions = make_session_factory(sqlite_url)
    with sessions() as session:
        org = factory.organisation(session, "Org M")
        ids = factory.add_facilities(session, 400, prefix="M")
        factory.add_bulk_visits(session, ids, org)
        factory.add_visit(session, ids[0], org, day=date(2026, 5, 1), state=VisitState.REVIEWED,
                          figures={"population": 3, "score_overall": 0.123})
        factory.add_visit(session, ids[1], org, day=date(2026, 4, 1),
                          figures={"population": 2, "score_overall": 0.5})
        session.commit()
    sessions.kw["bind"].dispose()
    return sqlite_url


def test_public_map_file_holds_every_facility_and_only_public_figures(tmp_path, filled):
    out = tmp_path / "public-map.html"
    result = monitor(tmp_path, filled, "map", "--public", "--colour-by", "population",
                     "--base-url", "https://monitor.example.org", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert re.match(r"Map of 400 facilities \(0 without a location\) written to .* KB", result.stdout)
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"""<(?:script|link)\b[^>]*(?:src|href)=["']?(?:https?:)?//""", html)
    assert "L.markerClusterGroup" in html  # Leaflet and the cluster plug-in are inside
    rows = _map_rows(out)
    assert len(rows) == 400
    first = next(r for r in rows if r["name"] == "Centro M 00000")
    assert first["url"] == "https://monitor.example.org/facilities/F-M00000/profile"
    assert "12%" not in first["label"]  # the reviewed visit's 12.3 % is not public
    second = next(r for r in rows if r["name"] == "Centro M 00001")
    assert "people held: fewer than 5" in second["label"]
    assert second["colour"] == 1  # the legend's "fewer than 5" class, not a number's class
    assert not any(re.search(r"people held: [1-4]\b", r["label"]) for r in rows)


def test_internal_map_shows_the_latest_visit_and_is_audited(tmp_path, filled):
    out = tmp_path / "internal.html"
    result = monitor(tmp_path, filled, "map", "--out", str(out))
    assert result.returncode == 0, result.stderr
    first = next(r for r in _map_rows(out) if r["name"] == "Centro M 00000")
    assert "Standards met: 12%" in first["label"] and "people held: 3" in first["label"]
    assert first["url"] is None  # no --base-url: no links
    sessions = make_session_factory(filled)
    with sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "export.map")).all()
    sessions.kw["bind"].dispose()
    assert len(events) == 1


def test_map_command_explains_what_is_wrong(tmp_path, filled):
    missing = monitor(tmp_path, filled, "map", "--out", str(tmp_path / "no" / "map.html"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    bad = monitor(tmp_path, filled, "map", "--country", "Narnia", "--out", str(tmp_path / "m.html"))
    assert bad.returncode == 2 and "ISO 3166-1" in bad.stderr
    colour = monitor(tmp_path, filled, "map", "--colour-by", "mood", "--out", "m.html")
    assert colour.returncode == 2
    link = monitor(tmp_path, filled, "map", "--base-url", "javascript:alert(1)", "--out",
                   str(tmp_path / "m.html"))
    assert link.returncode == 2 and "web address" in link.stderr
