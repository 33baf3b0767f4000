"""Headers on every response, cookies, session expiry, sign-in throttling, open redirects, upload
size limit, and no stack traces for people to see."""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from monitor.db.models import AuditEvent
from monitor.web.auth import safe_next
from monitor.web.security import LoginThrottle
from tests.conftest import PASSWORD, csrf_token, login, make_settings

WEB = Path(__file__).resolve().parents[2] / "monitor" / "web"


def get_routes(world):
    values = world.url_values()
    with world.app.test_request_context():
        for rule in world.app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            arguments = {a: values[a] for a in rule.arguments} if rule.endpoint != "static" else {
                "filename": "css/app.css"}
            yield rule.endpoint, url_for(rule.endpoint, **arguments)


#: Documents built only from published data, the same for every reader: browsers may keep them
#: but must ask again each time (their ETag answers 304 while the data is unchanged).
REVALIDATED_PUBLIC_DOCUMENTS = {"public.map_frame"}


def assert_hardened(response, where: str) -> None:
    headers = response.headers
    assert "default-src 'self'" in headers.get("Content-Security-Policy", ""), where
    assert "script-src 'self'" in headers["Content-Security-Policy"], where
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"], where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "SAMEORIGIN", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    if response.mimetype == "text/html":
        if where.split(" ", 1)[0] in REVALIDATED_PUBLIC_DOCUMENTS:
            assert headers.get("Cache-Control") == "no-cache", where
            assert headers.get("ETag"), where
        else:
            assert headers.get("Cache-Control") == "no-store", where


@pytest.mark.parametrize("who", ["admin", "monitor", None])
def test_every_page_carries_the_security_headers(world, who):
    client = world.client(who)
    seen = 0
    for endpoint, url in get_routes(world):
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        assert_hardened(response, f"{endpoint} {url} as {who}")
        seen += 1
    assert seen >= 25
    assert_hardened(client.get("/no/such/page"), "404 page")


# -- cookies and session expiry -------------------------------------------------------------------


def cookie_of(response) -> str:
    found = [v for k, v in response.headers.items() if k == "Set-Cookie" and "dm_session=" in v]
    assert found, "no session cookie was set"
    return found[-1]


def test_session_cookie_flags_in_production(sqlite_url, tmp_path):
    from monitor.db.session import make_session_factory
    from monitor.services import accounts
    from monitor.web.app import create_app

    settings = make_settings(tmp_path, sqlite_url, environment="production", session_hours=3)
    factory = make_session_factory(sqlite_url)
    with factory() as db:
        accounts.create_user(db, "prod@test.example", PASSWORD, role="viewer", organisation="O")
        db.commit()
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/login", base_url="https://monitor.test")
    # Over HTTPS, Flask-WTF also checks that the form was posted from this site (Referer).
    response = client.post("/login", base_url="https://monitor.test",
                           headers={"Referer": "https://monitor.test/login"}, data={
        "email": "prod@test.example", "password": PASSWORD,
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    cookie = cookie_of(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    hours = (expires.timestamp() - time.time()) / 3600
    assert 2.9 < hours <= 3.01
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    factory.kw["bind"].dispose()


def test_session_cookie_is_http_only_and_same_site_locally(world):
    client = world.app.test_client()
    cookie = cookie_of(login(client, world.emails["viewer"]))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("key, age", [("seen", 61 * 60), ("since", 9 * 3600)])
def test_a_session_ends_when_idle_or_too_old(world, key, age):
    client = world.app.test_client()
    login(client, world.emails["viewer"])
    assert client.get("/dashboard/").status_code == 200
    with client.session_transaction() as session:
        session[key] = session[key] - age
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "session expired" in client.get("/login").get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302  # and it stays signed out


def test_activity_keeps_a_session_alive(world):
    client = world.app.test_client()
    login(client, world.emails["viewer"])
    with client.session_transaction() as session:
        session["seen"] = session["seen"] - 59 * 60  # idle for 59 of the 60 minutes allowed
    assert client.get("/dashboard/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen"] < 5  # the request counted as activity


def test_deactivating_or_a_new_password_ends_open_sessions(world):
    from monitor.db.models import User
    from monitor.services import users

    client = world.app.test_client()
    login(client, world.emails["outsider"])
    assert client.get("/dashboard/").status_code == 200
    with world.sessions() as db:
        users.reset_password(db, db.get(User, world.users["outsider"]), by=None)
        db.commit()
    assert client.get("/dashboard/").status_code == 302


# -- sign-in throttling ---------------------------------------------------------------------------


def attempt(client, email, password="wrong password here", address="127.0.0.9"):
    page = client.get("/login")
    return client.post("/login", environ_base={"REMOTE_ADDR": address}, data={
        "email": email, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))})


def audit_count(world) -> int:
    with world.sessions() as db:
        return db.scalar(select(func.count(AuditEvent.id)))


def test_sign_in_is_throttled_per_account(world, monkeypatch):
    now = [1000.0]
    monkeypatch.setitem(world.app.extensions, "monitor.login_throttle",
                        LoginThrottle(per_address=100, per_account=3, seconds=600,
                                      clock=lambda: now[0]))
    client = world.app.test_client()
    email = world.emails["other_monitor"]
    for number in range(3):
        assert attempt(client, email, address=f"127.0.1.{number}").status_code == 401
    before = audit_count(world)
    blocked = attempt(client, email, PASSWORD, address="127.0.1.9")  # right password, new address
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
    assert 1 <= int(blocked.headers["Retry-After"]) <= 601
    assert audit_count(world) == before  # refused before the password was even checked
    now[0] += 601
    assert attempt(client, email, PASSWORD).status_code == 302


def test_sign_in_is_throttled_per_address(world, monkeypatch):
    monkeypatch.setitem(world.app.extensions, "monitor.login_throttle",
                        LoginThrottle(per_address=4, per_account=100))
    client = world.app.test_client()
    for number in range(4):
        assert attempt(client, f"nobody{number}@test.example", address="127.0.2.1").status_code == 401
    assert attempt(client, "nobody9@test.example", address="127.0.2.1").status_code == 429
    assert attempt(client, "nobody9@test.example", address="127.0.2.2").status_code == 401


# -- open redirects -------------------------------------------------------------------------------

HOSTILE = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
           "/\t/evil.example", "/\n/evil.example", "/\u3000/evil.example", "http:evil.example",
           "javascript:alert(1)", "evil.example", " //evil.example", "///evil.example",
           "https:/\\evil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_refuses(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/dashboard/", "/facilities/?q=centro&page=2", "/visits/3#q-x"])
def test_safe_next_keeps_paths_of_this_site(target):
    assert safe_next(target) == target


def stays_here(response) -> bool:
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    return parts.netloc in ("", "localhost") and not location.startswith("//") and "\\" not in location


@pytest.mark.parametrize("target", HOSTILE)
def test_no_route_redirects_off_site(world, target):
    client = world.app.test_client()
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    signed_in = client.post("/login?next=" + target, data={
        "email": world.emails["coordinator"], "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302 and stays_here(signed_in), signed_in.headers["Location"]
    token = csrf_token(client.get("/dashboard/").get_data(as_text=True))
    language = client.post("/language/en", data={"next": target, "csrf_token": token})
    assert language.status_code == 302 and stays_here(language), language.headers["Location"]
    follow_up = client.post(f"/recommendations/{world.ids['rec']}/follow-up",
                            data={"back": target, "status": "bogus", "csrf_token": token})
    assert follow_up.status_code == 302 and stays_here(follow_up), follow_up.headers["Location"]


def test_every_redirect_target_taken_from_a_request_goes_through_safe_next():
    pattern = re.compile(r"request\.(?:args|form|values)\.get\(\s*[\"'](next|back|return_to|url|"
                         r"target|redirect|came_from)[\"']")
    found = 0
    for path in WEB.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found += 1
                assert "safe_next(" in line, f"{path.name}:{number} redirects to a value it was sent"
    assert found >= 3


# -- upload size and errors -----------------------------------------------------------------------


@pytest.fixture
def small_app(sqlite_url, tmp_path):
    from monitor.web.app import create_app

    app = create_app(make_settings(tmp_path, sqlite_url, max_upload_mb=1))
    app.config.update(TESTING=True)
    return app


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_too_large_uploads_get_a_page_that_says_the_limit(small_app, accept):
    client = small_app.test_client()
    response = client.post("/login", data={"email": "x" * (1024 * 1024 + 10)},
                           headers={"Accept": accept})
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "at most 1 MB" in body
    assert_hardened(response, "413")


def test_an_unexpected_error_shows_a_page_without_a_stack_trace(sqlite_url, tmp_path):
    from monitor.web.app import create_app

    app = create_app(make_settings(tmp_path, sqlite_url))
    assert not app.testing and not app.debug

    def explode():
        raise RuntimeError("internal-detail-7f3a in /srv/monitor/secret.py")

    app.add_url_rule("/test-only/explode", "explode", explode)
    client = app.test_client()
    for accept in ("text/html", "application/json"):
        response = client.get("/test-only/explode", headers={"Accept": accept})
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        for leak in ("Traceback", "internal-detail-7f3a", "RuntimeError", "secret.py", 'File "'):
            assert leak not in body
        assert_hardened(response, "500")
    assert "Something went wrong" in client.get("/test-only/explode").get_data(as_text=True)
