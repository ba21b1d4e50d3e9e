"""The weekly e-mail of the expedients at risk, to the mayor and the secretary of each tenant.

Once per ISO week (from Monday at ``DIGEST_HOUR`` Europe/Madrid on, or at the first sweep after
it if the worker was down) the scheduler enqueues one job per active tenant that has not had
its digest this week. The job writes a ``TermDigest`` row unique per (tenant, week) before
sending, in the same unit of work: a second run of the same week does nothing, and an SMTP
failure rolls the row back so the retried job sends it. The e-mail is informational only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from engine.audit import record
from engine.base.clock import MADRID, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.formats import format_day
from engine.base.i18n import _l
from engine.base.mail import send_mail_in_their_languages
from engine.base.unit_of_work import run_in_transaction
from engine.control.risk import at_risk
from engine.control.status import TermStatus
from engine.tenancy.models import Membership, Role, Tenant, User

DIGEST_HOUR = 7
RECIPIENT_ROLES = (Role.ALCALDE.value, Role.SECRETARI.value)


class TermDigest(db.Model):  # type: ignore[name-defined]
    """A weekly digest sent to a tenant; unique per week so it is sent once."""

    __tablename__ = "term_digests"
    __table_args__ = (UniqueConstraint("tenant_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    #: ISO week, e.g. "2026-W49"
    week: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: User ids of the people written to.
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)
    at_risk: Mapped[int] = mapped_column(Integer, default=0)


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def digests_due(now: datetime) -> list[tuple[int, str]]:
    """(tenant_id, week) of active tenants without this week's digest; none before Monday 7:00."""
    local = now.astimezone(MADRID)
    if local.weekday() == 0 and local.hour < DIGEST_HOUR:
        return []
    week = iso_week(local.date())
    sent = select(TermDigest.tenant_id).where(TermDigest.week == week)
    rows = db.session.execute(
        select(Tenant.id).where(Tenant.active.is_(True), Tenant.id.not_in(sent)).order_by(Tenant.id)
    ).scalars()
    return [(tenant_id, week) for tenant_id in rows]


def recipients(tenant_id: int) -> list[User]:
    """Active mayors and secretaries of the tenant."""
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role.in_(RECIPIENT_ROLES), User.active.is_(True))
        .order_by(User.id).distinct()
    ).scalars())  # fmt: skip


def send_weekly_digest(tenant_id: int, week: str, today: date | None = None) -> bool:
    """Job: e-mail the risk list (as of ``today``, default today) to the tenant's mayor and
    secretary; False when this week's digest was already sent."""
    return run_in_transaction(lambda: _send(tenant_id, week, today or local_date(utcnow())))


def _line(status: TermStatus, locale: str) -> str:
    due = format_day(status.due, locale)
    if status.expired:
        when = str(_l("past its term since %(due)s", due=due))
    else:
        when = str(_l("%(days)s working days left (last day %(due)s)", days=status.working_days_left, due=due))
    silence = {"positive": _l("positive silence"), "negative": _l("negative silence"),
               "lapse": _l("lapse (caducitat)")}.get(status.silence or "")  # fmt: skip
    line = f"- {status.number} {status.subject} ({status.procedure or ''}): {when}"
    return f"{line}; {silence}" if silence else line


def _send(tenant_id: int, week: str, today: date) -> bool:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        return False
    ctx = Context.system(tenant_id, "term-digest")
    people = recipients(tenant_id)
    risky = at_risk(ctx, today)
    try:
        with db.session.begin_nested():  # unique (tenant, week): sent once, here or elsewhere
            db.session.add(TermDigest(tenant_id=tenant_id, week=week, recipients=[u.id for u in people],
                                      at_risk=len(risky)))  # fmt: skip
    except IntegrityError:
        return False
    record(ctx, "control.term_digest", "tenant", tenant_id, after={"week": week, "at_risk": len(risky),
                                                                    "recipients": [u.username for u in people]})

    def digest(locale: str) -> tuple[str, str]:
        if risky:
            heading = _l("Expedients of %(tenant)s near or past their maximum legal term:", tenant=tenant.name)
            body = "\n".join([str(heading), "", *(_line(s, locale) for s in risky)])
        else:
            body = str(_l("No expedient of %(tenant)s is near or past its maximum legal term.", tenant=tenant.name))
        return str(_l("Legal terms at risk in %(tenant)s (%(week)s): %(count)s", tenant=tenant.name, week=week,
                      count=len(risky))), body  # fmt: skip

    # Sent before the unit commits: an SMTP failure rolls the digest row back and the job is retried.
    send_mail_in_their_languages(people, digest)
    return True
