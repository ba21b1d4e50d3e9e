"""``gee tenant …`` and ``gee user …``: set up municipalities and their people from the shell.

Whoever runs the CLI has the server in hand, so the commands act as a platform administrator;
the audit trail records them as ``cli``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from engine.base.context import Context
    from engine.tenancy.models import Tenant, User

from webapp.commands.output import EngineChoice, fail, in_transaction


def _kinds() -> list[str]:
    from engine.tenancy.admin import TenantKind

    return [k.value for k in TenantKind]


def _roles() -> tuple[str, ...]:
    from engine.tenancy.models import ROLES

    return ROLES

T = TypeVar("T")


def _cli_context(tenant_id: int) -> Context:
    from engine.base.context import Context

    return Context(tenant_id=tenant_id, user_id=None, username="cli", roles=frozenset({"system"}),
                   platform_admin=True)


def _tenant(code: str) -> Tenant:
    from sqlalchemy import select

    from engine.base.db import db
    from engine.tenancy.models import Tenant

    tenant = db.session.execute(select(Tenant).where(Tenant.code == code)).scalar_one_or_none()
    if tenant is None:
        fail(f"no tenant with code {code!r}")
    return tenant


def _user(username: str) -> User:
    from sqlalchemy import select

    from engine.base.db import db
    from engine.tenancy.models import User

    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        fail(f"no user named {username!r}")
    return user


def _commit(action: Callable[[], T]) -> T:
    """Run a service as one unit of work, or exit 1 with its message (nothing kept)."""
    return in_transaction(action)


_password = click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                         envvar="GEE_NEW_USER_PASSWORD", help="Prompted when not given (or GEE_NEW_USER_PASSWORD).")


@click.group("tenant")
def tenant_group() -> None:
    """Municipalities (tenants)."""


@tenant_group.command("create")
@click.option("--code", required=True, help="Short code, e.g. ajt-sant-demo.")
@click.option("--name", required=True)
@click.option("--dir3", required=True, help="DIR3 code of the body (L01 + 6 digits for an ajuntament).")
@click.option("--kind", type=EngineChoice(_kinds), default="ajuntament")
@click.option("--ine-code", help="6-digit INE code (required except for the provincial service).")
@click.option("--comarca")
@click.option("--aran", is_flag=True, help="Val d'Aran calendar.")
@click.option("--default-locale", default="ca", show_default=True,
              help="Language of its e-office and public pages and of the documents it sends: ca, es or en.")
@click.option("--admin-username", required=True, help="The tenant's first administrator.")
@click.option("--admin-name", required=True)
@click.option("--admin-email")
@_password
def tenant_create_command(code: str, name: str, dir3: str, kind: str, ine_code: str | None, comarca: str | None,
                          aran: bool, default_locale: str, admin_username: str, admin_name: str,
                          admin_email: str | None, password: str) -> None:
    """Create a tenant and its first administrator."""
    from engine.tenancy.admin import NewUser, create_tenant

    admin = NewUser(username=admin_username, full_name=admin_name, password=password, email=admin_email)
    tenant = _commit(lambda: create_tenant(
        _cli_context(0), code=code, name=name, dir3=dir3, kind=kind, ine_code=ine_code, comarca=comarca,
        aran=aran, default_locale=default_locale, first_admin=admin,
    ))
    click.echo(f"tenant {tenant.code} created (id {tenant.id}, DIR3 {tenant.dir3}); admin {admin_username}")


@tenant_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tenant_import_command(csv_file: Path) -> None:
    """Onboard many ens locals from a CSV file, each row in its own transaction.

    Columns (first line): name, kind (ajuntament, EMD, consell comarcal), ine, dir3, comarca,
    aran (yes/no), holiday_1, holiday_2, admin_name, admin_email. A bad row creates nothing and
    is reported; a body already on the platform (same DIR3) is left as it is, so re-running the
    same file is safe. Each new administrator gets a one-time link by e-mail to set a password.
    Exit status 1 when some row could not be imported.
    """
    from engine.base.i18n import _
    from engine.onboarding.importer import FIRST_LINE, import_row
    from engine.onboarding.rows import read_rows

    rows = in_transaction(lambda: read_rows(csv_file.read_bytes()))
    counts = {"created": 0, "existing": 0, "error": 0}
    ctx = _cli_context(0)
    for index, raw in enumerate(rows):
        line = index + FIRST_LINE
        outcome = in_transaction(lambda raw=raw, line=line: import_row(ctx, raw, line))  # type: ignore[misc]
        counts[outcome["status"]] += 1
        click.echo(_("[%(n)s/%(total)s] line %(line)s %(name)s: %(outcome)s", n=index + 1, total=len(rows),
                     line=line, name=outcome["name"], outcome=_describe(outcome)))
    click.echo(_("%(created)s created, %(existing)s already on the platform, %(errors)s not imported",
                 created=counts["created"], existing=counts["existing"], errors=counts["error"]))
    if counts["error"]:
        sys.exit(1)


def _describe(outcome: dict[str, object]) -> str:
    from engine.base.i18n import _

    if outcome["status"] == "created":
        return _("created as %(code)s, administrator %(admin)s", code=outcome["tenant_code"],
                 admin=outcome["admin_username"])
    if outcome["status"] == "existing":
        return _("already on the platform as %(code)s, left as it is", code=outcome["tenant_code"])
    return _("NOT imported: %(reasons)s",
             reasons="; ".join(str(m) for m in outcome["messages"]))  # type: ignore[attr-defined]


@tenant_group.command("holidays")
@click.option("--tenant", "tenant_code", required=True)
@click.option("--year", type=int, required=True)
@click.argument("dates", nargs=-1, type=click.DateTime(formats=["%Y-%m-%d"]))
def tenant_holidays_command(tenant_code: str, year: int, dates: tuple[datetime, ...]) -> None:
    """Set a year's local holidays, e.g. ``gee tenant holidays --tenant X --year 2026 2026-05-11 2026-09-08``."""
    from engine.tenancy.admin import set_local_holidays

    tenant = _tenant(tenant_code)
    _commit(lambda: set_local_holidays(_cli_context(tenant.id), year, [d.date() for d in dates]))
    click.echo(f"local holidays of {tenant.code} in {year}: " + ", ".join(d.date().isoformat() for d in dates))


@click.group("user")
def user_group() -> None:
    """Users and their roles in each tenant."""


@user_group.command("create")
@click.option("--tenant", "tenant_code", required=True)
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--email")
@click.option("--role", "roles", multiple=True, required=True, type=EngineChoice(_roles))
@_password
def user_create_command(tenant_code: str, username: str, full_name: str, email: str | None,
                        roles: tuple[str, ...], password: str) -> None:
    """Create a user with roles in a tenant."""
    from engine.tenancy.admin import NewUser, add_user

    tenant = _tenant(tenant_code)
    spec = NewUser(username=username, full_name=full_name, password=password, email=email)
    user = _commit(lambda: add_user(_cli_context(tenant.id), spec, roles))
    click.echo(f"user {user.username} created in {tenant.code}: {', '.join(sorted(roles))}")


@user_group.command("grant")
@click.option("--tenant", "tenant_code", required=True)
@click.option("--username", required=True)
@click.option("--role", required=True, type=EngineChoice(_roles))
def user_grant_command(tenant_code: str, username: str, role: str) -> None:
    """Give a user a role in a tenant (also a user of another tenant, e.g. a shared secretary)."""
    from engine.tenancy.admin import grant_role

    tenant, user = _tenant(tenant_code), _user(username)
    _commit(lambda: grant_role(_cli_context(tenant.id), user.id, role))
    click.echo(f"{user.username} is {role} in {tenant.code}")


@user_group.command("revoke")
@click.option("--tenant", "tenant_code", required=True)
@click.option("--username", required=True)
@click.option("--role", required=True, type=EngineChoice(_roles))
def user_revoke_command(tenant_code: str, username: str, role: str) -> None:
    """Take a role away from a user in a tenant."""
    from engine.tenancy.admin import revoke_role

    tenant, user = _tenant(tenant_code), _user(username)
    _commit(lambda: revoke_role(_cli_context(tenant.id), user.id, role))
    click.echo(f"{user.username} is no longer {role} in {tenant.code}")


commands: list[click.Command] = [tenant_group, user_group]
