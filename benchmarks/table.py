"""Print the README's performance tables from benchmark records (`monitor bench --json`).

    .venv/bin/python benchmarks/table.py benchmarks/large-sqlite.json benchmarks/large-postgresql.json

One table of figures (each record's baseline and chosen scale, with the growth between them; a
record taken at its baseline scale has one column), then one table of budgets per record, in
Markdown.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def number(value: float | None) -> str:
    """Figures as a reader takes them in: thousands separated, three significant digits."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _alone(record: dict) -> bool:
    """A record of its baseline scale only: no second column, no growth."""
    return record["scale"] == record.get("baseline", "small")


def figures_table(records: list[dict]) -> list[str]:
    header = ["figure"]
    for record in records:
        where = record["database"].replace("postgresql", "PostgreSQL").replace("sqlite", "SQLite")
        if _alone(record):
            header.append(f"{where} {record['scale']}")
        else:
            header += [f"{where} {record.get('baseline', 'small')}", f"{where} {record['scale']}",
                       "growth"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    names = list(dict.fromkeys(name for record in records for name in record["figures"]))
    for name in names:
        unit = next(r["figures"][name]["unit"] for r in records if name in r["figures"])
        cells = [f"{name} ({unit})"]
        for record in records:
            entry = record["figures"].get(name, {})
            value = entry.get("value")
            if _alone(record):
                cells.append(number(value))
                continue
            baseline = entry.get("small", value if record["scale"] == "small" else None)
            cells += [number(baseline), number(value),
                      "" if entry.get("growth") is None else f"{entry['growth']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def budgets_table(record: dict) -> list[str]:
    where = record["database"].replace("postgresql", "PostgreSQL").replace("sqlite", "SQLite")
    lines = [f"**Budgets, {where} {record['scale']}**", "",
             "| budget | goal | value | met |", "|---|---|---|---|"]
    for budget in record["budgets"]:
        lines.append(f"| {budget['name']} | {budget['goal']} | {number(budget['value'])} | "
                     f"{'yes' if budget['met'] else '**no**'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+", type=Path)
    records = [json.loads(path.read_text(encoding="utf-8")) for path in parser.parse_args().records]
    out = figures_table(records)
    for record in records:
        out += [""] + budgets_table(record)
    print("\n".join(out))


if __name__ == "__main__":
    main()
