"""Declarative base with fixed constraint names and helpers for checked enumerations."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table; fixed constraint names keep migrations stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def checked_enum(kind: type[enum.Enum], name: str) -> Enum:
    """A string column limited to *kind*'s values by a CHECK constraint on every database."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in kind) + 4,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
