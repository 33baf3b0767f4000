"""Runtime settings, read once from the environment.

Every value has a safe local default so that ``monitor demo`` works on a laptop with nothing set;
production mode (``MONITOR_ENV=production``) refuses to start without an explicit secret key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from monitor.core import paths
from monitor.core.errors import ConfigError

ENVIRONMENTS = ("development", "production", "test")


@dataclass(frozen=True)
class Settings:
    """Everything the application needs to know about its surroundings."""

    database_url: str
    secret_key: str
    instance_dir: Path = paths.INSTANCE
    checklist_dir: Path = paths.CHECKLISTS
    export_dir: Path = paths.EXPORTS
    environment: str = "development"
    #: Key material for encryption at rest; see :mod:`monitor.core.crypto`.
    data_key_file: Path | None = None
    data_keys: tuple[str, ...] = ()
    #: Public pages write "fewer than N" instead of a smaller count that could identify people.
    min_public_count: int = 5
    #: Visits appear on public pages this many days after publication (0: at once).
    publication_delay_days: int = 0
    organisation_name: str = "Detention Monitor (demo)"
    organisation_logo: Path | None = None
    session_hours: int = 8
    max_upload_mb: int = 20
    #: Memory each web worker may give to rendered page bodies (0: no page cache).
    page_cache_mb: int = 16
    default_language: str = "en"
    languages: tuple[str, ...] = ("en", "es")
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Build settings from ``DATABASE_URL`` and ``MONITOR_*`` variables.

        :raises ConfigError: a variable is present but unusable, or production mode has no
            secret key.
        """
        environment = environ.get("MONITOR_ENV", "development").strip().lower()
        if environment not in ENVIRONMENTS:
            raise ConfigError(
                f"MONITOR_ENV must be one of {', '.join(ENVIRONMENTS)} (got {environment!r})."
            )
        instance_dir = Path(environ.get("MONITOR_INSTANCE", paths.INSTANCE))
        secret = environ.get("MONITOR_SECRET_KEY", "").strip()
        if not secret:
            if environment == "production":
                raise ConfigError(
                    "MONITOR_SECRET_KEY is not set. In production the secret key must come from "
                    "the environment: generate one with `python -c \"import secrets; "
                    "print(secrets.token_hex(32))\"` and set MONITOR_SECRET_KEY."
                )
            secret = _instance_secret(instance_dir)
        elif len(secret) < 16:
            raise ConfigError("MONITOR_SECRET_KEY is too short: use at least 32 random characters.")
        keys = tuple(k.strip() for k in environ.get("MONITOR_DATA_KEYS", "").split(",") if k.strip())
        key_file = environ.get("MONITOR_DATA_KEY_FILE")
        logo = environ.get("MONITOR_ORG_LOGO")
        return cls(
            database_url=normalise_database_url(
                environ.get("DATABASE_URL") or default_database_url(instance_dir)
            ),
            secret_key=secret,
            instance_dir=instance_dir,
            checklist_dir=Path(environ.get("MONITOR_CHECKLISTS", paths.CHECKLISTS)),
            export_dir=Path(environ.get("MONITOR_EXPORTS", paths.EXPORTS)),
            environment=environment,
            data_key_file=Path(key_file) if key_file else instance_dir / "data.key",
            data_keys=keys,
            min_public_count=_positive_int(environ, "MONITOR_MIN_PUBLIC_COUNT", default=5),
            publication_delay_days=_positive_int(
                environ, "MONITOR_PUBLICATION_DELAY_DAYS", default=0, minimum=0
            ),
            organisation_name=environ.get("MONITOR_ORG_NAME", cls.organisation_name),
            organisation_logo=Path(logo) if logo else None,
            session_hours=_positive_int(environ, "MONITOR_SESSION_HOURS", default=8),
            max_upload_mb=_positive_int(environ, "MONITOR_MAX_UPLOAD_MB", default=20),
            page_cache_mb=_positive_int(environ, "MONITOR_PAGE_CACHE_MB", default=16, minimum=0),
            **_languages(environ),
        )


def default_database_url(instance_dir: Path) -> str:
    """Return the embedded SQLite database URL under *instance_dir*."""
    return f"sqlite:///{instance_dir / 'monitor.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _positive_int(environ: Mapping[str, str], name: str, *, default: int, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not raw.strip().isdigit() or int(raw) < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum} (got {raw!r}).")
    return int(raw)


def _languages(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read ``MONITOR_LANGUAGES`` ("en,es,fr"): the interface languages, the first the default.

    A language needs its catalogue in ``monitor/translations/<code>/`` (English, the language
    of the source, needs none); see "Adding a language" in the README.

    :raises ConfigError: the list is empty or holds something that is not a language code.
    """
    raw = environ.get("MONITOR_LANGUAGES")
    if raw is None or raw.strip() == "":
        return {}
    codes = [code.strip().replace("-", "_") for code in raw.split(",") if code.strip()]
    bad = [code for code in codes if not _is_locale(code)]
    if bad or not codes:
        what = f"not a language code: {', '.join(map(repr, bad))}" if bad else "no code in it"
        raise ConfigError(
            f"MONITOR_LANGUAGES must be language codes separated by commas, the default first, "
            f"such as \"en,es\" (got {raw!r}, {what})."
        )
    unique = tuple(dict.fromkeys(codes))  # keep the order, drop repeats
    return {"languages": unique, "default_language": unique[0]}


def _is_locale(code: str) -> bool:
    """Whether Babel knows *code* ("es", "pt_BR"), so that dates and numbers can be formatted."""
    try:
        return str(Locale.parse(code)) == code
    except (ValueError, UnknownLocaleError):
        return False


def _instance_secret(instance_dir: Path) -> str:
    """Return this installation's secret key, creating it on first run (development only)."""
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()
