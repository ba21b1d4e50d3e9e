"""An allegation filed from the e-office against an edict of public information (Ley 39/2015 art.
83.2): anyone identified may file one, with documents, while the edict is on the board. It is an
incoming entry of the edict's expedient; its receipt is issued by a job, as an e-office filing's
(:mod:`engine.registry.receipt_job`), so the filer gets the number at once. The filer sees it in
their folder as its presenter, and the procedure takes it with the others when the term ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import Conflict, NotFound
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.citizens.filing import Filing, check_uploads
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.expedients.expedients import Expedient
from engine.noticeboard.edicts import intact
from engine.noticeboard.models import Edict
from engine.noticeboard.public_information import file_allegation
from engine.registry.entries import RegistryEntry, Upload
from engine.registry.receipt_job import issue_receipt_later
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned


def edict_for_allegations(tenant_id: int, edict_id: int) -> Edict | None:
    """The tenant's edict of public information ``edict_id`` (on the board or not any more), intact."""
    edict = db.session.get(Edict, edict_id)
    if edict is None or edict.tenant_id != tenant_id or not edict.public_information or not intact(edict):
        return None
    return edict


def taking_allegations(edict: Edict, today: date) -> bool:
    """Whether the edict is on the board today, so allegations can be filed online."""
    return (edict.public_information and edict.starts_on <= today <= edict.ends_on and edict.withdrawn_at is None
            and edict.closed_at is None)


def file_online(tenant: Tenant, citizen: CitizenIdentity, edict_id: int, *, text: str,
                uploads: Sequence[Upload] = (), locale: str = "ca") -> Filing:
    """An identified citizen files an allegation from the e-office: an incoming entry (with its
    documents) in the edict's expedient, in one transaction; its receipt follows from a job. Only while the public
    information is on the board: after its last day or once withdrawn it is refused, and nothing
    is written."""
    ctx = citizen_context(tenant, citizen, locale)
    files = check_uploads(uploads)

    def work() -> Filing:
        edict = get_owned(Edict, ctx, edict_id, for_update=True)
        if not edict.public_information:
            raise NotFound(_l("Not found."))
        if not taking_allegations(edict, local_date(utcnow())):
            raise Conflict(_l("The public information period of this edict is over: allegations can no longer "
                              "be filed."))
        allegation = file_allegation(ctx, edict.id, nif=citizen.nif, name=citizen.name, text=text, uploads=files,
                                     with_receipt=False)
        entry = db.session.get(RegistryEntry, allegation.registry_entry_id)
        expedient = db.session.get(Expedient, edict.expedient_id)
        assert entry is not None and expedient is not None
        issue_receipt_later(ctx, entry, locale)
        return Filing(entry.id, entry.number, entry.receipt_document_id, expedient.id, expedient.number)

    return run_in_transaction(work)
