"""Fixtures of the ODK/KoboToolbox interchange tests: the shipped catalogue and small forms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from monitor.core import paths
from monitor.services.catalog import ChecklistCatalog, load_catalog

XLSFORM_DATA = Path(__file__).parents[1] / "data" / "xlsform"
SUBMISSION_DATA = Path(__file__).parents[1] / "data" / "submissions"


@pytest.fixture(scope="session")
def catalog() -> ChecklistCatalog:
    """The checklists and standards shipped in checklists/ (loaded once)."""
    return load_catalog(paths.CHECKLISTS)


@pytest.fixture
def write_form(tmp_path: Path) -> Callable[..., Path]:
    """Write a small XLSForm: ``write_form(survey=[[header...], [row...]], choices=..., settings=...)``."""

    def write(name: str = "form.xlsx", **sheets: Sequence[Sequence[object]]) -> Path:
        book = Workbook()
        first = True
        for title, rows in sheets.items():
            sheet = book.active if first else book.create_sheet()
            sheet.title = title
            first = False
            for row in rows:
                sheet.append(list(row))
        target = tmp_path / name
        book.save(target)
        return target

    return write
