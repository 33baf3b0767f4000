"""Helpers for export tests: reading exported files back, making small visits."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

MARK = "MARKER"


# --- reading exported files ------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def read_xlsx(path: Path) -> dict[str, list[list[object]]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
                for sheet in book.worksheets}
    finally:
        book.close()


def text_of(path: Path) -> str:
    """Everything a reader of the file could see, as one text."""
    if path.suffix == ".xlsx":
        out = io.StringIO()
        for rows in read_xlsx(path).values():
            for row in rows:
                out.write("\t".join("" if v is None else str(v) for v in row) + "\n")
        return out.getvalue()
    return path.read_text(encoding="utf-8-sig")


def read_geojson(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- small visits ----------------------------------------------------------------------------


def make_visit(session, catalog, vault, *, by, facility, checklist_id: str, answers: dict,
               day=None, published: bool = False):
    """A visit answered through the real service (sensitive answers encrypted).

    A published visit is marked published directly: the review workflow has tests of its
    own, and exports only look at the state and the publication time.
    """
    from datetime import date, timedelta

    from monitor.core.clock import utcnow
    from monitor.db.models import VisitState
    from monitor.services import visits

    checklist = catalog.get(checklist_id)
    visit = visits.create_visit(session, facility=facility, by=by, checklist=checklist,
                                start_date=day or date(2024, 3, 5))
    visits.save_answers(session, visit, answers, by=by, vault=vault, checklist=checklist)
    if published:
        now = utcnow()
        visit.state = VisitState.PUBLISHED
        visit.submitted_at = visit.reviewed_at = now - timedelta(days=1)
        visit.published_at = now - timedelta(hours=1)
    session.flush()
    return visit
