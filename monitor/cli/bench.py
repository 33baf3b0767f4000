"""`monitor bench`: the performance benchmark."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import Context, pass_context, progress


def _table(document: dict) -> list[str]:
    lines = [f"{'figure':<38} {'value':>14} {'unit':<10} {'small':>12} {'growth':>8}"]
    for name, entry in sorted(document["figures"].items()):
        value = entry.get("value")
        shown = "—" if value is None else f"{value:,.2f}"
        small = entry.get("small")
        lines.append(f"{name:<38} {shown:>14} {entry.get('unit', ''):<10} "
                     f"{'' if small is None else f'{small:,.2f}':>12} "
                     f"{'' if entry.get('growth') is None else entry['growth']:>8}")
    lines.append("")
    lines.append(f"{'budget':<48} {'goal':<32} {'value':>10}  met")
    for b in document["budgets"]:
        lines.append(f"{b['name']:<48} {b['goal']:<32} {b['value']:>10,.3f}  "
                     f"{'yes' if b['met'] else 'NO'}")
    return lines


@click.command("bench")
@click.option("--scale", type=click.Choice(["tiny", "small", "medium", "large"]), default="small",
              show_default=True, help="Size of the synthetic history (small: 200 facilities, "
              "2,000 visits; medium: 2,000/20,000; large: 5,000/100,000).")
@click.option("--baseline", type=click.Choice(["tiny", "small"]), default="small",
              show_default=True, help="The scale growth ratios compare with (tiny: a quick check "
              "that the benchmark runs, not figures to compare).")
@click.option("--db", "db_url", default=None,
              help="Database server to run on (default: SQLite files in the work folder). For "
                   "PostgreSQL, one database per scale is created beside the one named.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the figures and budgets as JSON here.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where synthetic databases are kept between runs (default: instance/bench).")
@click.option("--seconds", type=float, default=5.0, show_default=True,
              help="How long each page is loaded.")
@click.option("--concurrency", type=int, default=16, show_default=True)
@click.option("--reports", "report_batch", type=click.IntRange(1, 500), default=50,
              show_default=True, help="How many facility PDF reports the batch renders.")
@pass_context
def bench(ctx: Context, scale: str, baseline: str, db_url: str | None, json_path: Path | None,
          workdir: Path | None, seconds: float, concurrency: int, report_batch: int) -> None:
    """Measure pages, visit submit, reports, exports and the public map at a scale.

    Every figure is taken at `small` (or --baseline) and at the chosen scale, with the growth
    between them; the trivial /ping endpoint is measured in the same run as the reference for
    every ratio. Synthetic databases are kept in the work folder and reused by later runs.
    """
    from monitor.bench.run import bench as run_bench

    document = run_bench(scale, db_url=db_url,
                         workdir=workdir or ctx.settings.instance_dir / "bench",
                         json_path=json_path, seconds=seconds, concurrency=concurrency,
                         report_batch=report_batch, baseline=baseline,
                         echo=lambda text: click.echo(text, err=True), progress=progress)
    for line in _table(document):
        click.echo(line)


COMMANDS = [bench]
