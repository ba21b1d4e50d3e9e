"""The end of an exposure, done by the scheduler: once the last day of an edict has passed (in
Europe/Madrid, the day the tenant's calendar counts), the edict is taken off the public board and its
certificate of exposure (diligència) is issued for the secretary to sign.

Both happen in one transaction per edict, so a worker killed midway leaves the edict as it was and
the next sweep finds it again; an edict already closed with its diligència is never found, so a
sweep that runs twice does nothing the second time. The procedure waiting for the end of a public
information resumes on its own timer (the end of the last day), and takes the allegations then.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from engine.audit import record
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.unit_of_work import run_in_transaction
from engine.noticeboard.diligence import issue_diligence
from engine.noticeboard.models import Edict
from engine.tenancy.scoping import get_owned


def ended_edicts(now: datetime) -> list[tuple[int, int]]:
    """``(tenant_id, edict_id)`` of every edict whose last day is over and is not yet closed and
    certified; one withdrawn by hand is left to the clerk who withdrew it."""
    stmt = select(Edict.tenant_id, Edict.id).where(
        Edict.ends_on < local_date(now), Edict.withdrawn_at.is_(None),
        or_(Edict.closed_at.is_(None), Edict.diligence_document_id.is_(None)),
    ).order_by(Edict.id)  # fmt: skip
    return [(row.tenant_id, row.id) for row in db.session.execute(stmt)]


def close_exposure(tenant_id: int, edict_id: int, swept_at: str | None = None) -> bool:
    """Job: take the edict off the board and issue its diligència; False when there was nothing to do.
    ``swept_at`` is when the sweep found it over (the job may run later, never earlier)."""
    ctx = Context.system(tenant_id, "noticeboard")
    now = max(as_utc(datetime.fromisoformat(swept_at)) or utcnow(), utcnow()) if swept_at else utcnow()

    def work() -> bool:
        edict = get_owned(Edict, ctx, edict_id, for_update=True)
        if edict.withdrawn_at is not None or edict.ends_on >= local_date(now):
            return False
        done = False
        if edict.closed_at is None:
            edict.closed_at = now
            db.session.flush()
            record(ctx, "edict.exposure_ended", "edict", edict.id, expedient_id=edict.expedient_id,
                   after=edict.summary())
            done = True
        if edict.diligence_document_id is None:
            issue_diligence(ctx, edict.id, now=now)
            done = True
        return done

    return run_in_transaction(work)
