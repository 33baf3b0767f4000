"""The checklists and the standards catalogue the application runs with, loaded and checked once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monitor.checklists.loader import check_checklists, discover, load_checklists
from monitor.checklists.schema import Checklist
from monitor.compliance.check import check_rules
from monitor.compliance.standards import Catalogue, load_catalogue
from monitor.core.errors import ChecklistError, Problem, RecordNotFound
from monitor.core.messages import N_


@dataclass
class ChecklistCatalog:
    """Every loaded checklist version, keyed by ``(id, version)``, plus the standards."""

    standards: Catalogue
    checklists: dict[tuple[str, int], Checklist] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Checklist]:
        return iter(sorted(self.checklists.values(), key=lambda c: (c.id, c.version)))

    def get(self, checklist_id: str, version: int | None = None) -> Checklist:
        """Return a checklist version (the newest when *version* is ``None``).

        :raises RecordNotFound: no such checklist or version is installed.
        """
        if version is None:
            versions = [v for (cid, v) in self.checklists if cid == checklist_id]
            if not versions:
                raise RecordNotFound(N_("There is no checklist '%(id)s'.", id=checklist_id))
            version = max(versions)
        found = self.checklists.get((checklist_id, version))
        if found is None:
            raise RecordNotFound(N_(
                "Checklist '%(id)s' version %(version)s is not installed; old visits need the "
                "version they were answered with (keep its files in the checklists folder).",
                id=checklist_id, version=version))
        return found

    def latest(self) -> list[Checklist]:
        """The newest version of each checklist."""
        newest: dict[str, Checklist] = {}
        for checklist in self:
            newest[checklist.id] = checklist
        return list(newest.values())


def standards_paths(checklist_dir: Path) -> tuple[Path, Path]:
    return checklist_dir / "standards.yaml", checklist_dir / "areas.yaml"


def load_standards(checklist_dir: Path) -> Catalogue:
    """Load the standards catalogue and monitoring areas kept beside the checklists."""
    return load_catalogue(*standards_paths(checklist_dir))


def load_catalog(checklist_dir: Path, extra: Iterable[Path] = ()) -> ChecklistCatalog:
    """Load, check and index every checklist under *checklist_dir*.

    :raises ChecklistError: any checklist (or the catalogue) has problems; all are listed.
    """
    standards = load_standards(checklist_dir)
    checklists = load_checklists(
        discover([checklist_dir, *extra]), standards=set(standards.standards),
        areas=set(standards.areas),
    )
    problems = [p for c in checklists for p in check_rules(c, standards)]
    if problems:
        raise ChecklistError(problems)
    return ChecklistCatalog(standards, {c.key: c for c in checklists})


def validate_paths(paths: Iterable[Path], checklist_dir: Path) -> tuple[list[Checklist], list[Problem]]:
    """Check checklist files without raising: return what loaded and every problem found."""
    try:
        standards = load_standards(checklist_dir)
    except ChecklistError as error:
        return [], list(error.problems)
    checklists, problems = check_checklists(
        discover(paths), standards=set(standards.standards), areas=set(standards.areas)
    )
    for checklist in checklists:
        problems.extend(check_rules(checklist, standards))
    return checklists, problems
