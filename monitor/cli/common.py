"""What every command needs: settings, a database session, the catalog, and error output."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.settings import Settings
from monitor.db.session import make_session_factory, session_scope

T = TypeVar("T")


class Context:
    """Lazily built resources, so that `monitor --help` touches nothing."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.settings.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that commits when the block ends without error."""
        with session_scope(self.sessions) as session:
            yield session

    @cached_property
    def catalog(self):  # -> ChecklistCatalog (imported lazily: loading checklists takes time)
        from monitor.services.catalog import load_catalog

        return load_catalog(self.settings.checklist_dir)

    @cached_property
    def vault(self):
        from monitor.core.crypto import vault_for

        return vault_for(self.settings.data_keys, self.settings.data_key_file)


pass_context = click.make_pass_decorator(Context, ensure=True)


def progress(items: Iterable[T], *, label: str, length: int | None = None) -> Any:
    """A progress bar on a terminal; silent when output goes to a file or a pipe."""
    return click.progressbar(items, label=label, length=length, file=sys.stderr,
                             show_pos=True, show_eta=True) if sys.stderr.isatty() else _Quiet(items)


class _Quiet:
    """Stands in for a progress bar: iterates, shows nothing."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items

    def __enter__(self) -> _Quiet:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, *_args: object) -> None:
        return None
