"""Adoption figures of every tenant, for the provincial service's platform view.

Each figure is a count correlated to the tenant's row, read in the same statement as the tenants
of the page shown (never a loop over rows in Python), from records and projections only:

- active users: distinct active accounts holding a role in the tenant that logged in within the
  last :data:`ACTIVE_DAYS` days;
- expedients opened this month (Europe/Madrid calendar month);
- incoming registry entries this month, and how many of them were filed online (the e-office);
- open incidents (failed steps waiting for an administrator);
- overdue tasks (pending human tasks past their due date).

Only numbers leave this module: no document, expedient content or person's data of a tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from engine.base.among import among
from engine.base.clock import MADRID, as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden, NotFound
from engine.base.i18n import _l
from engine.base.paging import Page
from engine.expedients.figures import ExpedientMonth, month_of
from engine.process.models import HumanTask, Incident
from engine.registry.entries import Channel, Direction, RegistryEntry
from engine.tenancy.models import Membership, Tenant, User

PER_PAGE = 25
#: A user counts as active when they logged in within this many days.
ACTIVE_DAYS = 30


@dataclass(frozen=True)
class TenantFigures:
    tenant: Tenant
    active_users: int
    opened_this_month: int
    filed_this_month: int
    filed_online_this_month: int
    open_incidents: int
    overdue_tasks: int

    @property
    def online_share(self) -> float | None:
        """Share of this month's incoming entries filed online (0–1), None when there were none."""
        return self.filed_online_this_month / self.filed_this_month if self.filed_this_month else None


TenantPage = Page[TenantFigures]


def _require_platform_admin(ctx: Context) -> None:
    if not ctx.platform_admin:
        raise Forbidden(_l("Only platform administrators can do this."))


def month_start(now: datetime) -> datetime:
    """The first moment of ``now``'s calendar month in Catalonia, in UTC (as moments are stored)."""
    first = local_date(now).replace(day=1)
    return datetime(first.year, first.month, 1, tzinfo=MADRID).astimezone(UTC)


def _figure(stmt: Select[Any]) -> Any:
    """One figure of the tenant of the row: a count correlated to ``tenants.id``, 0 when none."""
    return func.coalesce(stmt.correlate(Tenant).scalar_subquery(), 0)


def _figure_columns(moment: datetime) -> list[Any]:
    """The figures of a row of ``tenants``, in :class:`TenantFigures`' order after the tenant."""
    since = month_start(moment)
    entries = (RegistryEntry.tenant_id == Tenant.id, RegistryEntry.direction == Direction.INCOMING.value,
               RegistryEntry.presented_at >= since)  # fmt: skip
    return [
        _figure(
            select(func.count(func.distinct(Membership.user_id)))
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == Tenant.id, User.active.is_(True),
                   User.last_login_at >= moment - timedelta(days=ACTIVE_DAYS))
        ),
        _figure(  # the maintained monthly figures: one row per tenant, whatever its history
            select(ExpedientMonth.opened)
            .where(ExpedientMonth.tenant_id == Tenant.id, ExpedientMonth.month == month_of(moment))
        ),
        _figure(select(func.count()).where(*entries)),
        _figure(select(func.count()).where(*entries, RegistryEntry.channel == Channel.ELECTRONIC.value)),
        _figure(select(func.count()).where(Incident.tenant_id == Tenant.id, Incident.state == "open")),
        _figure(
            select(func.count())
            .where(HumanTask.tenant_id == Tenant.id, HumanTask.state == "ready", HumanTask.due_at < moment)
        ),
    ]  # fmt: skip


def _figures_of_rows(rows: Any) -> list[TenantFigures]:
    """Rows of (tenant, the six :func:`_figure_columns`, anything after) as figures."""
    return [TenantFigures(row[0], *(int(value) for value in row[1:7])) for row in rows]


def figures_of(tenants: list[Tenant], now: datetime | None = None) -> list[TenantFigures]:
    """The figures of these tenants, in their order (one statement, whatever their number)."""
    moment = as_utc(now) or utcnow()
    rows = db.session.execute(select(Tenant, *_figure_columns(moment)).where(among(Tenant.id, [t.id for t in tenants])))
    by_id = {figures.tenant.id: figures for figures in _figures_of_rows(rows)}
    return [by_id[t.id] for t in tenants]


def platform_tenants(ctx: Context, search: str = "", page: int = 1, per_page: int = PER_PAGE,
                     now: datetime | None = None) -> TenantPage:
    """Every tenant of the platform with its figures, by name; ``search`` matches name, code,
    DIR3, INE code or comarca (platform administrators only). One statement reads the page's
    tenants, their figures (counted for those 25 rows only) and how many tenants match."""
    _require_platform_admin(ctx)
    moment = as_utc(now) or utcnow()
    stmt = select(Tenant, *_figure_columns(moment), func.count().over())
    words = search.strip()
    if words:
        pattern = f"%{words.lower()}%"
        stmt = stmt.where(or_(*(func.lower(column).like(pattern) for column in
                                (Tenant.name, Tenant.code, Tenant.dir3, Tenant.ine_code, Tenant.comarca))))  # fmt: skip
    page = max(1, page)
    rows = db.session.execute(
        stmt.order_by(Tenant.name, Tenant.id).limit(per_page).offset((page - 1) * per_page)
    ).all()  # fmt: skip
    if rows:
        total = int(rows[0][-1])
    else:  # past the last page: no row carries the count
        matching = stmt.with_only_columns(Tenant.id).subquery()
        total = int(db.session.scalar(select(func.count()).select_from(matching)) or 0)
    return TenantPage(_figures_of_rows(rows), total, page, per_page)


def tenant_figures(ctx: Context, tenant_id: int, now: datetime | None = None) -> TenantFigures:
    """One tenant's figures (platform administrators only)."""
    _require_platform_admin(ctx)
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    return figures_of([tenant], now)[0]
