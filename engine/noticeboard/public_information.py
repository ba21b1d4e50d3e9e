"""Public information (Ley 39/2015 art. 83): an edict on the notice board for at least 20 working
days, during which anyone may file allegations; each allegation is a registry entry (entrada) in the
edict's expedient, and filing one does not make anyone an interessat of it (art. 83.3). An allegation
whose effective date (art. 31.2.b: a filing on a non-working day counts from the next working day)
falls after the last day of the term is kept, marked late.

Citizens file allegations from the e-office (:mod:`engine.citizens.allegations`) while the edict is
exposed; after its last day they are refused there (a late one brought to the counter is still
registered by staff, marked late). The procedure block is two service tasks around a timer:
``gee.public_information`` publishes the edict and answers the end of the term as a ``timer`` for a
timeDate; when it fires, ``gee.allegations`` gives the process the list of allegations, with their
text and documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import func

from engine.audit import record
from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.base.i18n import _l
from engine.expedients.parties import find_or_create_party
from engine.noticeboard import edicts
from engine.noticeboard.models import Allegation, Edict
from engine.registry.entries import Channel, RegistryEntry, Upload, register_incoming
from engine.tenancy.scoping import get_owned, scoped

#: Ley 39/2015 art. 83.2: the term of public information is never shorter than twenty working days.
MINIMUM_WORKING_DAYS = 20


def open_public_information(ctx: Context, expedient_id: int, *, title: str, text: str, starts_on: date,
                            working_days: int = MINIMUM_WORKING_DAYS,
                            document_ids: list[int] | None = None) -> Edict:
    """Publish the edict of a public information for ``working_days`` (at least twenty)."""
    if working_days < MINIMUM_WORKING_DAYS:
        raise ValidationFailed(_l("Public information lasts at least 20 working days (Ley 39/2015 art. 83.2)."),
                               field="working_days")
    return edicts.publish(ctx, expedient_id, title=title, text=text, starts_on=starts_on, working_days=working_days,
                          document_ids=document_ids, public_information=True)


def file_allegation(ctx: Context, edict_id: int, *, nif: str, name: str, text: str,
                    channel: str = Channel.ELECTRONIC.value, uploads: Sequence[Upload] = (),
                    with_receipt: bool = True) -> Allegation:
    """Register an allegation against a published edict (during its term or, marked late, after).

    ``with_receipt`` False leaves the entry's receipt to the caller (the e-office has a job issue it)."""
    edict = get_owned(Edict, ctx, edict_id, for_update=True)
    if edict.withdrawn_at is not None:
        raise Conflict(_l("This edict is no longer on the board."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_l("This field is required."), field="text")
    party = find_or_create_party(ctx, nif, name)
    entry = register_incoming(ctx, subject=str(_l("Allegation: %(title)s", title=edict.title))[:500], channel=channel,
                              party_id=party.id, summary=text[:20000], expedient_id=edict.expedient_id,
                              uploads=uploads, locale=ctx.locale, party_joins=False, with_receipt=with_receipt)
    late = local_date(entry.effective_at) > edict.ends_on
    allegation = Allegation(tenant_id=ctx.tenant_id, edict_id=edict.id, registry_entry_id=entry.id,
                            name=party.name, late=late)
    db.session.add(allegation)
    db.session.flush()
    record(ctx, "edict.allegation_filed", "edict", edict.id, expedient_id=edict.expedient_id,
           after={"registry_number": entry.number, "late": late})
    return allegation


def allegations_of(ctx: Context, edict_id: int) -> list[Allegation]:
    edict = get_owned(Edict, ctx, edict_id)
    stmt = scoped(Allegation, ctx).where(Allegation.edict_id == edict.id).order_by(Allegation.id)
    return cast(list[Allegation], list(db.session.execute(stmt).scalars()))


def allegation_counts(ctx: Context, edict_ids: Sequence[int]) -> dict[int, int]:
    """How many allegations each of ``edict_ids`` has received (late ones included); one query."""
    if not edict_ids:
        return {}
    stmt = (scoped(Allegation, ctx).where(Allegation.edict_id.in_(edict_ids))
            .with_only_columns(Allegation.edict_id, func.count()).group_by(Allegation.edict_id))
    return {edict_id: count for edict_id, count in db.session.execute(stmt)}


def allegations_summary(ctx: Context, edict_id: int) -> dict[str, Any]:
    """What the process receives when the term ends."""
    rows = allegations_of(ctx, edict_id)
    listed = []
    for row in rows:
        entry = db.session.get(RegistryEntry, row.registry_entry_id)
        listed.append({"registry_number": entry.number if entry else None, "name": row.name, "late": row.late,
                       "text": entry.summary if entry else None,
                       "document_ids": [a.document_id for a in entry.attachments] if entry else []})
    return {"count": len(rows), "on_time": sum(1 for r in rows if not r.late), "allegations": listed}
