"""The permission matrix, cell by cell, and a representative route for each action.

The expected table below is written out by hand: changing who may do what means changing the
matrix in monitor/services/permissions.py *and* this table, on purpose.
"""

from __future__ import annotations

import json

import pytest

from monitor.db.models import Role, User, Visit, VisitMember
from monitor.services import permissions
from monitor.services.permissions import MATRIX, PUBLIC_ACTIONS

ROLES = ("admin", "coordinator", "monitor", "viewer", "public")

#: action → the scope of each role, in the order of ROLES ("no": refused).
EXPECTED = {
    "public.view":         ("yes", "yes", "yes", "yes", "yes"),
    "facility.view":       ("yes", "yes", "yes", "yes", "no"),
    "facility.edit":       ("yes", "yes", "yes", "no", "no"),
    "facility.merge":      ("yes", "yes", "no", "no", "no"),
    "facility.import":     ("yes", "yes", "no", "no", "no"),
    "visit.view":          ("org", "org", "org", "org", "no"),
    "visit.create":        ("yes", "yes", "yes", "no", "no"),
    "visit.edit":          ("org", "org", "team", "no", "no"),
    "visit.submit":        ("org", "org", "team", "no", "no"),
    "visit.review":        ("org*", "org*", "no", "no", "no"),
    "visit.publish":       ("org*", "org*", "no", "no", "no"),
    "visit.unpublish":     ("org", "org", "no", "no", "no"),
    "interview.view":      ("org", "org", "team", "no", "no"),
    "interview.edit":      ("org", "org", "team", "no", "no"),
    "recommendation.edit": ("org", "org", "team", "no", "no"),
    "report.internal":     ("yes", "yes", "yes", "no", "no"),
    "export.internal":     ("yes", "yes", "no", "no", "no"),
    "dashboard.view":      ("yes", "yes", "yes", "yes", "no"),
    "users.manage":        ("yes", "no", "no", "no", "no"),
    "audit.view":          ("yes", "no", "no", "no", "no"),
}

#: Where the visit stands relative to the person: no visit given, same organisation only, on
#: its team, its author (not listed as a member), another organisation.
VARIANTS = ("none", "own_org", "team", "author", "other_org")
#: What each scope means for each variant (the semantics, stated independently of the code).
OUTCOME = {
    "yes":  {"none": True, "own_org": True, "team": True, "author": True, "other_org": True},
    "org":  {"none": True, "own_org": True, "team": True, "author": True, "other_org": False},
    "org*": {"none": True, "own_org": True, "team": True, "author": False, "other_org": False},
    "team": {"none": True, "own_org": False, "team": True, "author": True, "other_org": False},
    "no":   {"none": False, "own_org": False, "team": False, "author": False, "other_org": False},
}


def person(role: str, *, active: bool = True) -> User | None:
    if role == "public":
        return None
    return User(id=10, role=Role(role), organisation_id=1, is_active=active, email="p@x.example",
                name="P", password_hash="x")


def visit_for(variant: str) -> Visit | None:
    if variant == "none":
        return None
    visit = Visit(id=99, organisation_id=2 if variant == "other_org" else 1,
                  created_by_id=10 if variant == "author" else 20)
    visit.members = [VisitMember(user_id=20)]
    if variant == "team":
        visit.members.append(VisitMember(user_id=10))
    return visit


def test_the_matrix_is_the_table_written_here():
    assert set(EXPECTED) == set(MATRIX) | PUBLIC_ACTIONS
    for action, scopes in MATRIX.items():
        written = {role: scope for role, scope in zip(ROLES, EXPECTED[action], strict=True)
                   if scope != "no" and role != "public"}
        assert {r.value: s.value for r, s in scopes.items()} == written, action
    assert all(EXPECTED[a][-1] == "no" for a in MATRIX), "the public may only view public pages"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_cell(action, role):
    scope = EXPECTED[action][ROLES.index(role)]
    for variant in VARIANTS:
        got = permissions.can(person(role), action, visit_for(variant))
        assert got is OUTCOME[scope][variant], f"{action} / {role} / {variant}"
        if not got:
            with pytest.raises(permissions.NotAllowed):
                permissions.require(person(role), action, visit_for(variant))


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_a_deactivated_account_may_do_nothing(action):
    for role in ROLES[:-1]:
        assert not permissions.can(person(role, active=False), action, visit_for("team"))


def test_the_four_eyes_refusal_says_why():
    with pytest.raises(permissions.NotAllowed, match="four-eyes"):
        permissions.require(person("coordinator"), "visit.publish", visit_for("author"))


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        permissions.can(person("admin"), "visit.delete_everything")


# -- routes ---------------------------------------------------------------------------------------

#: action → (method, path with {placeholders}, form data). Permitted requests are chosen so that
#: they change nothing (a draft cannot be accepted, an empty recommendation is refused), so the
#: same world serves every case.
ROUTES = {
    "public.view": ("GET", "/", {}),
    "facility.view": ("GET", "/facilities/", {}),
    "facility.edit": ("GET", "/facilities/new", {}),
    "facility.merge": ("POST", "/facilities/{facility}/merge", {"keep": "F-ZZZZZZ"}),
    "facility.import": ("GET", "/facilities/import", {}),
    "visit.view": ("GET", "/visits/{visit}", {}),
    "visit.create": ("GET", "/visits/new", {}),
    "visit.edit": ("POST", "/visits/{visit}/sections/access/autosave",
                   {"lock_version": "{lock}", "base": "{}"}),
    "visit.submit": ("POST", "/visits/{visit}/submit", {}),
    "visit.review": ("POST", "/visits/{visit}/accept", {}),
    "visit.publish": ("POST", "/visits/{visit}/publish", {}),
    "visit.unpublish": ("POST", "/visits/{visit}/unpublish", {}),
    "interview.view": ("GET", "/visits/{visit}/interviews/", {}),
    "interview.edit": ("GET", "/visits/{visit}/interviews/new", {}),
    "recommendation.edit": ("POST", "/visits/{visit}/recommendations", {"text": ""}),
    # Reports need a submitted visit; their routes are checked role by role in
    # tests/reports/test_web.py.
    "report.internal": None,
    "export.internal": ("GET", "/exports/", {}),
    "dashboard.view": ("GET", "/dashboard/", {}),
    "users.manage": ("GET", "/admin/users", {}),
    "audit.view": ("GET", "/admin/audit", {}),
}
#: The people the route checks use: on the visit's team, not its author, same organisation.
ROUTE_PEOPLE = {"admin": "admin", "coordinator": "coordinator", "monitor": "monitor",
                "viewer": "viewer", "public": None}


def call(world, who, method, path, data):
    from monitor.db.models import Visit as VisitModel

    with world.sessions() as db:
        lock = db.get(VisitModel, world.ids["visit"]).lock_version
    path = path.format(visit=world.ids["visit"], facility=world.ids["facility"])
    client = world.client(who)
    if method == "GET":
        return client.get(path)
    form = {k: v.replace("{lock}", str(lock)) for k, v in data.items()}
    form["csrf_token"] = world.token(who)
    return client.post(path, data=form, headers={"X-CSRFToken": form["csrf_token"]})


def refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_action_has_a_representative_route_or_says_why():
    assert set(ROUTES) == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(a for a, route in ROUTES.items() if route))
def test_route(world, action, role):
    method, path, data = ROUTES[action]
    allowed = OUTCOME[EXPECTED[action][ROLES.index(role)]]["team"]
    response = call(world, ROUTE_PEOPLE[role], method, path, data)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert refused(response) is (not allowed), (
        f"{method} {path} as {role}: {response.status_code} {response.headers.get('Location')}")


def test_a_visit_of_another_organisation_is_reported_missing(world):
    response = world.client("other_coordinator").get(f"/visits/{world.ids['visit']}")
    assert response.status_code == 404
    own = world.client("other_coordinator").get(f"/visits/{world.ids['foreign_visit']}")
    assert own.status_code == 200


def test_only_the_team_may_edit_answers(world):
    method, path, data = ROUTES["visit.edit"]
    assert call(world, "outsider", method, path, data).status_code == 403
    answer = call(world, "author", method, path, data)
    assert answer.status_code == 200 and "error" not in json.loads(answer.get_data(as_text=True))


def test_interviews_are_for_the_team_only(world):
    path = f"/visits/{world.ids['visit']}/interviews/"
    assert world.client("outsider").get(path).status_code == 403
    assert world.client("author").get(path).status_code == 200
    assert world.client("other_coordinator").get(path).status_code == 404


def test_the_author_cannot_review_their_own_visit(world):
    visit_id = world.ids["coordinator_visit"]
    token = world.token("coordinator")
    mine = world.client("coordinator").post(f"/visits/{visit_id}/accept",
                                            data={"csrf_token": token})
    assert mine.status_code == 403 and "four-eyes" in mine.get_data(as_text=True)
    other = world.client("admin").post(f"/visits/{visit_id}/accept",
                                       data={"csrf_token": world.token("admin")})
    assert other.status_code == 409  # allowed, but a draft cannot be accepted
