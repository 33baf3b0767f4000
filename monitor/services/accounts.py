"""Accounts: creation, password checks with lockout, organisations."""

from __future__ import annotations

import re
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.core.clock import utcnow
from monitor.core.errors import InputError, NotAllowed
from monitor.core.messages import N_
from monitor.db.models import Organisation, Role, User
from monitor.services import audit

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
#: After this many wrong passwords in a row the account is locked for LOCK_MINUTES.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


def hash_password(password: str) -> str:
    """Return an argon2id hash of *password*."""
    return _HASHER.hash(password)


def check_password_strength(password: str) -> None:
    """:raises InputError: the password is too weak to protect confidential data."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(N_("The password must have at least %(count)d characters.",
                            count=MIN_PASSWORD_LENGTH))
    if password.strip() != password or len(set(password)) < 4:
        raise InputError(N_("The password is too simple: use a long phrase or a password manager."))


def get_or_create_organisation(session: Session, name: str) -> Organisation:
    """Return the organisation called *name*, creating it if needed."""
    name = " ".join(name.split())
    if not name:
        raise InputError(N_("The organisation needs a name."))
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        found = Organisation(name=name)
        session.add(found)
        session.flush()
    return found


def create_user(
    session: Session,
    email: str,
    password: str,
    *,
    role: Role | str,
    organisation: str,
    name: str | None = None,
    by: User | None = None,
) -> User:
    """Create an account; the caller commits.

    :raises InputError: the email is malformed or taken, the role unknown, the password weak.
    """
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InputError(N_("'%(email)s' is not an email address.", email=email))
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InputError(N_("Unknown role '%(role)s'. Use one of: %(roles)s.", role=role,
                              roles=roles)) from None
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InputError(N_("An account for %(email)s already exists.", email=email))
    check_password_strength(password)
    org = get_or_create_organisation(session, organisation)
    user = User(
        email=email,
        name=(name or email.split("@")[0]).strip(),
        password_hash=hash_password(password),
        role=role,
        organisation=org,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user.create", by=by, obj=user, summary={"role": role.value})
    return user


def set_password(session: Session, user: User, password: str, *, by: User | None = None) -> None:
    """Replace *user*'s password (checked for strength) and unlock the account."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, "user.password", by=by or user, obj=user)


def authenticate(session: Session, email: str, password: str, *, remote_addr: str | None = None) -> User:
    """Return the active user with these credentials, counting failures towards a lockout.

    The same message is given for an unknown email and a wrong password, so that the login
    form does not reveal who has an account.

    :raises NotAllowed: wrong credentials, inactive account, or locked after too many failures.
    """
    wrong = NotAllowed(N_("The email or password is not right."))
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        audit.record(session, "user.login_failed", summary={"known": user is not None},
                     remote_addr=remote_addr)
        raise wrong
    now = utcnow()
    locked_until = user.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=now.tzinfo)  # SQLite returns naive times
    if locked_until is not None and locked_until > now:
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        audit.record(session, "user.login_locked", obj=user, remote_addr=remote_addr)
        raise NotAllowed(N_("This account is locked after too many wrong passwords. Try again in "
                            "%(minutes)d minutes.", minutes=minutes))
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        audit.record(session, "user.login_failed", obj=user, remote_addr=remote_addr)
        raise wrong from None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, "user.login", by=user, obj=user, remote_addr=remote_addr)
    return user


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0
