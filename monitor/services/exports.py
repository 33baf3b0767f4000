"""Rows for data exports: internal (by role) and public (through the public gate only)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.core.settings import Settings
from monitor.db.models import Facility, Finding, Visit
from monitor.services.catalog import ChecklistCatalog
from monitor.services.public import published_visit_ids

FINDING_COLUMNS = ("visit_id", "facility_id", "facility_name", "country", "visit_date",
                   "standard_id", "citation", "area_id", "status", "severity", "evidence", "text")


def finding_rows(session: Session, catalog: ChecklistCatalog, settings: Settings, *,
                 public: bool) -> Iterator[Sequence[Any]]:
    """One row per finding; public rows come only from public visits and carry no answers."""
    query = (select(Finding, Visit.start_date, Facility.public_id, Facility.name, Facility.country)
             .join(Visit, Finding.visit_id == Visit.id)
             .join(Facility, Visit.facility_id == Facility.id)
             .order_by(Visit.id, Finding.standard_id))
    if public:
        query = query.where(Visit.id.in_(published_visit_ids(settings)))
    for finding, visit_date, public_id, name, country in session.execute(query).yield_per(2000):
        standard = catalog.standards.standards.get(finding.standard_id)
        evidence = [
            {k: v for k, v in e.items() if not (public and k == "answer")} for e in finding.evidence
        ]
        yield (finding.visit_id, public_id, name, country, visit_date, finding.standard_id,
               standard.citation("en") if standard else finding.standard_id, finding.area_id,
               finding.status.value, finding.severity.value,
               json.dumps(evidence, ensure_ascii=False, sort_keys=True), finding.text)
