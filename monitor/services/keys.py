"""Data encryption keys: make new ones and re-encrypt stored secrets with the newest key.

Three columns hold sealed data: ``answers.secret``, ``interviews.notes_secret`` and
``visits.notes_secret``. Rotation walks each of them in batches, one transaction per batch, so
that a long rotation never holds locks for long and can be interrupted and run again: a row
already sealed with the newest key is left alone, and a row someone changed while the batch
ran is skipped rather than overwritten (the next run picks it up).

Every key in the key file can decrypt, so data stays readable during and after rotation by
any process that knows all the keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Table, and_, bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.crypto import Vault, add_key, read_key_file
from monitor.core.errors import ConfigError
from monitor.core.messages import N_
from monitor.db.models import Answer, Interview, Visit
from monitor.services import audit

logger = logging.getLogger(__name__)

#: (table, primary key, sealed column) of every column holding encrypted data.
SEALED_COLUMNS: tuple[tuple[Table, Column, Column], ...] = tuple(
    (model.__table__, model.__table__.c.id, model.__table__.c[name])
    for model, name in ((Answer, "secret"), (Interview, "notes_secret"), (Visit, "notes_secret"))
)
DEFAULT_BATCH = 500


@dataclass
class RotationResult:
    """What a rotation did, per sealed column (``table.column``)."""

    rotated: dict[str, int] = field(default_factory=dict)
    already_current: dict[str, int] = field(default_factory=dict)
    #: Rows changed by someone else between reading and writing a batch; run again for these.
    skipped: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        line = (f"re-encrypted {self.total_rotated}, already with the newest key "
                f"{sum(self.already_current.values())}, in {self.batches} batch(es)")
        if skipped:
            line += f"; {skipped} changed while rotating (run `monitor keys rotate --keep-key` again)"
        return line


def add_new_key(key_file: Path) -> str:
    """Put a new key first in *key_file* (created if missing) and return it.

    :raises ConfigError: the key file cannot be written.
    """
    try:
        return add_key(key_file)
    except OSError as error:
        raise ConfigError(N_("cannot write the key file %(file)s: %(reason)s. Check the folder "
                             "exists and this account may write to it.", file=key_file,
                             reason=error.strerror)) from error


def keys_in_use(explicit: Sequence[str], key_file: Path | None) -> list[str]:
    """The keys the installation uses, newest first (explicit keys win over the key file)."""
    if explicit:
        return list(explicit)
    if key_file is None:
        return []
    return read_key_file(key_file, create=False)


def count_sealed(session: Session) -> int:
    """How many stored values are encrypted (the length of a rotation's progress bar)."""
    return sum(session.scalar(select(func.count()).select_from(table).where(column.is_not(None))) or 0
               for table, _pk, column in SEALED_COLUMNS)


def rotate_sealed(sessions: sessionmaker[Session], keys: Sequence[str], *,
                  batch_size: int = DEFAULT_BATCH,
                  on_progress: Callable[[int], None] | None = None,
                  after_batch: Callable[[int], None] | None = None) -> RotationResult:
    """Re-encrypt every sealed value with ``keys[0]``, one transaction per batch.

    :param keys: every key, newest first (the newest encrypts; all of them decrypt).
    :param on_progress: called with the number of rows looked at after each batch.
    :param after_batch: called with the batch number after each commit (tests use it to read
        the data while a rotation is half done).
    :raises ConfigError: no key, or a stored value that none of the keys opens (nothing of the
        failing batch is written; earlier batches stay rotated, which is harmless).
    """
    if not keys:
        raise ConfigError(N_("no data encryption key to rotate to: run `monitor keys generate`."))
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    vault = Vault(keys)
    newest = Fernet(keys[0].encode("ascii"))
    result = RotationResult()
    for table, pk, column in SEALED_COLUMNS:
        name = f"{table.name}.{column.name}"
        result.rotated[name] = result.already_current[name] = result.skipped[name] = 0
        last_id = 0
        while True:
            with sessions() as session, session.begin():
                rows = session.execute(
                    select(pk, column).where(column.is_not(None), pk > last_id)
                    .order_by(pk).limit(batch_size)).all()
                if not rows:
                    break
                last_id = rows[-1][0]
                changes = []
                for row_id, token in rows:
                    token = bytes(token)
                    if _opens(newest, token):
                        result.already_current[name] += 1
                        continue
                    try:
                        changes.append({"b_id": row_id, "b_old": token, "b_new": vault.rotate(token)})
                    except InvalidToken:
                        raise ConfigError(N_(
                            "%(column)s of row %(row)s cannot be opened with any configured key; "
                            "was a key removed from the key file? Put it back and run again.",
                            column=name, row=row_id)) from None
                written = _write_batch(session, table, pk, column, changes)
                result.rotated[name] += written
                result.skipped[name] += len(changes) - written
            result.batches += 1
            logger.info("keys: rotated %d of %d rows in %s (batch %d)", written, len(rows), name,
                        result.batches)
            if on_progress:
                on_progress(len(rows))
            if after_batch:
                after_batch(result.batches)
    with sessions() as session, session.begin():
        audit.record(session, "keys.rotate", summary={
            "rotated": result.total_rotated, "batches": result.batches,
            "skipped": sum(result.skipped.values())})
    return result


def _opens(fernet: Fernet, token: bytes) -> bool:
    try:
        fernet.decrypt(token)
    except InvalidToken:
        return False
    return True


def _write_batch(session: Session, table: Table, pk: Column, column: Column,
                 changes: list[dict[str, bytes | int]]) -> int:
    """Replace each old token by its new one, only where the row still holds the old token.

    Comparing the old token is what keeps a save made by the running application during the
    rotation from being overwritten with the re-encrypted older value.
    """
    written = 0
    statement = (update(table)
                 .where(and_(pk == bindparam("b_id"), column == bindparam("b_old")))
                 .values({column.name: bindparam("b_new")}))
    for change in changes:  # one by one: executemany does not report per-row matches everywhere
        written += session.execute(statement, change).rowcount or 0
    return written
