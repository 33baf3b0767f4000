"""Account management by administrators: the pages, the service rules and the commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from monitor.core.errors import InvalidState, NotAllowed
from monitor.db.models import AuditEvent, Role, User
from monitor.services import users
from tests.conftest import login


def fetch(world, name):
    with world.sessions() as db:
        return db.get(User, world.users[name])


def last_event(world, action):
    with world.sessions() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                          .order_by(AuditEvent.id.desc())).first()


def test_only_administrators_manage_accounts(world):
    for who in ("coordinator", "monitor", "viewer"):
        assert world.client(who).get("/admin/users").status_code == 403
        response = world.client(who).post(f"/admin/users/{world.users['viewer']}/role",
                                          data={"role": "admin", "csrf_token": world.token(who)})
        assert response.status_code == 403
    assert fetch(world, "viewer").role is Role.VIEWER
    with world.sessions() as db, pytest.raises(NotAllowed):
        users.set_role(db, db.get(User, world.users["viewer"]), "admin",
                       by=db.get(User, world.users["coordinator"]))


def test_the_account_list_filters(world):
    admin = world.client("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert all(email in page for email in world.emails.values())
    coordinators = admin.get("/admin/users?role=coordinator").get_data(as_text=True)
    assert "other_coordinator@test.example" in coordinators
    assert "viewer@test.example" not in coordinators
    assert "author@" in admin.get("/admin/users?q=AUTH").get_data(as_text=True)


def test_creating_an_account_shows_a_temporary_password_once(world):
    admin = world.client("admin")
    token = world.token("admin")
    response = admin.post("/admin/users/new", data={
        "email": "New.Person@Test.Example", "name": "New Person", "role": "monitor",
        "organisation": "Org A", "csrf_token": token})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code class="secret-once">([^<]+)</code>', response.get_data(as_text=True))
    assert password and len(password.group(1)) == users.TEMPORARY_PASSWORD_LENGTH
    fresh = world.app.test_client()
    assert login(fresh, "new.person@test.example", password.group(1)).status_code == 302
    event = last_event(world, "user.create")
    assert event.user_id == world.users["admin"] and event.summary == {"role": "monitor"}
    taken = admin.post("/admin/users/new", data={
        "email": "new.person@test.example", "role": "monitor", "organisation": "Org A",
        "csrf_token": token})
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)


def test_changing_a_role_takes_effect_at_the_next_request(world):
    monitor = world.app.test_client()
    login(monitor, world.emails["other_monitor"])
    assert monitor.get("/facilities/new").status_code == 200
    response = world.client("admin").post(
        f"/admin/users/{world.users['other_monitor']}/role",
        data={"role": "viewer", "csrf_token": world.token("admin")})
    assert response.status_code == 302
    assert monitor.get("/facilities/new").status_code == 403
    assert last_event(world, "user.role").summary == {"before": "monitor", "after": "viewer"}
    world.client("admin").post(f"/admin/users/{world.users['other_monitor']}/role",
                               data={"role": "monitor", "csrf_token": world.token("admin")})
    assert fetch(world, "other_monitor").role is Role.MONITOR


def test_deactivating_signs_the_person_out_and_keeps_their_work(world):
    person = world.app.test_client()
    login(person, world.emails["outsider"])
    assert person.get("/dashboard/").status_code == 200
    admin = world.client("admin")
    admin.post(f"/admin/users/{world.users['outsider']}/deactivate",
               data={"csrf_token": world.token("admin")})
    assert fetch(world, "outsider").is_active is False
    assert person.get("/dashboard/").status_code == 302
    assert login(world.app.test_client(), world.emails["outsider"]).status_code == 401
    admin.post(f"/admin/users/{world.users['outsider']}/activate",
               data={"csrf_token": world.token("admin")})
    assert login(world.app.test_client(), world.emails["outsider"]).status_code == 302
    assert last_event(world, "user.activate").object_id == str(world.users["outsider"])


def test_resetting_a_password_ends_sessions_and_gives_a_new_one(world):
    person = world.app.test_client()
    login(person, world.emails["viewer"])
    response = world.client("admin").post(f"/admin/users/{world.users['viewer']}/password",
                                          data={"csrf_token": world.token("admin")})
    password = re.search(r'<code class="secret-once">([^<]+)</code>',
                         response.get_data(as_text=True)).group(1)
    assert person.get("/dashboard/").status_code == 302
    assert login(world.app.test_client(), world.emails["viewer"]).status_code == 401
    assert login(world.app.test_client(), world.emails["viewer"], password).status_code == 302
    assert password not in str(last_event(world, "user.password").summary)
    world._clients.pop("viewer", None)  # its session ended: sign in again when next needed
    with world.sessions() as db:
        from monitor.services import accounts
        from tests.conftest import PASSWORD

        accounts.set_password(db, db.get(User, world.users["viewer"]), PASSWORD)
        db.commit()


def test_an_administrator_cannot_lock_the_server_out(world):
    admin = world.client("admin")
    for path, data in ((f"/admin/users/{world.users['admin']}/deactivate", {}),
                       (f"/admin/users/{world.users['admin']}/role", {"role": "viewer"})):
        response = admin.post(path, data={**data, "csrf_token": world.token("admin")},
                              follow_redirects=True)
        assert "your own" in response.get_data(as_text=True)
    assert fetch(world, "admin").role is Role.ADMIN and fetch(world, "admin").is_active
    # From the command line (no acting person) the last administrator stays too.
    with world.sessions() as db, pytest.raises(InvalidState, match="last active administrator"):
        users.set_active(db, db.get(User, world.users["admin"]), False, by=None)


def test_the_users_commands(world, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from monitor.cli import cli

    monkeypatch.setenv("DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("MONITOR_INSTANCE", str(tmp_path))
    runner = CliRunner()

    def users_command(*args):
        result = runner.invoke(cli, ["users", *args])
        assert result.exit_code == 0, result.output
        return result.output

    listed = users_command("list", "--role", "coordinator")
    assert "coordinator@test.example" in listed and "viewer@" not in listed
    users_command("set-role", "author@test.example", "coordinator")
    assert fetch(world, "author").role is Role.COORDINATOR
    users_command("set-role", "author@test.example", "monitor")
    assert "Deactivated" in users_command("deactivate", "other_coordinator@test.example")
    assert "other_coordinator" in users_command("list", "--inactive")
    users_command("activate", "other_coordinator@test.example")
    assert fetch(world, "other_coordinator").is_active

    # Refusals, as an operator sees them: one sentence on stderr, exit status 1.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=world.settings.database_url, MONITOR_INSTANCE=str(tmp_path))
    script = ("import sys\nfrom monitor.cli import main\n"
              "for args in (['users', 'deactivate', 'nobody@test.example'],"
              " ['users', 'deactivate', 'admin@test.example']):\n"
              "    sys.argv = ['monitor', *args]\n"
              "    try:\n        main()\n    except SystemExit as done:\n"
              "        print('exit', done.code, file=sys.stderr)\n")
    refused = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, timeout=300, check=False)
    lines = refused.stderr.strip().splitlines()
    assert lines[0] == "Error: There is no account nobody@test.example." and lines[1] == "exit 1"
    assert "last active administrator" in lines[2] and lines[3] == "exit 1"
    assert fetch(world, "admin").is_active
