"""Settings come from the environment, with safe defaults and clear refusals."""

from __future__ import annotations

import pytest

from monitor.core.errors import ConfigError
from monitor.core.settings import Settings


def test_defaults_use_sqlite_under_the_instance_folder(tmp_path):
    settings = Settings.from_env({"MONITOR_INSTANCE": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'monitor.sqlite3'}"
    assert len(settings.secret_key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings.from_env({"MONITOR_INSTANCE": str(tmp_path)}).secret_key == settings.secret_key


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="MONITOR_SECRET_KEY"):
        Settings.from_env({"MONITOR_ENV": "production", "MONITOR_INSTANCE": str(tmp_path)})
    settings = Settings.from_env({"MONITOR_ENV": "production", "MONITOR_INSTANCE": str(tmp_path),
                                  "MONITOR_SECRET_KEY": "x" * 40})
    assert settings.is_production


def test_postgres_urls_use_the_psycopg_driver():
    settings = Settings.from_env({"DATABASE_URL": "postgres://u@h/db", "MONITOR_SECRET_KEY": "k" * 32})
    assert settings.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("name,value", [("MONITOR_MIN_PUBLIC_COUNT", "0"),
                                        ("MONITOR_MIN_PUBLIC_COUNT", "five"),
                                        ("MONITOR_ENV", "staging")])
def test_unusable_values_are_named(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value, "MONITOR_INSTANCE": str(tmp_path)})
