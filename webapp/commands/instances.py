"""``gee start``, ``gee complete``, ``gee show``: run process instances from the shell (JSON out)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from engine.base.context import Context
    from engine.process.models import HumanTask, ProcessInstance
    from engine.tenancy.models import Tenant

from webapp.commands.output import fail, print_json

_Row = TypeVar("_Row", "HumanTask", "ProcessInstance")


def _tenant(code: str) -> Tenant:
    from sqlalchemy import select

    from engine.base.db import db
    from engine.tenancy.models import Tenant

    tenant = db.session.execute(select(Tenant).where(Tenant.code == code)).scalar_one_or_none()
    if tenant is None:
        fail(f"no tenant with code {code!r}")
    return tenant


def _context(tenant: Tenant, username: str | None) -> Context:
    from sqlalchemy import select

    from engine.base.context import Context
    from engine.base.db import db
    from engine.tenancy.models import User

    if username is None:
        return Context.system(tenant.id, "cli")
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        fail(f"no active user {username!r}")
    return Context(tenant_id=tenant.id, user_id=user.id, username=user.username, roles=user.roles_in(tenant.id),
                   locale=user.locale)


def _data(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        fail(f"--data is not valid JSON: {err}")
    if not isinstance(value, dict):
        fail("--data must be a JSON object")
    return value


def _run(call: Callable[[], dict[str, Any]]) -> None:
    from engine.base.errors import GeeError

    try:
        result = call()
    except GeeError as err:
        details = "".join(f"\n  {d.to_dict()['field']}: {d.to_dict()['message']}"
                          for d in err.details if hasattr(d, "to_dict"))
        fail(f"{err}{details}")
    print_json(result)


def _tenant_of(model: type[_Row], ident: int, code: str | None) -> Tenant:
    from engine.base.db import db
    from engine.tenancy.models import Tenant

    if code:
        return _tenant(code)
    row = db.session.get(model, ident)
    tenant = db.session.get(Tenant, row.tenant_id) if row is not None else None
    if tenant is None:
        fail(f"{ident} not found")
    return tenant


@click.command("start")
@click.argument("process_key")
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@click.option("--data", "raw_data", help="Start data as a JSON object.")
@click.option("--as", "username", help="Act as this user (default: the system).")
@click.option("--expedient", "expedient_id", type=int, help="Expedient the instance belongs to.")
def start_command(
    process_key: str, tenant_code: str, raw_data: str | None, username: str | None, expedient_id: int | None
) -> None:
    """Start the latest published version of PROCESS_KEY; print the instance, ready tasks, incidents."""
    from engine.process.instances import tasks as instances

    ctx = _context(_tenant(tenant_code), username)
    data = _data(raw_data)
    _run(lambda: instances.start_instance(ctx, process_key, expedient_id=expedient_id, data=data))


@click.command("complete")
@click.argument("task_id", type=int)
@click.option("--as", "username", required=True, help="The user completing the task.")
@click.option("--data", "raw_data", help="Form data as a JSON object.")
@click.option("--tenant", "tenant_code", help="Tenant code (default: the task's).")
@click.option("--key", "idem_key", help="Idempotency key: repeating the command with it changes nothing.")
def complete_command(
    task_id: int, username: str, raw_data: str | None, tenant_code: str | None, idem_key: str | None
) -> None:
    """Complete human task TASK_ID as USERNAME and run what follows."""
    from engine.process.instances import tasks as instances
    from engine.process.models import HumanTask

    ctx = _context(_tenant_of(HumanTask, task_id, tenant_code), username)
    data = _data(raw_data) or {}
    _run(lambda: instances.complete_task(ctx, task_id, data, idem_key=idem_key))


@click.command("show")
@click.argument("instance_id", type=int)
@click.option("--tenant", "tenant_code", help="Tenant code (default: the instance's).")
def show_command(instance_id: int, tenant_code: str | None) -> None:
    """Print an instance: status, ready tasks, incidents, timers, completed steps, data."""
    from engine.process.instances import tasks as instances
    from engine.process.models import ProcessInstance

    ctx = _context(_tenant_of(ProcessInstance, instance_id, tenant_code), None)
    _run(lambda: instances.show_instance(ctx, instance_id))


commands: list[click.Command] = [start_command, complete_command, show_command]
