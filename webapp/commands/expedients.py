"""``gee expedients list``: a municipality's expedients, as a table or JSON lines."""

from __future__ import annotations

import json

import click

from webapp.commands.output import EngineChoice


def _states() -> list[str]:
    from engine.expedients.listing import STATES

    return sorted(STATES)


@click.group("expedients")
def expedients_group() -> None:
    """A municipality's expedients."""


@expedients_group.command("list")
@click.option("--tenant", "tenant_code", metavar="CODE", required=True, help="The municipality (tenant code).")
@click.option("--state", type=EngineChoice(_states), help="Only open or only closed expedients.")
@click.option("--procedure", metavar="KEY", help="Only expedients of this procedure (model key).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(tenant_code: str, state: str | None, procedure: str | None, as_json: bool) -> None:
    """List number, procedure, state, subject and opening date, oldest first."""
    from engine.base.context import Context
    from engine.expedients.listing import list_expedients
    from webapp.commands.process import tenant_id_of

    tenant_id = tenant_id_of(tenant_code, False)
    assert tenant_id is not None
    found = list_expedients(Context.system(tenant_id, "gee expedients list"), state=state, procedure=procedure)
    if as_json:
        for item in found:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        return
    rows = [("NUMBER", "PROCEDURE", "STATE", "OPENED", "SUBJECT")]
    rows += [(e.number, e.procedure or "-", e.state, e.opened_on.isoformat(), e.subject) for e in found]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4])
    click.echo(f"{len(found)} expedients")


commands: list[click.Command] = [expedients_group]
