"""HTTP hardening: security headers, cookie flags, request size limits, session expiry and
throttling of sign-in attempts.

Throttling here is kept in the memory of one process. With several gunicorn workers each
worker counts on its own, so an attacker gets up to (workers x limit) attempts per window; what
holds across workers (and restarts) is the per-account lockout stored in the database by
:func:`monitor.services.accounts.authenticate` (5 wrong passwords lock the account for 15
minutes). The in-process limits add a cheap first line that also spares the CPU cost of
checking passwords during a flood.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from monitor.core.settings import Settings

#: A signed-in session ends after this many minutes without a request (the absolute limit is
#: ``settings.session_hours`` after signing in). Override with ``app.config``.
IDLE_MINUTES = 60

#: Only this site's own scripts, styles, images and fonts; no inline script.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # folium and Leaflet set element styles from script; style attributes need this.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


def register(app: Flask, settings: Settings) -> None:
    """Set cookie flags and size limits, and add security headers to every response."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="dm_session",
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
    )
    app.config.setdefault("MONITOR_IDLE_MINUTES", IDLE_MINUTES)
    app.extensions["monitor.login_throttle"] = LoginThrottle()

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error: RequestEntityTooLarge):
        message = _("What you sent is larger than this server accepts: at most %(mb)d MB per "
                    "upload. Send a smaller file, or split it into several.",
                    mb=settings.max_upload_mb)
        return _error_response(413, message)

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.is_production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            # Pages may show confidential data: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _error_response(status: int, message: str, headers: dict[str, str] | None = None):
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]:
        response = jsonify(error=message, status=status)
    else:
        response = Response(render_template("errors/error.html", status=status, message=message),
                            mimetype="text/html")
    response.status_code = status
    response.headers.update(headers or {})
    return response


class SlidingWindow:
    """Counts events per key over the last *seconds*; thread-safe, in this process only."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds until *key* may try again (0: it may now)."""
        with self._lock:
            events = self._trim(key)
            if len(events) < self.limit:
                return 0.0
            return max(0.0, events[0] + self.seconds - self._clock())

    def hit(self, key: str) -> None:
        with self._lock:
            self._trim(key).append(self._clock())

    def forget(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def _trim(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        horizon = self._clock() - self.seconds
        while events and events[0] <= horizon:
            events.popleft()
        if len(self._events) > 50_000:  # a flood of distinct keys must not exhaust memory
            for stale in [k for k, v in self._events.items() if not v and k != key]:
                del self._events[stale]
        return events


class LoginThrottle:
    """Sign-in attempts allowed per client address and per account name."""

    def __init__(self, *, per_address: int = 30, per_account: int = 10, seconds: float = 600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.by_address = SlidingWindow(per_address, seconds, clock)
        self.by_account = SlidingWindow(per_account, seconds, clock)

    def wait(self, address: str | None, account: str) -> float:
        """Seconds to wait before this address may try this account again (0: go ahead)."""
        return max(self.by_address.wait(address or "?"), self.by_account.wait(_account_key(account)))

    def attempted(self, address: str | None, account: str) -> None:
        self.by_address.hit(address or "?")
        self.by_account.hit(_account_key(account))

    def succeeded(self, account: str) -> None:
        self.by_account.forget(_account_key(account))


def _account_key(account: str) -> str:
    return (account or "").strip().lower()[:254]


def too_many_attempts(seconds: float):
    """The 429 response for a throttled sign-in, saying how long to wait."""
    minutes = max(1, int(seconds // 60) + (1 if seconds % 60 else 0))
    message = _("Too many sign-in attempts. Wait %(minutes)d minute(s) and try again.",
                minutes=minutes)
    return _error_response(429, message, {"Retry-After": str(max(1, int(seconds) + 1))})
