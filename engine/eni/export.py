"""ENI export of an expedient: index (signed with the municipality's seal), metadata, documents.

Every digest of the index is recomputed from the stored bytes (which are checked against the
digests kept since the document was stored, and, for a closed expedient, against its closing
index). ENI values are checked before anything is written, and the result is validated
against the official schemas: an export that would not validate is never handed out.
"""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from engine.audit import record
from engine.base.clock import MADRID, as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.documents.documents import Document, list_documents, read_content
from engine.documents.signature_verification import ensure_verified
from engine.documents.store import ContentIntegrityError
from engine.documents.verification_codes import regulation_of
from engine.eni import values
from engine.eni.access import require_eni_role
from engine.eni.digests import written_digest
from engine.eni.index_tree import NestedWriter
from engine.eni.models import EniImportedDocument, EniImportedExpedient
from engine.eni.namespaces import NSMAP, VERSION_NTI_DOC, VERSION_NTI_EXP, q
from engine.eni.schema import check
from engine.eni.xmlsig import sign_detached
from engine.expedients.expedients import Expedient, get_expedient, parties_of
from engine.expedients.parties import PartyRole
from engine.process.definition.sidecar import eni_classification
from engine.process.models import ProcessModel
from engine.signatures.credentials import unlock_seal
from engine.tenancy.models import Tenant

INDEX_ID = "INDICE_CONTENIDO"


def eni_datetime(value: datetime | None) -> str:
    moment = as_utc(value) or utcnow()
    return moment.astimezone(MADRID).isoformat(timespec="seconds")


def format_name(doc: Document) -> str:
    """NombreFormato: the file's extension, as the NTI de Catálogo de estándares names formats."""
    return Path(doc.file_name).suffix.lstrip(".").lower() or "bin"


@dataclass(frozen=True)
class IndexEntry:
    order: int
    document: Document
    content: bytes
    identifier: str
    incorporated_at: str
    order_label: str
    imported: EniImportedDocument | None


def _imported_document(doc: Document) -> EniImportedDocument | None:
    return db.session.execute(
        select(EniImportedDocument).where(EniImportedDocument.document_id == doc.id)
    ).scalar_one_or_none()


def index_entries(ctx: Context, expedient: Expedient) -> list[IndexEntry]:
    """The expedient's current documents in order, their bytes read back and checked."""
    closing = {item["document_id"]: item["digest"] for item in (expedient.closing_index or [])}
    documents = list_documents(ctx, expedient.id)
    ensure_verified(documents)  # the export states their signatures
    entries = []
    for order, doc in enumerate(documents, start=1):
        try:
            _, content = read_content(ctx, doc.id)
        except ContentIntegrityError:
            raise ValidationFailed(
                _l("Document %(id)s (%(title)s) was altered: its content no longer matches its digest.",
                   id=doc.eni_id, title=doc.title), field="ValorHuella") from None
        if doc.id in closing and closing[doc.id] != doc.sha512:
            raise ValidationFailed(
                _l("Document %(id)s does not match the index kept when the expedient was closed.", id=doc.eni_id),
                field="ValorHuella")
        imported = _imported_document(doc)
        entries.append(IndexEntry(
            order=order, document=doc, content=content,
            identifier=imported.identifier if imported else values.document_identifier(doc.eni_id or ""),
            incorporated_at=(imported.incorporated_at if imported and imported.incorporated_at
                             else eni_datetime(doc.created_at)),
            order_label=imported.order_label if imported and imported.order_label else str(order),
            imported=imported,
        ))
    return entries


def _sub(parent: etree._Element, prefix: str, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, q(prefix, name), attrs)
    if text is not None:
        element.text = text
    return element


def _classification(expedient: Expedient, tenant: Tenant) -> str:
    """Clasificacion: the SIA / procedure code of the expedient, else of its procedure's model (an
    expedient opened before the model carried one); without any, ``<organ>_PRO_<process or GENERIC>``."""
    if expedient.classification:
        return expedient.classification
    model = db.session.get(ProcessModel, expedient.process_model_id) if expedient.process_model_id else None
    from_model = eni_classification(model.classification, tenant.dir3) if model is not None else None
    return from_model or f"{tenant.dir3}_PRO_{expedient.process_model_id or 'GENERIC'}"


def _metadata(parent: etree._Element, ctx: Context, expedient: Expedient, tenant: Tenant,
              imported: EniImportedExpedient | None) -> None:
    meta = _sub(parent, "eniexpmeta", "metadatosExp")
    _sub(meta, "eniexpmeta", "VersionNTI", VERSION_NTI_EXP)
    _sub(meta, "eniexpmeta", "Identificador", values.expedient_identifier(expedient.eni_id))
    for organ in (imported.organs if imported else [tenant.dir3]):
        _sub(meta, "eniexpmeta", "Organo", values.organ(organ))
    _sub(meta, "eniexpmeta", "FechaAperturaExpediente", eni_datetime(expedient.opened_at))
    _sub(meta, "eniexpmeta", "Clasificacion", imported.classification if imported
         else _classification(expedient, tenant))
    _sub(meta, "eniexpmeta", "Estado", values.expedient_state(expedient.state))
    interested = list(imported.interested) if imported else []
    for link in parties_of(ctx, expedient.id):
        if link.role == PartyRole.INTERESSAT and link.party.nif not in interested:
            interested.append(link.party.nif)
    for nif in interested:
        _sub(meta, "eniexpmeta", "Interesado", nif)


def _index(parent: etree._Element, ctx: Context, entries: list[IndexEntry]) -> None:
    indice = _sub(parent, "eniexpind", "indice")
    content = _sub(indice, "eniexpind", "IndiceContenido", Id=INDEX_ID)
    now = eni_datetime(utcnow())
    _sub(content, "eniconexpind", "FechaIndiceElectronico", now)
    nesting = NestedWriter(content, now, _sub)  # the sender's folders and subexpedients, as imported
    for entry in entries:
        parent = nesting.parent_for(entry.imported.index_path if entry.imported else None)
        item = _sub(parent, "eniconexpind", "DocumentoIndizado")
        declared = entry.imported
        if declared is not None and declared.declared_digest and declared.declared_function:
            # content held elsewhere, or carried in a signature or as XML: the digest the sender
            # declared (checked on import wherever GEE holds the bytes) travels with the content.
            digest, function = declared.declared_digest, declared.declared_function
        else:
            digest, function = written_digest(entry.content)
        _sub(item, "eniconexpind", "IdentificadorDocumento", entry.identifier)
        _sub(item, "eniconexpind", "ValorHuella", digest)
        _sub(item, "eniconexpind", "FuncionResumen", function)
        _sub(item, "eniconexpind", "FechaIncorporacionExpediente", entry.incorporated_at)
        _sub(item, "eniconexpind", "OrdenDocumentoExpediente", entry.order_label)
    firmas = _sub(indice, "enids", "firmas")
    firma = _sub(firmas, "enids", "firma", Id="FIRMA_INDICE", ref=INDEX_ID)
    _sub(firma, "enids", "TipoFirma", "TF02")
    holder = _sub(_sub(firma, "enids", "ContenidoFirma"), "enids", "FirmaConCertificado")
    holder.append(sign_detached(content, unlock_seal(ctx.tenant_id)))


def _own_signatures(parent: etree._Element, doc: Document, content_id: str, regulation: str | None) -> None:
    """The document's signatures; a CSV names the municipality's act creating its CSV system
    (``regulation``), else the reference kept when it was issued."""
    entries = doc.signatures or []
    if not entries:
        return
    firmas = _sub(parent, "enids", "firmas")
    csv_entries = [s for s in entries if s.get("type") == "TF01"]
    for n, entry in enumerate(csv_entries, start=1):
        firma = _sub(firmas, "enids", "firma", Id=f"{content_id}_CSV_{n}")
        _sub(firma, "enids", "TipoFirma", "TF01")
        csv = _sub(_sub(firma, "enids", "ContenidoFirma"), "enids", "CSV")
        _sub(csv, "enids", "ValorCSV", entry["csv"])
        _sub(csv, "enids", "RegulacionGeneracionCSV", regulation or regulation_of(entry.get("regulation")))
    if any(s.get("type") == "TF06" for s in entries):
        # PAdES: the signatures live inside the PDF, so the firma points at the content.
        firma = _sub(firmas, "enids", "firma", Id=f"{content_id}_PADES", ref=content_id)
        _sub(firma, "enids", "TipoFirma", "TF06")
        holder = _sub(_sub(firma, "enids", "ContenidoFirma"), "enids", "FirmaConCertificado")
        _sub(holder, "enids", "ReferenciaFirma", f"#{content_id}")
    if not len(firmas):
        parent.remove(firmas)


def _own_metadata(parent: etree._Element, doc: Document, identifier: str) -> None:
    meta = _sub(parent, "enidocmeta", "metadatos")
    _sub(meta, "enidocmeta", "VersionNTI", VERSION_NTI_DOC)
    _sub(meta, "enidocmeta", "Identificador", identifier)
    _sub(meta, "enidocmeta", "Organo", values.organ(doc.organ))
    _sub(meta, "enidocmeta", "FechaCaptura", eni_datetime(doc.captured_at))
    _sub(meta, "enidocmeta", "OrigenCiudadanoAdministracion", "true" if doc.from_administration else "false")
    state = _sub(meta, "enidocmeta", "EstadoElaboracion")
    _sub(state, "enidocmeta", "ValorEstadoElaboracion", values.estado_elaboracion(doc.estado_elaboracion))
    if doc.origin_document_eni_id:
        _sub(state, "enidocmeta", "IdentificadorDocumentoOrigen", doc.origin_document_eni_id)
    _sub(meta, "enidocmeta", "TipoDocumental", values.tipo_documental(doc.tipo_documental))


def _document(parent: etree._Element, entry: IndexEntry, regulation: str | None) -> etree._Element:
    content_id = f"CONTENIDO_{entry.order}"
    element = _sub(parent, "enidoc", "documento", Id=f"DOC_{entry.order}")
    imported = entry.imported
    if imported is not None and imported.contenido_xml:  # DatosXML, inside a signature, a reference
        element.append(etree.fromstring(imported.contenido_xml))
    else:
        contenido = _sub(element, "enifile", "contenido", Id=content_id)
        _sub(contenido, "enifile", "ValorBinario", base64.b64encode(entry.content).decode("ascii"))
        _sub(contenido, "enifile", "NombreFormato",
             imported.format_name if imported else format_name(entry.document))
    if imported is not None:  # what another system wrote is given back exactly as received
        element.append(etree.fromstring(imported.metadata_xml))
        if imported.signatures_xml:
            element.append(etree.fromstring(imported.signatures_xml))
    else:
        _own_metadata(element, entry.document, entry.identifier)
        _own_signatures(element, entry.document, content_id, regulation)
    return element


def export_expedient(ctx: Context, expedient_id: int) -> bytes:
    """The expedient as an ENI package: ``expediente`` (signed index + metadata), then each
    ``documento`` in index order. Raises ValidationFailed naming the element that is wrong."""
    require_eni_role(ctx)
    expedient = get_expedient(ctx, expedient_id)
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    imported = db.session.execute(
        select(EniImportedExpedient).where(EniImportedExpedient.expedient_id == expedient.id)
    ).scalar_one_or_none()
    entries = index_entries(ctx, expedient)
    if not entries:
        raise ValidationFailed(_l("An ENI expedient needs at least one document in its index."))
    package = etree.Element(q("gee", "expedienteConDocumentos"), nsmap=NSMAP)
    exp = _sub(package, "eniexp", "expediente", Id="EXPEDIENTE")
    documents = [_document(package, entry, tenant.csv_regulation) for entry in entries]
    holder = etree.Element("holder")
    _metadata(holder, ctx, expedient, tenant, imported)  # values are checked before the index is signed
    _index(exp, ctx, entries)
    exp.append(holder[0])
    check(exp, "ExpedienteEni.xsd", "expediente")
    for entry, element in zip(entries, documents, strict=True):
        check(element, "DocumentoEni.xsd", entry.identifier)
    record(ctx, "eni.exported", "expedient", expedient.id, expedient_id=expedient.id,
           after={"identifier": expedient.eni_id, "documents": len(entries)})
    out: bytes = etree.tostring(package, xml_declaration=True, encoding="UTF-8")
    return out



def export_remission(ctx: Context, expedient_id: int) -> bytes:
    """The expedient as a remission zip, the shape other systems send and import takes:
    ``expediente.xml`` (signed index + metadata) and one ``<identifier>.xml`` per documento."""
    package = etree.fromstring(export_expedient(ctx, expedient_id))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for element in package:
            if element.tag == q("eniexp", "expediente"):
                name = "expediente.xml"
            else:
                identifier = element.findtext(f"{q('enidocmeta', 'metadatos')}/{q('enidocmeta', 'Identificador')}")
                name = f"{identifier}.xml"
            part = etree.fromstring(etree.tostring(element))  # its own document, namespaces declared
            etree.cleanup_namespaces(part, top_nsmap={k: v for k, v in NSMAP.items() if k != "gee"})
            archive.writestr(name, etree.tostring(part, xml_declaration=True, encoding="UTF-8"))
    return buffer.getvalue()
