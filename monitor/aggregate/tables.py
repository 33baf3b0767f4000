"""Sums over facility tables that need no geometry (pandas only).

Kept apart from :mod:`monitor.aggregate.geo` so that pages which only add figures up per
country — the public map and country pages — do not load geopandas into every web worker.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: Name of the count column that :func:`country_summary` adds.
COUNT_COLUMN = "facilities"


def country_summary(frame: pd.DataFrame, value_columns: Sequence[str]) -> pd.DataFrame:
    """Sum facility figures per country.

    :param frame: one row per facility with an ``iso3`` column (e.g. from
        :func:`country_of_points`) and the numeric *value_columns*; rows without ``iso3`` are
        left out (they cannot be placed on a country).
    :param value_columns: columns to add up, e.g. ``["people_held", "children_held"]``.
        Unknown figures (``None``/NaN) are skipped; a country where a figure is unknown for
        every facility gets NaN for it, not 0, so "nobody" and "not known" stay apart.
    :returns: columns ``iso3``, ``facilities`` (row count) and each value column, one row per
        country, sorted by ``iso3``.
    :raises ValueError: a column is missing or named ``facilities`` (the message names it).
    """
    columns = list(value_columns)
    missing = [name for name in ["iso3", *columns] if name not in frame.columns]
    if missing:
        raise ValueError(
            f"country_summary needs column(s) {', '.join(missing)}; "
            f"the frame has {', '.join(map(str, frame.columns))}."
        )
    if COUNT_COLUMN in columns:
        raise ValueError(
            f"'{COUNT_COLUMN}' is the name of the count column; rename that value column."
        )
    placed = frame[frame["iso3"].notna()]
    numbers = (
        placed[columns]
        .apply(pd.to_numeric, errors="coerce")
        .assign(iso3=placed["iso3"].astype(str))
    )
    grouped = numbers.groupby("iso3", sort=True)
    summary = grouped.size().rename(COUNT_COLUMN).to_frame()
    for name in columns:
        summary[name] = grouped[name].sum(min_count=1)
    return summary.reset_index()
