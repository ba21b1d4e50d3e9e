"""The foliated index for courts and other bodies (Ley 39/2015 art. 70): a numbered list of the
expedient's documents with their digests, issued with a CSV and sealed (PAdES) by the
municipality. It is kept as an issued document outside the expedient (a closed expedient
cannot take new documents), so anyone can check it at /verify."""

from __future__ import annotations

from pathlib import Path

from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.documents.documents import Document, store_document
from engine.documents.pdf import render_pdf_from, stamp_time
from engine.documents.verification_codes import new_csv, verify_url
from engine.eni.access import require_eni_role
from engine.eni.export import index_entries
from engine.expedients.expedients import get_expedient
from engine.signatures.credentials import unlock_seal
from engine.signatures.pades import Stamp, sign_pdf
from engine.tenancy.models import Tenant

TEMPLATES = Path(__file__).resolve().parent / "templates"

LABELS: dict[str, dict[str, str]] = {
    "ca": {"heading": "Índex foliat de l'expedient", "expedient": "Expedient", "subject": "Assumpte",
           "state": "Estat", "date": "Data", "folio": "Foli", "document": "Document", "added": "Incorporat",
           "digest": "Empremta", "page": "Pàgina", "signed_by": "Segellat per", "role": "Càrrec",
           "seal": "Segell d'òrgan",
           "legal": "Índex numerat de tots els documents de l'expedient (art. 70 Llei 39/2015), "
                    "que en garanteix la integritat."},
    "es": {"heading": "Índice foliado del expediente", "expedient": "Expediente", "subject": "Asunto",
           "state": "Estado", "date": "Fecha", "folio": "Folio", "document": "Documento", "added": "Incorporado",
           "digest": "Huella", "page": "Página", "signed_by": "Sellado por", "role": "Cargo",
           "seal": "Sello de órgano",
           "legal": "Índice numerado de todos los documentos del expediente (art. 70 Ley 39/2015), "
                    "que garantiza su integridad."},
}


def foliated_index(ctx: Context, expedient_id: int) -> Document:
    """Make, seal and keep the foliated index of an expedient; the caller commits."""
    require_eni_role(ctx)
    expedient = get_expedient(ctx, expedient_id)
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    entries = index_entries(ctx, expedient)
    labels = LABELS.get(ctx.locale, LABELS["ca"])
    csv, now = new_csv(), utcnow()
    pdf = render_pdf_from(TEMPLATES, "foliated_index.html", tenant=tenant, expedient=expedient, entries=entries,
                          labels=labels, csv=csv, verify_url=verify_url(csv), now=now, locale=ctx.locale)
    seal = unlock_seal(ctx.tenant_id)
    stamp = Stamp(signer=tenant.name, role=labels["seal"], date=stamp_time(now, ctx.locale), csv=csv,
                  verify_url=verify_url(csv), labels=labels)
    signed = sign_pdf(pdf, seal, stamp, reason=labels["heading"])
    return store_document(
        ctx, None, f"index-{expedient.number.replace('/', '-')}.pdf", signed,
        title=f"{labels['heading']} {expedient.number}", tipo_documental="TD99", from_administration=True,
        author=tenant.name, csv=csv,
    )
