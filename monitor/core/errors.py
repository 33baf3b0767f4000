"""Errors that people, not programmers, are meant to read.

Domain code raises these; the web layer and the CLI turn them into a page or a one-line message.
Nothing here imports Flask or click. An error raised with a :class:`~monitor.core.messages.Message`
(``raise InputError(N_("...", name=value))``) reads as English with ``str(error)`` and keeps its
template, so that the web layer can show it in the page's language (:func:`message_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class MonitorError(Exception):
    """Base of every error this application reports to a user."""


def message_of(error: BaseException) -> str:
    """What *error* says to a person: the message it was raised with, else its text.

    The message may be a :class:`~monitor.core.messages.Message`, which a page translates;
    ``str(error)`` would lose its template.
    """
    if len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)


class ConfigError(MonitorError):
    """A setting is missing or unusable."""


class RecordNotFound(MonitorError):
    """The requested record does not exist (or is not visible to this user)."""


class NotAllowed(MonitorError):
    """The user may not do this."""


class InvalidState(MonitorError):
    """The record is not in a state that allows this action."""


class ConflictError(MonitorError):
    """Someone else changed the record since it was read (optimistic locking)."""


class InputError(MonitorError):
    """What the user typed or uploaded cannot be used; the message says why and where."""


@dataclass(frozen=True)
class Problem:
    """One fault in one file: where it is, what is wrong, how to fix it.

    ``field`` names the place inside the file (for a checklist, the question id or a path such
    as ``sections[health].questions[doctor_daily].type``).
    """

    path: Path | str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        field = f" [{self.field}]" if self.field else ""
        hint = f" {self.hint}" if self.hint else ""
        return f"{where}:{field} {self.message}{hint}"


class ChecklistError(MonitorError):
    """A checklist file cannot be used. Nothing from it is loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in checklist files:"
        super().__init__("\n".join([heading, *(f"  {p}" for p in self.problems)]))
