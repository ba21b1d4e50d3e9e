"""``gee process publish`` and ``gee process test-run``: the command-line side of upload →
preview → test-run → publish (``gee deploy --draft`` uploads)."""

from __future__ import annotations

import click
from sqlalchemy import select

from engine.base.db import db
from engine.process.definition.drafts import find_version, publish_version
from engine.tenancy.models import Tenant
from webapp.commands.output import fail, transactional


def tenant_id_of(tenant_code: str | None, shared: bool) -> int | None:
    """The tenant a model belongs to (``--tenant CODE``), or None for a shared model (``--shared``)."""
    if shared == bool(tenant_code):
        raise click.UsageError("Give either --tenant CODE or --shared.")
    if shared:
        return None
    tenant = db.session.execute(select(Tenant).where(Tenant.code == tenant_code)).scalar_one_or_none()
    if tenant is None:
        fail(f"no tenant with code {tenant_code!r}")
    return tenant.id


@click.group("process")
def process_group() -> None:
    """Draft process versions: test-run and publish them."""


@process_group.command("publish")
@click.argument("key")
@click.option("--version", "number", type=int, required=True, help="The version number to publish.")
@click.option("--tenant", "tenant_code", metavar="CODE", help="The municipality's model (tenant code).")
@click.option("--shared", is_flag=True, help="The shared model of the provincial service.")
@transactional
def publish_command(key: str, number: int, tenant_code: str | None, shared: bool) -> None:
    """Make draft version N of KEY the current version: new expedients start on it."""
    version = publish_version(None, find_version(tenant_id_of(tenant_code, shared), key, number))
    click.echo(f"Published {key} version {version.number}")


commands: list[click.Command] = [process_group]
