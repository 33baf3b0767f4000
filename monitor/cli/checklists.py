"""`monitor checklists …` and `monitor standards …`: the definitions the app runs with."""

from __future__ import annotations

import json
from pathlib import Path

import click

from monitor.cli.common import Context, pass_context
from monitor.core import paths


def _shown(path: Path | str) -> str:
    """Paths relative to the project folder when inside it, as people typed them otherwise."""
    try:
        return str(Path(path).resolve().relative_to(paths.HOME))
    except ValueError:
        return str(path)


@click.group("checklists")
def group() -> None:
    """Validate and list checklist definitions."""


@group.command("validate")
@click.argument("paths_", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_context
def validate(ctx: Context, paths_: tuple[Path, ...]) -> None:
    """Check checklist files and list every problem (default: every shipped checklist)."""
    from monitor.services.catalog import validate_paths

    checklist_dir = ctx.settings.checklist_dir
    checklists, problems = validate_paths(paths_ or [checklist_dir], checklist_dir)
    for checklist in checklists:
        click.echo(f"ok  {checklist.id} v{checklist.version}: {len(list(checklist.all_sections()))} "
                   f"sections, {checklist.question_count} questions")
    for problem in problems:
        line = f":{problem.line}" if problem.line else ""
        field = f" [{problem.field}]" if problem.field else ""
        hint = f" {problem.hint}" if problem.hint else ""
        click.echo(f"{_shown(problem.path)}{line}:{field} {problem.message}{hint}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found.")
    if not checklists:
        raise click.ClickException("No checklist found in the given paths.")


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def list_(ctx: Context, as_json: bool) -> None:
    """List checklists with their versions, sections and question counts."""
    records = []
    for checklist in ctx.catalog:
        sections = []
        for section in checklist.all_sections():
            sections.append({
                "id": section.id,
                "title": section.title.get("en"),
                "area": section.area,
                "questions": [
                    {"id": q.id, "type": q.type.value, "standards": list(q.standards),
                     "sensitive": q.sensitive}
                    for q in section.questions
                ],
            })
        records.append({"id": checklist.id, "version": checklist.version,
                        "title": checklist.title.get("en"), "languages": list(checklist.languages),
                        "digest": checklist.digest, "sections": sections})
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for record in records:
        count = sum(len(s["questions"]) for s in record["sections"])
        click.echo(f"{record['id']} v{record['version']}  {record['title']}  "
                   f"({len(record['sections'])} sections, {count} questions)")
        for section in record["sections"]:
            click.echo(f"    {section['id']:<28} {section['area'] or '':<34} {len(section['questions'])}")


@click.group("standards")
def standards_group() -> None:
    """The standards catalogue."""


@standards_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def standards_list(ctx: Context, as_json: bool) -> None:
    """List every standard a checklist may cite, with citation and threshold."""
    from monitor.services.catalog import load_standards

    catalogue = load_standards(ctx.settings.checklist_dir)
    records = []
    for standard in catalogue.standards.values():
        t = standard.threshold
        records.append({
            "id": standard.id, "source": standard.source.id, "cite": standard.cite,
            "citation": standard.citation("en"), "paraphrase": standard.paraphrase.get("en"),
            "paraphrase_es": standard.paraphrase.get("es"),
            "threshold": ({"measure": t.measure, "operator": t.operator, "value": t.value,
                           "unit": t.unit} if t else None),
            "uncertain": standard.uncertain, "jurisdiction": standard.jurisdiction,
            "areas": list(standard.areas),
        })
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for r in records:
        flag = " (to verify)" if r["uncertain"] else ""
        click.echo(f"{r['id']:<34} {r['citation']}{flag}")
    click.echo(f"{len(records)} standards")


COMMANDS = [group, standards_group]
