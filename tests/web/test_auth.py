"""Signing in and out, protected pages, the health check, security headers."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login


def test_health_reports_database_schema_and_version(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "reachable"
    assert body["schema_revision"] == body["schema_expected"] and body["version"]


@pytest.mark.parametrize("path", ["/dashboard/", "/facilities/", "/facilities/new"])
def test_private_pages_send_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_sign_in_and_out(client, make_user):
    user = make_user("monitor")
    response = login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")
    page = client.get("/dashboard/")
    assert page.status_code == 200 and user.name in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_is_refused_without_revealing_accounts(client, make_user):
    user = make_user("viewer")
    wrong = login(client, user.email, "not the password")
    unknown = login(client, "nobody@test.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "not right" in wrong.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_no_open_redirect_after_sign_in(client, make_user, target):
    user = make_user("viewer")
    page = client.get("/login")
    response = client.post(f"/login?next={target}", data={
        "email": user.email, "password": "correct horse battery",
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/")


def test_forms_without_a_csrf_token_are_refused(client, make_user):
    user = make_user("viewer")
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 400


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_language_switch_and_browser_preference(client):
    spanish = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert 'lang="es"' in spanish.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"})
    token = csrf_token(english.get_data(as_text=True))
    client.post("/language/es", data={"csrf_token": token, "next": "/"})
    assert 'lang="es"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
