"""Whose imported visits they are: the account named, or a coordinator of the organisation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.core.errors import InputError, RecordNotFound
from monitor.db.models import Organisation, Role, User

__all__ = ["importing_user"]


def importing_user(session: Session, *, email: str | None = None,
                   organisation: str | None = None) -> User:
    """The account imported visits belong to: *email*, else the first admin or coordinator
    (oldest account first) of *organisation*, or of the only organisation there is.

    :raises RecordNotFound: no such account or organisation.
    :raises InputError: the account is disabled, or it is not clear whose visits they are.
    """
    if email:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise RecordNotFound(f"There is no account {email}.")
        if not user.is_active:
            raise InputError(f"The account {email} is disabled; give another with --as.")
        return user
    if organisation:
        org = session.scalar(select(Organisation).where(Organisation.name == organisation.strip()))
        if org is None:
            known = ", ".join(session.scalars(select(Organisation.name).order_by(Organisation.name)))
            raise RecordNotFound(f"There is no organisation '{organisation}'"
                                 + (f" (known: {known})." if known else "."))
    else:
        orgs = session.scalars(select(Organisation).limit(2)).all()
        if len(orgs) != 1:
            raise InputError("Say whose visits these are: --org NAME (its first admin or "
                             "coordinator owns them) or --as EMAIL.")
        org = orgs[0]
    user = session.scalar(select(User).where(
        User.organisation_id == org.id, User.is_active.is_(True),
        User.role.in_([Role.ADMIN, Role.COORDINATOR])).order_by(User.id).limit(1))
    if user is None:
        raise InputError(f"The organisation '{org.name}' has no active admin or coordinator: "
                         "give the account that owns the visits with --as EMAIL.")
    return user
