"""Fill a database with synthetic facilities and complete visits, through the real services.

Deterministic from a seed. Every visit is answered with the shipped checklist (skip logic
respected, see :mod:`monitor.services.synthetic`), submitted (findings, red flags, scores and
summary stored by :func:`monitor.services.findings.submit_and_evaluate`), reviewed and, for most,
published — exactly the path a real visit takes, so the database has the shape real use gives it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.core.crypto import Vault
from monitor.db.models import Facility, User, Visit
from monitor.services import accounts, findings, visits
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import FacilityData, create_facility
from monitor.services.synthetic import AnswerGenerator, FacilityProfile, drift


@dataclass(frozen=True)
class Scale:
    name: str
    facilities: int
    visits: int


SCALES = {
    "tiny": Scale("tiny", 20, 100),
    "small": Scale("small", 200, 2_000),
    "medium": Scale("medium", 2_000, 20_000),
    "large": Scale("large", 5_000, 100_000),
}

_TYPES = ("immigration_detention_centre", "prison", "police_station", "transit_zone",
          "border_post", "closed_reception_centre", "children_shelter")
_COUNTRIES = ("MEX", "GTM", "HND", "ESP", "FRA", "ITA", "GRC", "GBR", "USA", "TUR", "LBY",
              "ZAF", "AUS", "IDN", "MYS", "THA", "BRA", "COL", "CHL", "DEU")
BENCH_PASSWORD = "bench-password-not-secret"


@dataclass
class GenerationResult:
    facilities: int
    visits: int
    seconds: float

    @property
    def visits_per_second(self) -> float:
        return self.visits / self.seconds if self.seconds else 0.0


def _bench_users(session: Session) -> tuple[User, User]:
    users = {}
    for email, role in (("bench-monitor@bench.example", "monitor"),
                        ("bench-coordinator@bench.example", "coordinator")):
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(session, email, BENCH_PASSWORD, role=role,
                                        organisation="Benchmark coalition (synthetic)")
        users[role] = user
    return users["monitor"], users["coordinator"]


def _facility_data(rng: random.Random, number: int) -> FacilityData:
    country = _COUNTRIES[number % len(_COUNTRIES)]
    # A point around the country's rough centre is enough for maps and aggregation.
    centre = _CENTRES.get(country, (0.0, 0.0))
    return FacilityData(
        name=f"Synthetic facility {number:05d} ({pycountry.countries.get(alpha_3=country).alpha_2})",
        country=country, type=rng.choice(_TYPES), operator_kind=rng.choice(("public", "private")),
        operator_name=rng.choice(("Ministry of the Interior", "Border Police", "Acme Custody Ltd")),
        capacity=rng.choice((20, 50, 120, 300, 600, 1200)),
        latitude=round(centre[0] + rng.uniform(-3, 3), 4),
        longitude=round(centre[1] + rng.uniform(-3, 3), 4),
        notes="Synthetic record for performance tests.",
    )


_CENTRES = {"MEX": (23.6, -102.5), "GTM": (15.7, -90.2), "HND": (14.8, -86.6), "ESP": (40.2, -3.7),
            "FRA": (46.6, 2.4), "ITA": (42.8, 12.6), "GRC": (39.1, 22.0), "GBR": (52.8, -1.5),
            "USA": (39.0, -98.0), "TUR": (39.0, 35.2), "LBY": (27.0, 17.0), "ZAF": (-29.0, 24.7),
            "AUS": (-25.3, 134.5), "IDN": (-2.5, 118.0), "MYS": (4.2, 102.0), "THA": (15.1, 101.0),
            "BRA": (-10.8, -52.9), "COL": (4.1, -73.1), "CHL": (-33.5, -70.8), "DEU": (51.1, 10.4)}


def generate(session: Session, scale: Scale, catalog: ChecklistCatalog, vault: Vault, *,
             seed: int = 1, commit_every: int = 200,
             on_progress: Callable[[int], None] | None = None) -> GenerationResult:
    """Create *scale*'s facilities and visits (on top of what is there); commit in batches."""
    started = time.perf_counter()
    rng = random.Random(seed)
    checklist = catalog.get("core")
    generator = AnswerGenerator(checklist, catalog.standards)
    monitor_user, coordinator = _bench_users(session)
    existing = session.scalar(select(func.count(Facility.id))) or 0
    facilities = []
    for number in range(existing, existing + scale.facilities):
        facilities.append(create_facility(session, _facility_data(rng, number), by=None,
                                          source="synthetic", external_id=f"syn-{number}"))
    session.commit()
    profiles = {f.id: [rng.uniform(0.15, 0.9)] for f in facilities}
    first_day = date(2018, 1, 1)
    span_days = (date(2026, 9, 30) - first_day).days
    for index in range(scale.visits):
        facility = facilities[index % len(facilities)]
        quality = profiles[facility.id]
        quality[0] = drift(quality[0], rng)
        # Visits of one facility follow each other in time, spread over the years.
        round_number = index // len(facilities)
        rounds = max(1, scale.visits // len(facilities))
        day = first_day + timedelta(days=int(span_days * (round_number + rng.random()) / rounds))
        visit = visits.create_visit(session, facility=facility, by=monitor_user, checklist=checklist,
                                    start_date=day, scope="full")
        profile = FacilityProfile(capacity=facility.capacity or 100,
                                  facility_type=facility.type.value, quality=quality[0],
                                  holds_children=facility.type.value in ("children_shelter",
                                                                         "closed_reception_centre"))
        answers = generator.answers(rng, profile, took_place=rng.random() > 0.03)
        visits.save_answers(session, visit, answers, by=monitor_user, vault=vault, checklist=checklist)
        findings.submit_and_evaluate(session, visit, by=monitor_user, catalog=catalog, vault=vault)
        visits.accept_visit(session, visit, by=coordinator)
        if rng.random() < 0.85:
            visits.publish_visit(session, visit, by=coordinator)
        if (index + 1) % commit_every == 0:
            session.commit()
            session.expunge_all()  # keep memory flat over 100,000 visits
            facilities = [session.merge(f, load=False) for f in facilities]
            monitor_user = session.merge(monitor_user, load=False)
            coordinator = session.merge(coordinator, load=False)
        if on_progress:
            on_progress(1)
    session.commit()
    return GenerationResult(len(facilities), scale.visits, time.perf_counter() - started)


def count_visits(session: Session) -> int:
    return session.scalar(select(func.count(Visit.id))) or 0
