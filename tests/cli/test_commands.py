"""The `monitor` command as operators and scripts use it: a real process, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.core.crypto import generate_key


def monitor(tmp_path: Path, *args: str, stdin: str | None = None, url: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url or f"sqlite:///{tmp_path / 'cli.sqlite3'}",
               MONITOR_INSTANCE=str(tmp_path / "instance"), MONITOR_DATA_KEYS=KEY)
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=600)


KEY = generate_key()


def test_help_lists_the_commands(tmp_path):
    result = monitor(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "db", "users", "facilities", "checklists", "standards"):
        assert command in result.stdout


def test_users_create_reads_the_password_from_stdin(tmp_path):
    assert monitor(tmp_path, "db", "upgrade").returncode == 0
    created = monitor(tmp_path, "users", "create", "ana@example.org", "--role", "coordinator",
                      "--org", "Red Ciudadana", stdin="a long enough phrase\n")
    assert created.returncode == 0, created.stderr
    assert "ana@example.org" in created.stdout
    again = monitor(tmp_path, "users", "create", "ana@example.org", "--role", "viewer",
                    stdin="a long enough phrase\n")
    assert again.returncode == 1
    assert again.stderr.startswith("Error: An account for ana@example.org already exists")
    assert "Traceback" not in again.stderr


def test_wrong_usage_exits_2(tmp_path):
    result = monitor(tmp_path, "users", "create", "x@example.org", "--role", "pope")
    assert result.returncode == 2


def test_demo_loads_idempotently_and_facilities_list_json(tmp_path):
    first = monitor(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "admin@demo.example" in first.stdout
    listed = json.loads(monitor(tmp_path, "facilities", "list", "--json").stdout)
    assert len(listed) >= 15
    assert len({f["country"] for f in listed}) >= 4
    assert {"id", "name", "country", "latitude", "longitude", "type", "status"} <= set(listed[0])
    assert any(not f["name"].isascii() for f in listed)
    second = monitor(tmp_path, "demo", "--no-serve")
    assert second.returncode == 0
    assert len(json.loads(monitor(tmp_path, "facilities", "list", "--json").stdout)) == len(listed)


def test_validate_reports_a_broken_checklist_with_file_and_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nversion: 1\ntitle: Broken\nsections:\n  - id: s\n    title: S\n"
                      "    questions:\n      - id: q1\n        type: no_such_type\n        label: Q\n")
    result = monitor(tmp_path, "checklists", "validate", str(broken))
    assert result.returncode == 1
    assert "broken.yaml:9: [q1]" in result.stderr
    assert "Traceback" not in result.stderr


def test_shipped_checklists_validate(tmp_path):
    result = monitor(tmp_path, "checklists", "validate")
    assert result.returncode == 0, result.stderr
    assert "ok  core v1" in result.stdout


@pytest.mark.parametrize("args", [("checklists", "list", "--json"), ("standards", "list", "--json")])
def test_json_listings_parse(tmp_path, args):
    result = monitor(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)
