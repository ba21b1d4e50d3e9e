"""Onboard many ens locals from a CSV file (``gee tenant import`` and the platform page).

Each row is imported in its own unit of work: a good row creates its tenant with everything a
new tenant starts with, a bad row creates nothing and its problems go to the report. A row
whose DIR3 code is already on the platform is reported as *already there* and left as it is,
so running the same file again changes nothing.

What a new tenant starts with: its first administrator (who gets a one-time link by e-mail to
set their password), its local holidays when given, the provincial service's published shared
procedures adopted into its catalogue, and the signing offices (mayor, secretary) waiting for
their holders. Its seal, logo and other users are on its administrator's welcome checklist.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden, GeeError, NotFound
from engine.base.i18n import _, _l
from engine.base.jobs import enqueue, redis_connection
from engine.base.mail import send_after_commit
from engine.base.unit_of_work import run_in_transaction
from engine.onboarding.models import TenantImport
from engine.onboarding.rows import BadRow, TenantRow, check_row, read_rows
from engine.process.definition.catalogue import adopt_shared
from engine.process.models import ProcessModel
from engine.tenancy.admin import NewUser, create_tenant, set_local_holidays
from engine.tenancy.models import Role, Tenant, User
from engine.tenancy.password_links import issue_password_link, password_link_url

#: The line of the file a row comes from (the header is line 1).
FIRST_LINE = 2
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9._-]+")

Outcome = dict[str, Any]


def _outcome(line: int, name: str, status: str, messages: list[str] | None = None, **extra: object) -> Outcome:
    return {"line": line, "name": name, "status": status, "messages": messages or [], **extra}


def _free_username(email: str) -> str:
    """A username from the e-mail's local part, numbered when taken (``maria.puig``, ``maria.puig-2``)."""
    base = _NOT_IN_USERNAME.sub("", email.split("@", 1)[0].lower()).strip("._-")[:70] or "admin"
    if len(base) < 2:
        base = f"admin.{base}"
    candidate, n = base, 1
    while db.session.execute(select(User.id).where(User.username == candidate)).first() is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _welcome_mail(email: str, name: str, tenant_name: str, username: str, secret: str) -> None:
    subject = _("Welcome to GEE: %(tenant)s", tenant=tenant_name)
    body = _(
        "Hello %(name)s,\n\nYou are the administrator of %(tenant)s in GEE. Your user name is %(username)s.\n"
        "Set your password through this link (it works once and expires in three days):\n\n%(link)s\n",
        name=name, tenant=tenant_name, username=username, link=password_link_url(secret),
    )
    send_after_commit([email], subject, body)


def _shared_catalogue() -> list[ProcessModel]:
    return list(db.session.execute(
        select(ProcessModel).where(ProcessModel.tenant_id.is_(None), ProcessModel.published.is_(True))
        .order_by(ProcessModel.key)
    ).scalars())


def _create(ctx: Context, row: TenantRow) -> tuple[Tenant, str]:
    username = _free_username(row.admin_email)
    tenant = create_tenant(
        ctx, code=row.dir3.lower(), name=row.name, dir3=row.dir3, kind=row.kind, ine_code=row.ine_code,
        comarca=row.comarca, aran=row.aran,
        first_admin=NewUser(username=username, full_name=row.admin_name, email=row.admin_email,
                            password=secrets.token_urlsafe(32)),  # nobody knows it: the link sets theirs
    )  # fmt: skip
    in_tenant = Context(tenant_id=tenant.id, user_id=ctx.user_id, username=ctx.username,
                        roles=frozenset({Role.ADMIN.value}), locale=ctx.locale, platform_admin=True)  # fmt: skip
    if row.holidays:
        set_local_holidays(in_tenant, row.holidays[0].year, row.holidays)
    for model in _shared_catalogue():
        adopt_shared(in_tenant, model.id)
    admin = db.session.execute(select(User).where(User.username == username)).scalar_one()
    secret = issue_password_link(admin.id)
    _welcome_mail(row.admin_email, row.admin_name, tenant.name, username, secret)
    return tenant, username


def import_row(ctx: Context, raw: dict[str, str], line: int) -> Outcome:
    """Import one row as its own unit of work; what happened to it, for the report."""
    name = raw.get("name") or "—"
    try:
        row = check_row(raw)
    except BadRow as bad:
        return _outcome(line, name, "error", bad.messages)
    existing = db.session.execute(select(Tenant).where(Tenant.dir3 == row.dir3)).scalar_one_or_none()
    if existing is not None:
        return _outcome(line, row.name, "existing", tenant_code=existing.code)
    if row.ine_code is not None:
        twin = db.session.execute(
            select(Tenant).where(Tenant.ine_code == row.ine_code, Tenant.kind == row.kind).order_by(Tenant.id)
        ).scalars().first()
        if twin is not None:
            return _outcome(line, row.name, "error", [_(
                "INE code %(ine)s already belongs to %(name)s, whose DIR3 code is %(dir3)s.",
                ine=row.ine_code, name=twin.name, dir3=twin.dir3)])
    try:
        tenant, username = run_in_transaction(lambda: _create(ctx, row))
    except GeeError as err:
        return _outcome(line, row.name, "error", [str(err)])
    return _outcome(line, row.name, "created", tenant_code=tenant.code, admin_username=username)


def _require_platform_admin(ctx: Context) -> None:
    if not ctx.platform_admin:
        raise Forbidden(_l("Only platform administrators can do this."))


def start_import(ctx: Context, filename: str, data: bytes) -> TenantImport:
    """Check the file's shape and import its rows in the background (platform administrators only)."""
    _require_platform_admin(ctx)
    rows = read_rows(data)
    job = TenantImport(tenant_id=ctx.tenant_id, created_by_id=ctx.user_id, filename=(filename or "")[:200],
                       locale=ctx.locale, rows=rows, outcomes=[])  # fmt: skip
    db.session.add(job)
    db.session.flush()
    enqueue(continue_import, ctx.tenant_id, job.id, job_id=f"tenant-import-{job.id}-0")
    return job


def continue_import(tenant_id: int, import_id: int) -> None:
    """Job: import the next row and queue the rest, so the progress shows row by row.

    Without a worker (jobs in-process) every remaining row is imported now, each under its own
    savepoint, since there is nobody to show the progress to.
    """
    job = db.session.get(TenantImport, import_id)
    if job is None or job.tenant_id != tenant_id or job.finished_at is not None:
        return
    uploader = db.session.get(User, job.created_by_id) if job.created_by_id else None
    ctx = Context(tenant_id=tenant_id, user_id=job.created_by_id, username=uploader.username if uploader else "cli",
                  roles=frozenset({Role.ADMIN.value}), locale=job.locale, platform_admin=True)  # fmt: skip
    batch = 1 if redis_connection() is not None else job.total
    with force_locale(job.locale):
        for _row in range(batch):
            if job.done >= job.total:
                break
            outcome = import_row(ctx, job.rows[job.done], job.done + FIRST_LINE)
            job.outcomes = [*job.outcomes, outcome]  # a new list: the JSON column notices a reassignment
            db.session.flush()
    if job.done < job.total:
        enqueue(continue_import, tenant_id, import_id, job_id=f"tenant-import-{import_id}-{job.done}")
    else:
        job.finished_at = utcnow()
        db.session.flush()


def get_import(ctx: Context, import_id: int) -> TenantImport:
    """An import of this platform tenant (platform administrators only)."""
    _require_platform_admin(ctx)
    job = db.session.get(TenantImport, import_id)
    if job is None or job.tenant_id != ctx.tenant_id:
        raise NotFound(_l("Not found."))
    return job

