"""`monitor checklists export-xlsform|import-xlsform` and `monitor visits import`: ODK and Kobo.

The XLSForm commands join the existing `checklists` group; `visits` is a group of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.checklists import group as checklists_group
from monitor.cli.common import Context, pass_context, progress
from monitor.core.errors import MonitorError

if TYPE_CHECKING:
    from monitor.interop.submissions import PlannedVisit


def _split(sections: str | None) -> list[str]:
    return [s.strip() for s in (sections or "").split(",") if s.strip()]


@checklists_group.command("export-xlsform")
@click.argument("checklist_id", metavar="ID")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@click.option("--sections", default=None, metavar="A,B",
              help="Only these sections (ids, comma-separated), with what they refer to.")
@pass_context
def export_xlsform(ctx: Context, checklist_id: str, out: Path, sections: str | None) -> None:
    """Write checklist ID (or ID@VERSION) as an XLSForm for ODK Collect and KoboToolbox.

    Texts come in every language of the checklist (label::English (en)...); standards, rules,
    sensitive flags, units, indicators and areas travel in dm_* columns, red flags in the
    dm_red_flags sheet, so that import-xlsform gets the same checklist back. The form starts
    with the facility and the visit dates, which `monitor visits import` reads.
    """
    from monitor.interop.xlsform_export import export_xlsform as export

    name, _, version = checklist_id.partition("@")
    if version and not version.isdigit():
        raise click.BadParameter(f"'{checklist_id}' is not ID or ID@VERSION.",
                                 param_hint="ID")
    checklist = ctx.catalog.get(name, int(version) if version else None)
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter("the XLSForm is written as .xlsx: name the file FILE.xlsx.",
                                 param_hint="--out")
    form = export(checklist, out, _split(sections))
    for note in form.notes:
        click.echo(note)
    sensitive = sum(1 for q in form.question_ids if checklist.by_id[q].sensitive)
    if sensitive:
        click.echo(f"Note: {sensitive} questions are marked sensitive; the server that collects "
                   "the form (ODK Central, KoboToolbox) keeps their answers unencrypted, so "
                   "limit who can see its submissions and delete them once imported.")
    groups = {group for path in form.paths.values() for group in path.split("/")[:-1]}
    click.echo(f"Wrote {out}: {len(form.question_ids)} questions in {len(groups)} groups of "
               f"{checklist.id} v{checklist.version}.")


@checklists_group.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would be written; write nothing.")
@click.option("--out", "out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the checklist to (default: a new folder named after the "
                   "form_id in the checklists folder).")
@click.option("--one-file", is_flag=True,
              help="Write one ID.yaml into --out instead of checklist.yaml and a file per group.")
@pass_context
def import_xlsform(ctx: Context, path: Path, dry_run: bool, out: Path | None,
                   one_file: bool) -> None:
    """Turn an XLSForm (from ODK, KoboToolbox or a spreadsheet) into checklist YAML files.

    Each problem is printed as `sheet S, row R: sentence`. Warnings say what was left out or
    changed (notes, repeats, media, choice filters...) and the rest is imported; errors (an
    expression checklists cannot evaluate, a missing translation...) stop the import, and
    nothing is written. The files are checked with the same validator as `checklists validate`.
    """
    from monitor.interop.checklist_files import import_xlsform as read
    from monitor.interop.checklist_files import write_checklist

    checklist_dir = ctx.settings.checklist_dir
    result = read(path, checklist_dir=checklist_dir, one_file=one_file)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    counts = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
    if not result.ok:
        raise click.ClickException(f"{path.name}: {counts}; nothing was written.")
    checklist = result.checklist
    assert checklist is not None
    target = out or (checklist_dir if one_file else checklist_dir / checklist.id)
    clash = _inside(target, checklist_dir) and _installed(ctx, checklist.id, checklist.version)
    clash_message = (f"The checklist '{checklist.id}' version {checklist.version} is already "
                     "installed: raise the version in the settings sheet, or write elsewhere "
                     "with --out.")
    if clash and not dry_run:
        raise click.ClickException(clash_message)
    described = (f"checklist {checklist.id} v{checklist.version}: "
                 f"{len(list(checklist.all_sections()))} sections, {checklist.question_count} "
                 f"questions, {len(checklist.red_flags)} red flags ({counts})")
    if dry_run:
        for name, text in result.files.items():
            click.echo(f"would write {target / name} ({text.count(chr(10))} lines)")
        if clash:  # a dry run only reports it: nothing would be overwritten without asking
            click.echo(f"note: {clash_message}", err=True)
        click.echo(f"dry run: {described}")
        return
    try:
        written = write_checklist(result, target)
    except MonitorError as error:
        raise click.ClickException(str(error)) from None
    for file in written:
        click.echo(f"wrote {file}")
    click.echo(described)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _installed(ctx: Context, checklist_id: str, version: int) -> bool:
    from monitor.core.errors import ChecklistError, RecordNotFound

    try:
        ctx.catalog.get(checklist_id, version)
    except (RecordNotFound, ChecklistError):
        return False
    return True


@click.group("visits")
def visits_group() -> None:
    """Visits: import submissions from ODK and KoboToolbox."""


@visits_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--checklist", "checklist_id", default=None, metavar="ID",
              help="The checklist (ID or ID@VERSION) the submissions answer (default: the "
                   "dm_checklist column of forms exported by this application).")
@click.option("--org", "organisation", default=None,
              help="The organisation the visits belong to (its first admin or coordinator "
                   "owns them).")
@click.option("--as", "email", default=None, metavar="EMAIL",
              help="The account that owns the visits (default: see --org).")
@pass_context
def import_visits(ctx: Context, path: Path, dry_run: bool, checklist_id: str | None,
                  organisation: str | None, email: str | None) -> None:
    """Import KoboToolbox/ODK submissions (CSV, XLSX or ODK Central JSON) as draft visits.

    Each problem is printed as `row R, column C: sentence`; a row with a problem in one answer
    is still imported without that answer. Importing the same file again finds the visits it
    made (by the submission's instance id) and updates drafts whose answers changed. The last
    line says `created N, updated N, unchanged N, rejected N`.
    """
    from monitor.interop import submissions
    from monitor.interop.owner import importing_user

    with ctx.session() as session:
        user = importing_user(session, email=email, organisation=organisation)
        plan = submissions.plan_submissions(session, path, catalog=ctx.catalog, vault=ctx.vault,
                                            by=user, checklist_id=checklist_id)
        for problem in plan.problems:
            click.echo(str(problem), err=True)
        if dry_run:
            for row in plan.rows:
                if row.action in (submissions.Action.CREATE, submissions.Action.UPDATE):
                    click.echo(_describe(row))
            click.echo(f"dry run: {plan.summary()}")
            session.rollback()
            return
        with progress(plan.rows, label="Importing visits") as bar:
            submissions.apply_submissions(session, plan, by=user, vault=ctx.vault,
                                          on_progress=lambda n: bar.update(n))
    click.echo(plan.summary())


def _describe(row: PlannedVisit) -> str:
    facility = row.facility
    where = f"{facility.public_id} ({facility.name})" if facility is not None else "?"
    if row.visit is None:
        return (f"row {row.row}: would create a visit to {where} on {row.start_date} with "
                f"{sum(1 for v in row.answers.values() if v not in (None, [], ''))} answers")
    return f"row {row.row}: would update visit {row.visit.id} ({len(row.changes)} answers changed)"


COMMANDS = [visits_group]
