"""Managing accounts as an administrator: list, create, change role, deactivate, reset password.

Every change is checked against the permission matrix (``users.manage``) and written to the
audit log with what changed (roles, flags; never a password). Two rules keep a server from
locking itself out: an administrator cannot deactivate or demote themselves, and the last
active administrator cannot be deactivated or demoted.

Passing ``by=None`` means the operator at the command line, who already has the database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from monitor.core.errors import InputError, InvalidState, RecordNotFound
from monitor.core.messages import N_
from monitor.db.models import Organisation, Role, User
from monitor.services import accounts, audit, permissions

#: Letters and digits that cannot be mistaken for one another when read aloud or copied.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 16


@dataclass(frozen=True)
class UserFilter:
    """What the account list is narrowed to."""

    text: str = ""
    role: str | None = None
    active: bool | None = None


def _require(by: User | None) -> None:
    if by is not None:
        permissions.require(by, "users.manage")


def list_users(session: Session, *, by: User | None, filters: UserFilter = UserFilter()) -> list[User]:
    """Every account matching *filters*, by organisation then email.

    :raises NotAllowed: *by* may not manage accounts.
    """
    _require(by)
    query = (select(User).join(Organisation, User.organisation_id == Organisation.id)
             .options(joinedload(User.organisation))
             .order_by(Organisation.name, User.email))
    needle = filters.text.strip().lower()
    if needle:
        like = f"%{needle}%"
        query = query.where(func.lower(User.email).like(like) | func.lower(User.name).like(like))
    if filters.role:
        query = query.where(User.role == _role(filters.role))
    if filters.active is not None:
        query = query.where(User.is_active.is_(filters.active))
    return list(session.scalars(query).unique())


def get_user(session: Session, user_id_or_email: int | str) -> User:
    """Return an account by id or email.

    :raises RecordNotFound: there is no such account.
    """
    if isinstance(user_id_or_email, int) or str(user_id_or_email).isdigit():
        user = session.get(User, int(user_id_or_email))
    else:
        user = session.scalar(select(User).where(User.email == str(user_id_or_email).strip().lower()))
    if user is None:
        raise RecordNotFound(N_("There is no account %(account)s.", account=user_id_or_email))
    return user


def create(session: Session, email: str, *, role: str, organisation: str, name: str | None = None,
           by: User | None, password: str | None = None) -> tuple[User, str | None]:
    """Create an account; without *password* a temporary one is generated and returned.

    :returns: the account, and the generated password (``None`` when one was given).
    :raises NotAllowed: *by* may not manage accounts.
    :raises InputError: as :func:`monitor.services.accounts.create_user`.
    """
    _require(by)
    generated = None if password else temporary_password()
    user = accounts.create_user(session, email, password or generated, role=role,
                                organisation=organisation, name=name, by=by)
    return user, generated


def set_role(session: Session, user: User, role: str, *, by: User | None) -> bool:
    """Give *user* another role; return whether anything changed.

    :raises InputError: unknown role.
    :raises InvalidState: it would leave the server without an active administrator, or an
        administrator tried to demote themselves.
    """
    _require(by)
    new = _role(role)
    if user.role is new:
        return False
    if user.role is Role.ADMIN:
        if by is not None and by.id == user.id:
            raise InvalidState(N_("You cannot remove your own administrator role; ask another "
                                  "administrator to do it."))
        _keep_one_admin(session, user)
    before = user.role
    user.role = new
    session.flush()
    audit.record(session, "user.role", by=by, obj=user,
                 summary={"before": before.value, "after": new.value})
    return True


def set_active(session: Session, user: User, active: bool, *, by: User | None) -> bool:
    """Deactivate (or reactivate) an account; return whether anything changed.

    A deactivated person is signed out at their next request and cannot sign in; their visits,
    answers and audit history stay.

    :raises InvalidState: an administrator tried to deactivate themselves, or it is the last
        active administrator.
    """
    _require(by)
    if user.is_active is active:
        return False
    if not active:
        if by is not None and by.id == user.id:
            raise InvalidState(N_("You cannot deactivate your own account."))
        if user.role is Role.ADMIN:
            _keep_one_admin(session, user)
    user.is_active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
    session.flush()
    audit.record(session, "user.activate" if active else "user.deactivate", by=by, obj=user)
    return True


def reset_password(session: Session, user: User, *, by: User | None) -> str:
    """Give *user* a new temporary password (returned once, never stored in clear).

    Their open sessions end, because a session is tied to the password it was opened with.
    """
    _require(by)
    password = temporary_password()
    accounts.set_password(session, user, password, by=by)
    session.flush()
    return password


def temporary_password() -> str:
    """A random password to hand over once; the person should change it."""
    while True:
        candidate = "".join(secrets.choice(_PASSWORD_ALPHABET)
                            for _ in range(TEMPORARY_PASSWORD_LENGTH))
        if len(set(candidate)) >= 8:
            return candidate


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InputError(N_("Unknown role '%(role)s'. Use one of: %(roles)s.", role=value,
                            roles=roles)) from None


def _keep_one_admin(session: Session, leaving: User) -> None:
    others = session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.is_active.is_(True), User.id != leaving.id)) or 0
    if others == 0:
        raise InvalidState(N_("%(email)s is the last active administrator; make someone else "
                              "an administrator first.", email=leaving.email))
