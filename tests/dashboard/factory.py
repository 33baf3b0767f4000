"""Facilities and visits written straight into the tables dashboards read, fast.

Dashboards and maps read ``visit_summaries`` and ``area_scores`` only, so a test that is about
them can write those rows directly instead of answering 300 questions per visit through the
engine. Publication and unpublication still go through the real services where a test is
about them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from monitor.db.models import (
    AreaScore,
    Facility,
    FacilityType,
    Organisation,
    RedFlagRecord,
    User,
    Visit,
    VisitScope,
    VisitState,
    VisitSummary,
)
from monitor.db.models.finding import Severity

#: Places on land in five countries (latitude, longitude), to scatter facilities around.
PLACES = {
    "MEX": (19.4, -99.1), "ESP": (40.4, -3.7), "GTM": (14.6, -90.5), "FRA": (46.6, 2.4),
    "USA": (32.0, -100.0),
}
TOP_AREAS = ("proc", "treat", "cond", "regime", "health", "staff", "vuln")
TYPES = [t.value for t in FacilityType]
DIGEST = "0" * 64


def organisation(session: Session, name: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        found = Organisation(name=name)
        session.add(found)
        session.flush()
    return found


def add_facilities(session: Session, count: int, *, seed: int = 1, prefix: str = "T",
                   countries: Sequence[str] = tuple(PLACES)) -> list[int]:
    """Insert *count* facilities in one statement; return their database ids."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        country = countries[i % len(countries)]
        lat, lon = PLACES[country]
        rows.append({
            "public_id": f"F-{prefix}{i:05d}", "name": f"Centro {prefix} {i:05d}",
            "country": country, "latitude": round(lat + rng.uniform(-2, 2), 4),
            "longitude": round(lon + rng.uniform(-2, 2), 4), "type": TYPES[i % len(TYPES)],
            "operator_kind": "private" if i % 3 == 0 else "public",
            "operator_name": "Custodial Partners Ltd" if i % 3 == 0 else "Migration Institute",
            "capacity": 40 + (i * 37) % 900, "status": "in_use",
            "search_text": f"centro {prefix.lower()} {i:05d}",
        })
    session.execute(insert(Facility), rows)
    return list(session.scalars(select(Facility.id).where(
        Facility.public_id.in_([r["public_id"] for r in rows])).order_by(Facility.public_id)))


def add_visit(session: Session, facility_id: int, org: Organisation, *, day: date,
              state: VisitState = VisitState.PUBLISHED, published_at: datetime | None = None,
              figures: dict[str, Any] | None = None, areas: dict[str, float] | None = None,
              flags: Sequence[str] = (), created_by: User | None = None) -> Visit:
    """A visit with its summary row, area scores and red flags, as a submission stores them."""
    now = datetime.now(UTC)
    submitted = state not in (VisitState.DRAFT, VisitState.RETURNED)
    visit = Visit(
        facility_id=facility_id, organisation_id=org.id, start_date=day, end_date=day,
        scope=VisitScope.FULL, checklist_id="core", checklist_version=1, checklist_digest=DIGEST,
        state=state, submitted_at=now - timedelta(days=30) if submitted else None,
        published_at=(published_at or now - timedelta(days=10))
        if state is VisitState.PUBLISHED else None,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(visit)
    session.flush()
    values = {"population": 120, "capacity": 150, "children": 0, "red_flag_count": len(flags),
              "red_flag_codes": sorted(flags), "score_overall": 0.6, "share_assessed": 1.0,
              "standards_met": 60, "standards_assessed": 100}
    values.update(figures or {})
    session.add(VisitSummary(visit_id=visit.id, facility_id=facility_id, visit_date=day,
                             is_published=state is VisitState.PUBLISHED,
                             published_at=visit.published_at, **values))
    for area_id, score in (areas or {a: 0.6 for a in TOP_AREAS}).items():
        session.add(AreaScore(visit_id=visit.id, area_id=area_id, score=score,
                              assessed_share=1.0, standards_assessed=10, standards_total=10,
                              rating=1 + min(int(score * 4), 3), rating_rule={}))
    for code in flags:
        session.add(RedFlagRecord(visit_id=visit.id, code=code, severity=Severity.HIGH,
                                  evidence=[]))
    session.flush()
    return visit


def add_bulk_visits(session: Session, facility_ids: Sequence[int], org: Organisation, *,
                    seed: int = 2, visited_share: float = 0.8) -> int:
    """One published visit for most facilities, written with three bulk inserts."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    chosen = [fid for fid in facility_ids if rng.random() < visited_share]
    visits = [{"facility_id": fid, "organisation_id": org.id, "start_date": date(2025, 1, 1)
               + timedelta(days=rng.randint(0, 400)), "scope": VisitScope.FULL.value,
               "checklist_id": "core", "checklist_version": 1, "checklist_digest": DIGEST,
               "state": VisitState.PUBLISHED.value, "submitted_at": now - timedelta(days=40),
               "published_at": now - timedelta(days=20), "lock_version": 1}
              for fid in chosen]
    for row in visits:
        row["end_date"] = row["start_date"]
    session.execute(insert(Visit), visits)
    ids = dict(session.execute(select(Visit.facility_id, Visit.id).where(
        Visit.facility_id.in_(chosen))).all())
    summaries, scores = [], []
    for row in visits:
        visit_id = ids[row["facility_id"]]
        flags = rng.sample(["children_detained", "legal_counsel_obstructed",
                            "occupancy_above_capacity", "no_asylum_access"], rng.randint(0, 2))
        summaries.append({
            "visit_id": visit_id, "facility_id": row["facility_id"],
            "visit_date": row["start_date"], "is_published": True,
            "published_at": row["published_at"], "population": rng.randint(0, 900),
            "capacity": 500, "children": rng.choice([0, 0, 2, 7, 30]),
            "red_flag_count": len(flags), "red_flag_codes": sorted(flags),
            "score_overall": rng.random(), "share_assessed": 1.0, "standards_met": 50,
            "standards_assessed": 100, "access_obstructed": False, "indicators": {},
            "computed_at": now, "engine_version": "1",
        })
        scores.extend({"visit_id": visit_id, "area_id": area, "score": rng.random(),
                       "assessed_share": 1.0, "standards_assessed": 10, "standards_total": 10,
                       "rating": 2, "rating_rule": {}} for area in TOP_AREAS)
    session.execute(insert(VisitSummary), summaries)
    session.execute(insert(AreaScore), scores)
    return len(visits)


def map_rows(html: str) -> list[dict[str, Any]]:
    """The facilities a rendered map carries, decoded from its data script.

    Each row: ``name``, ``label`` (the popup line), ``url`` and ``colour`` (legend class).
    """
    import json
    import re

    match = re.search(r"\}\)\((\{\"rows\".*?\})\);\n", html, re.DOTALL)
    assert match, "facility data not found in the map"
    data = json.loads(match.group(1))
    return [{"name": r[2], "label": " \u00b7 ".join(data["parts"][i] for i in r[3]),
             "url": None if r[4] is None else data["prefix"] + r[4] + data["suffix"],
             "colour": r[7]} for r in data["rows"]]
