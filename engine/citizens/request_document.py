"""The request a citizen files on the e-office as a document of its expedient: the sol·licitud
(ENI tipo documental TD14), what the citizen presented, kept in the expedient beside what they
attached, listed in their folder, the foliated index and the ENI export.

It shows the municipality, the procedure, the registry entry's number and presentation time, the
interested party (and the representative), every field filled in with its words and value, the
attached documents with their SHA-256, and how the citizen expressed their will: identified in the
e-office (by which provider and method, when it said) as a NIF and a name at that moment (Ley 39/2015
arts. 10.4 and 11.2.a). It is the record of that identification, not an electronic signature of the
citizen's; the CSV printed on it is the municipality's, to check its integrity.

It is printed by the job that issues the entry's receipt, in the same unit of work
(``Event.RECEIPT_ISSUED``, :mod:`engine.registry.receipt_job`), so the filing answers at once and the
request is there exactly when the receipt is: a retried job prints neither twice, and a job lost with
Redis, enqueued again by the scheduler, prints both. It is written from the start data of the
procedure the filing started (what the citizen filled in, the parties, how they identified themselves:
:data:`IDENTIFICATION_KEY`). Documents are in an official language (Catalan or Spanish,
:func:`engine.documents.languages.document_locale_of`), the one the citizen filed in when it is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import force_locale

from engine.base.context import Context
from engine.base.db import db
from engine.base.events import Event, subscribe
from engine.base.formats import format_moment
from engine.citizens.filed_summary import filed_lines
from engine.citizens.identity import CitizenIdentity
from engine.citizens.procedures import get_procedure
from engine.documents.documents import Document, store_document
from engine.documents.languages import document_locale_of
from engine.documents.pdf import html_to_pdf, render_html
from engine.documents.verification_codes import new_csv, verify_url
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party, find_party_by_nif
from engine.process.instances.tasks import show_instance
from engine.process.models import ProcessInstance, ProcessModel
from engine.registry.entries import Channel, RegistryEntry
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned, scoped

#: ENI TipoDocumental of the request: TD14 "Solicitud".
REQUEST_TIPO = "TD14"
#: Where a filing keeps, in the start data, how the citizen identified themselves (provider, method).
IDENTIFICATION_KEY = "identificacio"
#: The start data the citizen filled in (engine.inbox.task_context reads it too).
FILED_KEY = "sollicitud"

REQUEST_LABELS: dict[str, dict[str, str]] = {
    "ca": {
        "heading": "Sol·licitud",
        "procedure": "Procediment",
        "number": "Número de registre d'entrada",
        "presented": "Data i hora de presentació",
        "recipient": "Adreçada a",
        "expedient": "Expedient",
        "party": "Persona interessada",
        "representative": "Representant",
        "filled": "Dades de la sol·licitud",
        "nothing_filled": "La sol·licitud no té cap camp emplenat.",
        "documents": "Documents adjunts",
        "doc_title": "Document",
        "doc_file": "Fitxer",
        "doc_size": "Mida (bytes)",
        "doc_digest": "Empremta SHA-256",
        "no_documents": "No s'hi ha adjuntat cap document.",
        "will": "Expressió de la voluntat",
        "identified_by": "{name} (NIF {nif}) es va identificar a la seu electrònica mitjançant el proveïdor "
        "d'identitat {provider}{method} i hi va presentar aquesta sol·licitud el {moment}.",
        "identified": "{name} (NIF {nif}) es va identificar a la seu electrònica i hi va presentar aquesta "
        "sol·licitud el {moment}.",
        "method": " (mètode: {method})",
        "record": "Aquest document deixa constància d'aquesta identificació, que és com la persona sol·licitant "
        "va expressar la seva voluntat (arts. 10.4 i 11.2.a de la Llei 39/2015). No conté la seva signatura "
        "electrònica; el codi segur de verificació permet comprovar-ne la integritat.",
        "csv": "Codi segur de verificació (CSV)",
        "verify": "Podeu comprovar la integritat d'aquesta sol·licitud a",
        "page": "Pàgina",
    },
    "es": {
        "heading": "Solicitud",
        "procedure": "Procedimiento",
        "number": "Número de registro de entrada",
        "presented": "Fecha y hora de presentación",
        "recipient": "Dirigida a",
        "expedient": "Expediente",
        "party": "Persona interesada",
        "representative": "Representante",
        "filled": "Datos de la solicitud",
        "nothing_filled": "La solicitud no tiene ningún campo cumplimentado.",
        "documents": "Documentos adjuntos",
        "doc_title": "Documento",
        "doc_file": "Fichero",
        "doc_size": "Tamaño (bytes)",
        "doc_digest": "Huella SHA-256",
        "no_documents": "No se ha adjuntado ningún documento.",
        "will": "Expresión de la voluntad",
        "identified_by": "{name} (NIF {nif}) se identificó en la sede electrónica mediante el proveedor de "
        "identidad {provider}{method} y presentó en ella esta solicitud el {moment}.",
        "identified": "{name} (NIF {nif}) se identificó en la sede electrónica y presentó en ella esta solicitud "
        "el {moment}.",
        "method": " (método: {method})",
        "record": "Este documento deja constancia de esa identificación, que es como la persona solicitante "
        "expresó su voluntad (arts. 10.4 y 11.2.a de la Ley 39/2015). No contiene su firma electrónica; el "
        "código seguro de verificación permite comprobar su integridad.",
        "csv": "Código seguro de verificación (CSV)",
        "verify": "Puede comprobar la integridad de esta solicitud en",
        "page": "Página",
    },
}


def request_file_name(entry_number: str) -> str:
    """The request's file name, after its registry entry (``sollicitud-E-2026-000001.pdf``)."""
    return f"sollicitud-{entry_number.replace('/', '-')}.pdf"


def will_statement(labels: Mapping[str, str], citizen: CitizenIdentity, entry: RegistryEntry, locale: str) -> str:
    """How the citizen expressed their will: the identification the e-office recorded, as it was then."""
    words = {"name": citizen.name, "nif": citizen.nif,
             "moment": format_moment(entry.presented_at, locale, seconds=True, long=True)}  # fmt: skip
    if citizen.issuer:
        method = labels["method"].format(method=citizen.method) if citizen.method else ""
        said = labels["identified_by"].format(provider=citizen.issuer, method=method, **words)
    else:
        said = labels["identified"].format(**words)
    return f"{said} {labels['record']}"


def _procedure_name(tenant: Tenant, model: ProcessModel, locale: str) -> str:
    return get_procedure(tenant.id, model.key, locale).name


def _filing(ctx: Context, entry: RegistryEntry) -> tuple[ProcessModel, dict[str, Any]] | None:
    """The procedure an e-office request filed as ``entry`` started, and its start data; None for any other
    entry (an answer, an allegation, a desk entry: their process, if any, did not start from this entry)."""
    if entry.expedient_id is None or entry.channel != Channel.ELECTRONIC:
        return None
    instance = db.session.execute(
        scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id == entry.expedient_id)
        .order_by(ProcessInstance.id).limit(1)
    ).scalar_one_or_none()
    if instance is None:
        return None
    data = show_instance(ctx, instance.id).get("data") or {}
    if data.get("registre_entrada") != entry.number or not isinstance(data.get(FILED_KEY), dict):
        return None
    return instance.process_version.model, data


def _citizen(data: Mapping[str, Any]) -> CitizenIdentity:
    """Who filed: the representative when there is one, else the interested party; as they identified."""
    who = data.get("representant") or data.get("interessat") or {}
    how = data.get(IDENTIFICATION_KEY) or {}
    return CitizenIdentity(nif=str(who.get("nif", "")), name=str(who.get("nom", "")),
                           issuer=how.get("proveidor") or None, method=how.get("metode") or None)  # fmt: skip


@subscribe(Event.RECEIPT_ISSUED)
def print_request(ctx: Context, entry_id: int, locale: str | None) -> None:
    """Store the request of an e-office filing beside its entry's receipt (see the module's docstring)."""
    entry = get_owned(RegistryEntry, ctx, entry_id)
    filing = _filing(ctx, entry)
    if filing is None or request_document_ids(ctx, [entry]):
        return
    model, data = filing
    tenant = db.session.get(Tenant, ctx.tenant_id)
    expedient = db.session.get(Expedient, entry.expedient_id)
    assert tenant is not None and expedient is not None
    locale = document_locale_of(tenant, locale)
    labels = REQUEST_LABELS[locale]
    with force_locale(locale):  # "yes"/"no" and the form's words in the document's language
        lines = filed_lines(model, dict(data[FILED_KEY]), locale)
        procedure = _procedure_name(tenant, model, locale)
    representative = data.get("representant")
    csv = new_csv()
    html = render_html(
        "filed_request.html",
        labels=labels,
        locale=locale,
        tenant=tenant,
        procedure=procedure,
        entry=entry,
        expedient=expedient,
        party=db.session.get(Party, entry.party_id) if entry.party_id else None,
        representative=find_party_by_nif(ctx, representative["nif"]) if representative else None,
        lines=lines,
        attachments=entry.attachments,
        statement=will_statement(labels, _citizen(data), entry, locale),
        csv=csv,
        verify_url=verify_url(csv),
    )
    store_document(ctx, entry.expedient_id, request_file_name(entry.number), html_to_pdf(html),
                   title=f"{labels['heading']} {entry.number}", tipo_documental=REQUEST_TIPO,
                   from_administration=False, captured_at=entry.presented_at, csv=csv)  # fmt: skip


def request_document_ids(ctx: Context, entries: Iterable[RegistryEntry]) -> set[int]:
    """The requests stored for these entries (found by file name; an upload named alike is not a TD14
    with a CSV: documents the citizen attached are never issued)."""
    by_expedient: dict[int, set[str]] = {}
    for entry in entries:
        if entry.expedient_id is not None:
            by_expedient.setdefault(entry.expedient_id, set()).add(request_file_name(entry.number))
    found: set[int] = set()
    for expedient_id, names in by_expedient.items():
        found |= set(db.session.execute(
            scoped(Document, ctx).with_only_columns(Document.id).where(
                Document.expedient_id == expedient_id, Document.tipo_documental == REQUEST_TIPO,
                Document.from_administration.is_(False), Document.issued.is_(True), Document.file_name.in_(names))
        ).scalars())  # fmt: skip
    return found


__all__ = ["IDENTIFICATION_KEY", "REQUEST_LABELS", "REQUEST_TIPO", "print_request", "request_document_ids",
           "request_file_name"]
