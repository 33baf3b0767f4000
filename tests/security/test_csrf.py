"""Every state-changing route refuses a request without a CSRF token, and changes nothing.

Routes are found in the application's URL map, so a route added later is covered without
editing this file (a new URL argument name needs a value in ``World.url_values``).
"""

from __future__ import annotations

import pytest

from tests.security.conftest import database_fingerprint

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & UNSAFE):
            found.append((method, rule.endpoint, rule.rule, tuple(sorted(rule.arguments))))
    return sorted(found)


def build_url(world, rule) -> str:
    values = world.url_values()
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"{rule.rule}: give World.url_values a value for {missing}"
    with world.app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


def test_the_sweep_finds_the_known_state_changing_routes(world):
    endpoints = {endpoint for _m, endpoint, _r, _a in unsafe_routes(world.app)}
    assert {"auth.login", "auth.logout", "visits.autosave", "interviews.delete",
            "admin.set_role", "facilities.merge"} <= endpoints
    assert len(endpoints) >= 20


@pytest.mark.parametrize("signed_in_as", ["admin", None])
def test_no_state_change_without_a_csrf_token(world, signed_in_as):
    client = world.client(signed_in_as)
    before = database_fingerprint(world.sessions)
    refused = []
    for rule in world.app.url_map.iter_rules():
        for method in sorted(rule.methods & UNSAFE):
            url = build_url(world, rule)
            response = client.open(url, method=method,
                                   data={"text": "x", "role": "viewer", "keep": world.ids["spare"],
                                         "status": "implemented", "lock_version": "1",
                                         "base": "{}", "email": "new@test.example"})
            assert response.status_code == 400, f"{method} {url}: {response.status_code}"
            refused.append(url)
    assert len(refused) >= 20
    assert database_fingerprint(world.sessions) == before
    if signed_in_as:  # the sweep posted to /logout too: the session must have survived it
        assert client.get("/dashboard/").status_code == 200


def test_a_token_from_another_session_is_refused(world):
    stolen = world.token("viewer")
    response = world.client("admin").post(
        f"/admin/users/{world.users['viewer']}/role", data={"role": "admin", "csrf_token": stolen})
    assert response.status_code == 400
