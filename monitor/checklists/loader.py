"""Find, load and check checklist definitions: the entry points the rest of the system calls.

A checklist is either a folder holding ``checklist.yaml`` (which may include section files from
the same folder) or a single YAML file whose top has ``id``, ``version`` and ``sections``.
Loading is all or nothing: a checklist with any problem is not returned, and every problem of
every file is reported together so one run shows everything to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from pathlib import Path

from monitor.checklists.parse import ParsedChecklist, parse_checklist
from monitor.checklists.schema import Checklist
from monitor.checklists.validate import validate
from monitor.checklists.yamlsource import LocatedMap, load_yaml
from monitor.core.errors import ChecklistError, Problem

__all__ = ["CHECKLIST_FILE", "check_checklists", "discover", "load_checklist", "load_checklists"]

log = logging.getLogger(__name__)

#: The file that makes a folder one checklist.
CHECKLIST_FILE = "checklist.yaml"
#: YAML files that live beside checklists but are catalogues, not checklists.
NOT_CHECKLISTS = frozenset({"standards.yaml", "areas.yaml"})
_MARKERS = ("id", "version", "sections")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Turn files and folders into the list of checklist files to load.

    A folder holding ``checklist.yaml`` is one checklist. Any other folder is searched, with its
    sub-folders one level down, for folders holding ``checklist.yaml`` and for ``*.yaml`` files
    whose top has ``id``, ``version`` and ``sections`` (``standards.yaml`` and ``areas.yaml``
    are never checklists). A file is taken as it is, even one that does not exist, so that
    loading it reports the fact.

    :param paths: files and folders, as the user named them.
    :returns: checklist files, each once, in the order found (sorted within a folder).
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(_search(path))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _search(folder: Path) -> list[Path]:
    if (folder / CHECKLIST_FILE).is_file():
        return [folder / CHECKLIST_FILE]
    found = [path for path in sorted(folder.glob("*.yaml")) if _looks_like_checklist(path)]
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (child / CHECKLIST_FILE).is_file():
            found.append(child / CHECKLIST_FILE)
        else:
            found.extend(p for p in sorted(child.glob("*.yaml")) if _looks_like_checklist(p))
    return found


def _looks_like_checklist(path: Path) -> bool:
    """Whether *path* holds a checklist; a file that cannot be read is kept, so its fault shows."""
    if path.name in NOT_CHECKLISTS or not path.is_file():
        return False
    try:
        document = load_yaml(path.read_bytes(), path)
    except OSError:
        return True
    if document.error is not None:
        return True
    data = document.data
    return isinstance(data, LocatedMap) and all(key in data for key in _MARKERS)


def _check(path: Path, standards: Collection[str] | None,
           areas: Collection[str] | None) -> tuple[ParsedChecklist, list[Problem]]:
    path = Path(path)
    if path.is_dir():
        if not (path / CHECKLIST_FILE).is_file():
            return ParsedChecklist(path=path), [Problem(
                path, None, None, f"The folder has no {CHECKLIST_FILE}.",
                f"A checklist folder holds {CHECKLIST_FILE}; name the file itself to load a "
                "single-file checklist.")]
        path = path / CHECKLIST_FILE
    parsed = parse_checklist(path)
    problems = parsed.problems + validate(parsed, standards=standards, areas=areas)
    # File by file in include order, then by line: the order a person fixes them in.
    problems.sort(key=lambda p: (parsed.file_rank(p.path), p.line or 0))
    return parsed, problems


def load_checklist(path: Path, *, standards: Collection[str] | None = None,
                   areas: Collection[str] | None = None) -> Checklist:
    """Load and check one checklist.

    :param path: the checklist file, or a folder holding ``checklist.yaml``.
    :param standards: ids of the standards catalogue; ``None`` skips that check.
    :param areas: ids of the monitoring (sub-)areas; ``None`` skips that check.
    :returns: the checklist, with the digest of the files it was read from.
    :raises ChecklistError: with every problem found, when there is at least one.
    """
    parsed, problems = _check(path, standards, areas)
    if problems or parsed.checklist is None:
        raise ChecklistError(problems)
    log.info("checklist %s v%s loaded: %d questions from %d files", parsed.checklist.id,
             parsed.checklist.version, parsed.checklist.question_count, len(parsed.files))
    return parsed.checklist


def check_checklists(paths: Iterable[Path], *, standards: Collection[str] | None = None,
                     areas: Collection[str] | None = None
                     ) -> tuple[list[Checklist], list[Problem]]:
    """Load every checklist found under *paths* and list every problem, without raising.

    A checklist with problems is left out of the returned list; so is the second of two files
    that define the same id and version.

    :param paths: files and folders (see :func:`discover`).
    :returns: the checklists without problems, and all problems in file order.
    """
    paths = [Path(p) for p in paths]
    checklists: list[Checklist] = []
    problems: list[Problem] = []
    for folder in paths:
        if folder.is_dir() and not discover([folder]):
            problems.append(Problem(
                folder, None, None, "No checklist was found in this folder.",
                f"A checklist is a folder holding {CHECKLIST_FILE}, or a .yaml file with id, "
                "version and sections at its top."))
    first_seen: dict[tuple[str, int], ParsedChecklist] = {}
    for path in discover(paths):
        parsed, found = _check(path, standards, areas)
        problems.extend(found)
        checklist = parsed.checklist
        if checklist is None or not checklist.id or not checklist.version:
            continue
        earlier = first_seen.get(checklist.key)
        if earlier is not None:
            place = parsed.place
            line = place.raw.line_of("version") if place is not None else None
            problems.append(Problem(
                parsed.path, line, "version",
                f"The checklist '{checklist.id}' version {checklist.version} is also defined "
                f"in {earlier.path}.",
                "A published version never changes: raise 'version' in one of them, or "
                "remove the copy."))
            continue
        first_seen[checklist.key] = parsed
        if not found:
            checklists.append(checklist)
    log.info("checklists checked: %d loaded, %d problems", len(checklists), len(problems))
    return checklists, problems


def load_checklists(paths: Iterable[Path], *, standards: Collection[str] | None = None,
                    areas: Collection[str] | None = None) -> list[Checklist]:
    """Load every checklist found under *paths*, all or nothing.

    :param paths: files and folders (see :func:`discover`).
    :returns: the checklists, in the order found.
    :raises ChecklistError: with the problems of every file, when there is at least one
        (a duplicate id and version across files counts as one).
    """
    checklists, problems = check_checklists(paths, standards=standards, areas=areas)
    if problems:
        raise ChecklistError(problems)
    return checklists
