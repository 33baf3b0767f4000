"""Load the fictional demo data, idempotently (running it twice changes nothing)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.core.crypto import Vault
from monitor.db.models import Facility, FacilitySource, User, Visit
from monitor.services import accounts, findings, recommendations, visits
from monitor.services.catalog import ChecklistCatalog
from monitor.services.demo_data import FACILITIES, USERS
from monitor.services.facilities import FacilityData, create_facility
from monitor.services.synthetic import AnswerGenerator, FacilityProfile, drift

DEMO_SOURCE = "demo data (fictional)"


@dataclass
class DemoResult:
    facilities_created: int = 0
    users_created: int = 0
    visits_created: int = 0


def load_people_and_places(session: Session) -> DemoResult:
    """Create the demo accounts and facilities that do not exist yet."""
    result = DemoResult()
    for email, name, role, org, password in USERS:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            accounts.create_user(session, email, password, role=role, organisation=org, name=name)
            result.users_created += 1
    known = set(session.scalars(
        select(FacilitySource.external_id).where(FacilitySource.source == DEMO_SOURCE)
    ))
    for (key, name, aliases, country, admin, locality, lat, lon, kind, op_kind, op_name,
         capacity, status) in FACILITIES:
        if key in known:
            continue
        data = FacilityData(
            name=name, other_names=tuple(aliases), country=country, admin_area=admin,
            locality=locality, latitude=lat, longitude=lon, type=kind, operator_kind=op_kind,
            operator_name=op_name, capacity=capacity, status=status,
            notes="Fictional record created for the demonstration.",
        )
        create_facility(session, data, source=DEMO_SOURCE, external_id=key)
        result.facilities_created += 1
    session.flush()
    return result


def demo_accounts() -> list[tuple[str, str, str]]:
    """``(email, role, password)`` of every demo account, to print for the person trying it."""
    return [(email, role, password) for email, _n, role, _o, password in USERS]


#: Visits per facility, spread over three years before the demo's reference date.
VISITS_PER_FACILITY = 4
DEMO_END = date(2026, 10, 15)


def load(session: Session, *, catalog: ChecklistCatalog, vault: Vault) -> DemoResult:
    """Load everything the demo shows: accounts, facilities, and complete visits with findings."""
    result = load_people_and_places(session)
    result.visits_created = load_visits(session, catalog, vault)
    return result


def load_visits(session: Session, catalog: ChecklistCatalog, vault: Vault) -> int:
    """Create the demo visits that do not exist yet, each answered, evaluated and reviewed.

    Most are published, a few stay submitted or in draft so every screen has something to show.
    Findings, red flags, area scores and suggested recommendations are stored as on a real
    submission; later visits record what became of earlier recommendations.
    """
    checklist = catalog.get("core")
    generator = AnswerGenerator(checklist, catalog.standards)
    users = {u.email: u for u in session.scalars(select(User))}
    monitors = [users["monitor@demo.example"], users["monitora@demo.example"]]
    coordinator = users["coordinadora@demo.example"]
    done = set(session.scalars(select(Visit.source_instance_id).where(
        Visit.source_instance_id.like("demo-visit-%"))))
    created = 0
    for index, row in enumerate(FACILITIES):
        key, capacity, kind = row[0], row[11], row[8]
        facility = session.scalar(select(Facility).join(FacilitySource).where(
            FacilitySource.source == DEMO_SOURCE, FacilitySource.external_id == key))
        if facility is None:
            continue
        rng = random.Random(f"demo:{key}")
        quality = rng.uniform(0.25, 0.85)
        profile_kind = dict(capacity=capacity or 50, facility_type=kind,
                            holds_children=kind in ("children_shelter", "closed_reception_centre"))
        start = DEMO_END - timedelta(days=3 * 365 - rng.randint(0, 60))
        for number in range(VISITS_PER_FACILITY):
            quality = drift(quality, rng)
            day = start + timedelta(days=number * 270 + rng.randint(0, 40))
            instance = f"demo-visit-{key}-{number + 1}"
            if instance in done:
                continue
            last = number == VISITS_PER_FACILITY - 1
            author = monitors[(index + number) % 2]
            took_place = not (index % 7 == 3 and number == 1)  # now and then: entry refused
            visit = visits.create_visit(
                session, facility=facility, by=author, checklist=checklist, start_date=day,
                end_date=day + timedelta(days=rng.choice((0, 0, 1))), announced=rng.random() < 0.3,
                scope="follow_up" if number else "full",
                team=[monitors[(index + number + 1) % 2]])
            visit.source_instance_id = instance
            profile = FacilityProfile(quality=quality, **profile_kind)
            answers = generator.answers(rng, profile, took_place=took_place)
            visits.save_answers(session, visit, answers, by=author, vault=vault, checklist=checklist)
            created += 1
            if last and index % 5 == 0:
                continue  # left as a draft, to show the capture screens
            _follow_up_earlier(session, visit, by=author, rng=rng)
            findings.submit_and_evaluate(session, visit, by=author, catalog=catalog, vault=vault)
            # The team confirms the four most pressing suggestions, as drafted (in Spanish).
            for suggestion in recommendations.suggestions(session, visit, catalog, "es")[:4]:
                recommendations.confirm_suggestion(
                    session, visit, suggestion.standard_id, recommendations.Draft(
                        text=suggestion.text, addressee=facility.operator_name or
                        suggestion.addressee_hint, priority=suggestion.priority,
                        due_date=day + timedelta(days=180)),
                    catalog=catalog, by=author, on=visit.end_date)
            if last and index % 5 == 1:
                continue  # waiting for review
            visits.accept_visit(session, visit, by=coordinator)
            if not (last and index % 5 == 2):
                visits.publish_visit(session, visit, by=coordinator)
    session.flush()
    return created


def _follow_up_earlier(session: Session, visit: Visit, *, by: User, rng: random.Random) -> None:
    """At a follow-up visit, record what became of the facility's open recommendations."""
    outcomes = ["not_implemented", "in_progress", "partially_implemented", "implemented",
                "rejected", "not_implemented"]
    for rec in recommendations.open_for_facility(session, visit.facility_id):
        if rec.visit_id == visit.id:
            continue
        recommendations.record_follow_up(
            session, rec, status=rng.choice(outcomes), by=by, visit=visit, on=visit.start_date,
            note="Verificado durante la visita de seguimiento (dato ficticio).",
            authority_response=rng.choice(["", "La autoridad informó que está en revisión.",
                                            "Sin respuesta de la autoridad."]))
