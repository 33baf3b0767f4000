"""The dependency rule of the house, checked on the real import graph (import-linter).

The contracts live in pyproject.toml: domain code (checklists, compliance, services, outputs…)
imports no Flask, and each layer imports only those below it, so the engine and the services
can be used from the command line and tests without a web application.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True,
                          no_logo=True)
    assert status == 0, capsys.readouterr().out
