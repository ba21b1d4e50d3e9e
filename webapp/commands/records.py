"""``gee deadline``, ``gee audit verify`` and ``gee audit seal``: records commands that need no web request."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from engine.tenancy.models import Tenant

from webapp.commands.output import fail


def _tenant_by_code(code: str) -> Tenant:
    from sqlalchemy import select

    from engine.base.db import db
    from engine.tenancy.models import Tenant

    tenant = db.session.execute(select(Tenant).where(Tenant.code == code)).scalar_one_or_none()
    if tenant is None:
        fail(f"no tenant with code {code!r}")
    return tenant


@click.command("deadline")
@click.option("--start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Day of the notification or publication (counting starts the day after).")
@click.option("--working-days", type=click.IntRange(min=0), help="Term in working days (art. 30.2).")
@click.option("--natural-days", type=click.IntRange(min=0), help="Term in natural days.")
@click.option("--months", type=click.IntRange(min=0), help="Term in months (art. 30.4).")
@click.option("--tenant", "tenant_code", help="Use this tenant's local holidays and Aran flag.")
@click.option("--local-holiday", "local_holidays", multiple=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="A local holiday (repeatable); with --tenant, e.g. the party's town (art. 30.6: union).")
@click.option("--aran", is_flag=True, help="Val d'Aran calendar (17 June instead of 26 December); "
              "with a non-Aran --tenant both days are non-working (union).")
def deadline_command(
    start: datetime,
    working_days: int | None,
    natural_days: int | None,
    months: int | None,
    tenant_code: str | None,
    local_holidays: tuple[datetime, ...],
    aran: bool,
) -> None:
    """Print the last day of a term as YYYY-MM-DD (Ley 39/2015, art. 30)."""
    from engine.calendar import TenantCalendar

    given = [v is not None for v in (working_days, natural_days, months)]
    if sum(given) != 1:
        raise click.UsageError("give exactly one of --working-days, --natural-days, --months")
    extra = [d.date() for d in local_holidays]
    calendar = TenantCalendar(local_holidays=extra, aran=aran)
    if tenant_code:
        # The tenant's own calendar (its Aran flag included), as the engine and the web calculator
        # use it; only what the options add is joined to it.
        tenant = _tenant_by_code(tenant_code)
        calendar = TenantCalendar.for_tenant(tenant)
        if extra or aran:
            calendar = calendar.union(TenantCalendar(local_holidays=extra, aran=aran or bool(tenant.aran)))
    first: date = start.date()
    if working_days is not None:
        end = calendar.add_working_days(first, working_days)
    elif natural_days is not None:
        end = calendar.add_natural_days(first, natural_days)
    else:
        assert months is not None
        end = calendar.add_months(first, months)
    click.echo(end.isoformat())


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.option("--tenant", "tenant_code", help="Only this tenant (default: every tenant).")
def audit_verify_command(tenant_code: str | None) -> None:
    """Check every tenant's hash chain against its signed checkpoints; exit 1 naming the first problem."""
    from sqlalchemy import select

    from engine.audit.trail import AuditEvent
    from engine.base.db import db
    from engine.base.i18n import _
    from engine.tenancy.models import Tenant
    from engine.worker.anchoring import latest_checkpoint, verify_anchored
    from engine.worker.checkpoint_timestamps import tsa_url

    if tenant_code:
        tenants = [_tenant_by_code(tenant_code)]
    else:
        tenants = list(db.session.execute(select(Tenant).order_by(Tenant.id)).scalars())
    checked = 0
    for tenant in tenants:
        problem = verify_anchored(tenant.id)
        if problem is not None:
            fail(_("audit chain broken: tenant %(code)s (id %(id)s), event #%(seq)s: %(reason)s",
                   code=tenant.code, id=tenant.id, seq=problem.seq, reason=problem.reason))
        checked += db.session.scalar(
            select(db.func.count()).select_from(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
        ) or 0
    click.echo(_("audit chain intact (%(n)s events)", n=checked))
    if tenant_code:
        latest = latest_checkpoint(tenants[0].id)
        click.echo(_("latest %(checkpoint)s, %(note)s", checkpoint=latest.describe(), note=latest.timestamp_note())
                   if latest else _("no checkpoint yet: run gee audit seal"))
    url = tsa_url()
    click.echo(_("timestamps: checked with the TSA of GEE_TSA_URL (%(url)s)", url=url) if url
               else _("timestamps: no TSA configured (GEE_TSA_URL); checkpoints are signed by the seal only"))


@audit_group.command("seal")
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@click.option("--no-mail", is_flag=True, help="Do not e-mail the checkpoint to the tenant's secretaries.")
def audit_seal_command(tenant_code: str, no_mail: bool) -> None:
    """Sign a checkpoint of the tenant's chain head with its seal and keep it in the document store."""
    from engine.base.errors import GeeError
    from engine.base.i18n import _
    from engine.worker.anchoring import seal_chain
    from engine.worker.checkpoint_timestamps import tsa_url

    tenant = _tenant_by_code(tenant_code)
    try:
        checkpoint = seal_chain(tenant.id, mail=not no_mail)
    except GeeError as err:
        fail(err)
    click.echo(_("sealed: %(checkpoint)s, %(note)s -> %(path)s", checkpoint=checkpoint.describe(),
                 note=checkpoint.timestamp_note(), path=checkpoint.path))
    if not tsa_url():
        click.echo(_("no TSA configured (GEE_TSA_URL): the checkpoint has no RFC 3161 timestamp"))


commands: list[click.Command] = [deadline_command, audit_group]
