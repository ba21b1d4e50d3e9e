"""``gee migrate``: bring hundreds of ENI expedients over from another tool."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import click

from webapp.commands.output import fail


@click.command("migrate")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@click.option("--dry-run", is_flag=True, help="Check every expedient; import nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV report: every expedient imported, skipped or refused, with the element and reason.")
@click.option("--classification-map", "map_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with a header old_code,procedure,unit[,role][,new_code]: each old classification code's "
                   "procedure (process key) and the unit whose members receive the open expedients (see "
                   "docs/operations.md); the old old_code,new_code[,unit[,role]] is still read.")
def migrate_command(source: Path, tenant_code: str, dry_run: bool, report_path: Path | None,
                    map_path: Path | None) -> None:
    """Import every ENI expedient in SOURCE (a folder or a zip: one folder, zip or XML file per
    expedient). Each expedient is committed on its own; a re-run skips what is already in."""
    from engine.base.context import Context
    from engine.base.errors import GeeError
    from engine.base.unit_of_work import run_in_transaction
    from engine.eni.migration import REPORT_FIELDS, analyze_imported, items, migrate_item, read_classification_map
    from webapp.commands.records import _tenant_by_code

    tenant_id = run_in_transaction(lambda: _tenant_by_code(tenant_code).id)
    ctx = Context.system(tenant_id, "cli:migrate")
    try:
        text = map_path.read_text(encoding="utf-8-sig") if map_path else ""
        mapping = run_in_transaction(lambda: read_classification_map(ctx, text)) if text else {}
    except GeeError as err:
        fail(err)
    todo = list(items(source))
    counts: dict[str, int] = {}
    started = time.monotonic()
    report = report_path.open("w", newline="", encoding="utf-8") if report_path else None
    writer = csv.DictWriter(report, fieldnames=REPORT_FIELDS) if report else None
    if writer:
        writer.writeheader()
    try:
        for number, item in enumerate(todo, start=1):
            outcome = migrate_item(ctx, item, mapping, dry_run)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            if writer and report:
                writer.writerow(outcome.report_row())
                report.flush()
            detail = outcome.reason or outcome.expedient or outcome.identifier
            click.echo(f"[{number}/{len(todo)}] {item.name}: {outcome.status} {detail}", err=True)
    finally:
        if report:
            report.close()
    if counts.get("imported"):
        run_in_transaction(analyze_imported)
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to do"
    click.echo(f"{len(todo)} expedients in {elapsed:.1f}s: {summary}")


commands = [migrate_command]
