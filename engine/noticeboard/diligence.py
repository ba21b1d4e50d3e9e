"""The certificate of exposure (diligència) of an edict: the exact days it was on the board, its
digest, with a CSV and the secretary's signature (a signature circuit), filed in the expedient.

It is issued once the exposure is over: its end date has passed, or it was withdrawn. The days
counted run from its first day (or the day it was published, if later) to its last day or the day
it was withdrawn, both included; the working days among them are counted on the tenant's calendar.
One withdrawn mid-exposure says the day it was taken off the board; one withdrawn before its first
day was never on the board and gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from engine.audit import record
from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden
from engine.base.i18n import _l
from engine.documents.documents import store_document
from engine.documents.pdf import render_pdf_from
from engine.documents.verification_codes import new_csv, verify_url
from engine.noticeboard.edicts import calendar_of, intact
from engine.noticeboard.models import Edict
from engine.signatures.circuits import request_signatures
from engine.tenancy.models import Role, Tenant
from engine.tenancy.scoping import get_owned

TEMPLATES = Path(__file__).resolve().parent / "templates"

LABELS = {
    "ca": {"title": "Diligència d'exposició al tauler d'anuncis", "edict": "Edicte", "from": "Des del",
           "to": "fins al", "days": "Dies d'exposició", "working": "dels quals hàbils", "digest": "Empremta (SHA-256)",
           "withdrawn": "Retirat abans del termini", "withdrawn_on": "Retirat del tauler el",
           "planned_end": "l'exposició havia d'acabar el", "reason": "Motiu",
           "intact": "El contingut exposat no ha canviat des de la publicació.",
           "certify": "Faig constar que l'edicte següent ha estat exposat al tauler d'anuncis electrònic d'aquest "
           "ajuntament durant els dies indicats.", "page": "Pàgina",
           "secretary": "El secretari/ària"},
    "es": {"title": "Diligencia de exposición en el tablón de anuncios", "edict": "Edicto", "from": "Desde el",
           "to": "hasta el", "days": "Días de exposición", "working": "de los cuales hábiles",
           "digest": "Huella (SHA-256)", "withdrawn": "Retirado antes del plazo",
           "withdrawn_on": "Retirado del tablón el", "planned_end": "la exposición debía terminar el",
           "reason": "Motivo",
           "intact": "El contenido expuesto no ha cambiado desde la publicación.", "certify": "Hago constar que el "
           "edicto siguiente ha estado expuesto en el tablón de anuncios electrónico de este ayuntamiento durante "
           "los días indicados.", "page": "Página", "secretary": "El secretario/a"},
}


@dataclass(frozen=True)
class Exposure:
    first: date
    last: date
    days: int
    working_days: int
    #: The day it was taken off the board, when withdrawn before its end.
    withdrawn_on: date | None = None


def _period(edict: Edict) -> tuple[date, date]:
    """The first and last day the edict was (or is to be) on the board; the last before the first when
    it was withdrawn before it ever started."""
    first = max(edict.starts_on, local_date(edict.published_at))
    last = local_date(edict.withdrawn_at) if edict.withdrawn_at is not None else edict.ends_on
    return first, min(last, edict.ends_on)


def never_exposed(edict: Edict) -> bool:
    """Whether the edict was withdrawn before its first day: there is no exposure to certify."""
    first, last = _period(edict)
    return last < first


def exposure_of(edict: Edict) -> Exposure | None:
    """The days the edict was on the board, or None when it never was (withdrawn before its first day)."""
    first, last = _period(edict)
    if last < first:
        return None
    calendar = calendar_of(edict.tenant_id)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    withdrawn_on = local_date(edict.withdrawn_at) if edict.withdrawn_at is not None else None
    return Exposure(first, last, len(days), sum(1 for d in days if calendar.is_working_day(d)), withdrawn_on)


def issue_diligence(ctx: Context, edict_id: int, *, now: datetime | None = None) -> Edict:
    """After the exposure (over by ``now``, default the present): the diligència (TD12) in the
    edict's expedient, to the secretary to sign."""
    if not ctx.has_role(Role.SECRETARI) and not ctx.has_role(Role.TRAMITADOR):
        raise Forbidden(_l("You cannot publish on the notice board."))
    edict = get_owned(Edict, ctx, edict_id, for_update=True)
    if edict.diligence_document_id is not None:
        raise Conflict(_l("The certificate of exposure is already issued."))
    if edict.withdrawn_at is None and edict.ends_on >= local_date(now or utcnow()):
        raise Conflict(_l("The exposure is not over yet."))
    exposure = exposure_of(edict)
    if exposure is None:
        raise Conflict(_l("This edict was withdrawn before its first day: it was never on the board, so there "
                          "is no exposure to certify."))
    csv = new_csv()
    tenant = db.session.get(Tenant, ctx.tenant_id)
    pdf = render_pdf_from(TEMPLATES, "diligence.html", tenant=tenant, edict=edict, exposure=exposure,
                          intact=intact(edict), labels=LABELS.get(ctx.locale, LABELS["ca"]), csv=csv,
                          verify_url=verify_url(csv), locale=ctx.locale)
    doc = store_document(ctx, edict.expedient_id, f"diligencia-exposicio-{edict.id}.pdf", pdf,
                         title=f"{_l('Certificate of exposure')}: {edict.title}"[:300], tipo_documental="TD12",
                         from_administration=True, author=ctx.username, csv=csv)
    request_signatures(ctx, doc.id, [Role.SECRETARI.value])
    edict.diligence_document_id = doc.id
    db.session.flush()
    record(ctx, "edict.diligence_issued", "edict", edict.id, expedient_id=edict.expedient_id,
           after={"document_id": doc.id, "days": exposure.days})
    return edict
