"""Accounts: hashing, strength, lockout after repeated failures, audit entries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor.core.errors import InputError, NotAllowed
from monitor.db.models import AuditEvent, Role
from monitor.services import accounts


def test_password_is_stored_only_as_an_argon2_hash(db):
    user = accounts.create_user(db, "Ana@Example.org", "a long enough phrase", role="monitor",
                                organisation="Org")
    assert user.email == "ana@example.org"
    assert user.password_hash.startswith("$argon2")
    assert "a long enough phrase" not in user.password_hash
    assert user.role is Role.MONITOR


@pytest.mark.parametrize("email,password,role,message", [
    ("not-an-email", "a long enough phrase", "monitor", "not an email"),
    ("a@b.org", "short", "monitor", "at least 10"),
    ("a@b.org", "aaaaaaaaaaaaaa", "monitor", "too simple"),
    ("a@b.org", "a long enough phrase", "superuser", "Unknown role"),
])
def test_bad_account_details_are_refused_with_a_reason(db, email, password, role, message):
    with pytest.raises(InputError, match=message):
        accounts.create_user(db, email, password, role=role, organisation="Org")


def test_duplicate_email_is_refused(db):
    accounts.create_user(db, "a@b.org", "a long enough phrase", role="viewer", organisation="Org")
    with pytest.raises(InputError, match="already exists"):
        accounts.create_user(db, "A@B.org", "another long phrase", role="viewer", organisation="Org")


def test_authentication_and_lockout(db):
    accounts.create_user(db, "a@b.org", "a long enough phrase", role="viewer", organisation="Org")
    assert accounts.authenticate(db, "a@b.org", "a long enough phrase").email == "a@b.org"
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(NotAllowed, match="not right"):
            accounts.authenticate(db, "a@b.org", "wrong password!")
    with pytest.raises(NotAllowed, match="locked"):
        accounts.authenticate(db, "a@b.org", "a long enough phrase")
    actions = db.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.login_failed") == accounts.MAX_FAILED_LOGINS
    assert "user.login_locked" in actions


def test_unknown_email_gets_the_same_message_as_a_wrong_password(db):
    with pytest.raises(NotAllowed) as unknown:
        accounts.authenticate(db, "nobody@b.org", "whatever it is")
    accounts.create_user(db, "a@b.org", "a long enough phrase", role="viewer", organisation="Org")
    with pytest.raises(NotAllowed) as wrong:
        accounts.authenticate(db, "a@b.org", "whatever it is")
    assert str(unknown.value) == str(wrong.value)
