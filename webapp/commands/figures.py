"""``gee figures check`` / ``gee figures rebuild``: the dashboard's maintained figures against a recount
from the expedients (engine.expedients.figures)."""

from __future__ import annotations

import click

from webapp.commands.output import fail, in_transaction


@click.group("figures")
def figures_group() -> None:
    """The dashboard's maintained figures (expedients per month, resolution days)."""


def _tenant_ids(tenant_code: str | None) -> list[int] | None:
    from webapp.commands.process import tenant_id_of

    return [tenant_id_of(tenant_code, False) or 0] if tenant_code else None


@figures_group.command("check")
@click.option("--tenant", "tenant_code", metavar="CODE", help="Only this municipality (default: all).")
def check_command(tenant_code: str | None) -> None:
    """Compare the stored figures with a recount from the expedients; exit 1 when they differ."""
    from engine.base.db import db
    from engine.expedients.figures import recount, stored

    tenant_ids = _tenant_ids(tenant_code)

    def compare() -> int:
        connection = db.session.connection()
        expected, found = recount(connection, tenant_ids), stored(connection, tenant_ids)
        return len(set(expected.items()) ^ set(found.items()))

    differing = in_transaction(compare)
    if differing:
        fail(f"{differing} figures differ from a recount; run `gee figures rebuild`")
    click.echo("figures match a recount from the expedients")


@figures_group.command("rebuild")
@click.option("--tenant", "tenant_code", metavar="CODE", help="Only this municipality (default: all).")
def rebuild_command(tenant_code: str | None) -> None:
    """Replace the stored figures by a recount (after loading expedients with plain SQL)."""
    from engine.base.db import db
    from engine.expedients.figures import rebuild

    tenant_ids = _tenant_ids(tenant_code)
    tally = in_transaction(lambda: rebuild(db.session.connection(), tenant_ids))
    click.echo(f"figures rebuilt: {len(tally)} counters")


commands: list[click.Command] = [figures_group]
