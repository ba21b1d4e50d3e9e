"""ENI import: an expedient exported by another system (open or closed), with its documents,
metadata and signatures preserved.

Accepted input: GEE's package (``gee:expedienteConDocumentos``) or any XML whose root is, or
contains, one ENI ``expediente`` and the ENI ``documento`` elements of its index. The XML is
parsed hardened (no DTD, no entities, no network); every part is validated against the
official schemas; each document's content is digested again and compared with the index
(``ValorHuella`` in whichever algorithm and encoding the sender used). Anything wrong is
refused with the element and the problem, and nothing is imported: the caller commits only a
complete import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import select

from engine.audit import record
from engine.base.clock import MADRID
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.base.i18n import _l
from engine.base.xml_safety import UnsafeXmlError, safe_parse_xml
from engine.documents.closing import close_expedient
from engine.documents.documents import store_document
from engine.eni import values
from engine.eni.access import require_eni_role
from engine.eni.digests import matches
from engine.eni.models import EniImportedDocument, EniImportedExpedient
from engine.eni.namespaces import q
from engine.eni.schema import check
from engine.eni.xmlsig import verify_in
from engine.expedients.expedients import (
    Expedient,
    mark_index_closed_for_remission,
    open_expedient,
)


@dataclass(frozen=True)
class ImportResult:
    expedient: Expedient
    documents: int
    index_signature_intact: bool | None


def _text(parent: etree._Element, prefix: str, name: str, where: str) -> str:
    found = parent.find(q(prefix, name))
    if found is None or not (found.text or "").strip():
        raise ValidationFailed(_l("%(where)s: %(element)s is missing.", where=where, element=name), field=name)
    return found.text.strip()


def _texts(parent: etree._Element, prefix: str, name: str) -> list[str]:
    return [e.text.strip() for e in parent.findall(q(prefix, name)) if e.text and e.text.strip()]


def _when(value: str, element: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(_l("%(element)s: %(value)s is not a date and time.", element=element, value=value),
                               field=element) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MADRID)
    return moment


def _parse(data: bytes) -> etree._Element:
    try:
        return safe_parse_xml(data)
    except UnsafeXmlError as err:
        raise ValidationFailed(_l("The XML was refused: %(reason)s.", reason=str(err)), field="file") from None
    except etree.XMLSyntaxError as err:
        raise ValidationFailed(_l("The file is not well-formed XML: %(reason)s.", reason=str(err)),
                               field="file") from None


def _find_expediente(root: etree._Element) -> etree._Element:
    if root.tag == q("eniexp", "expediente"):
        return root
    found = root.findall(f".//{q('eniexp', 'expediente')}")
    if len(found) != 1:
        raise ValidationFailed(_l("The file must hold exactly one ENI expediente element."), field="file")
    return found[0]


@dataclass(frozen=True)
class _IncomingDocument:
    element: etree._Element
    identifier: str
    content: bytes
    format_name: str


def _incoming_documents(root: etree._Element) -> dict[str, _IncomingDocument]:
    found: dict[str, _IncomingDocument] = {}
    for element in root.iter(q("enidoc", "documento")):
        meta = element.find(q("enidocmeta", "metadatos"))
        identifier = _text(meta, "enidocmeta", "Identificador", "documento") if meta is not None else "?"
        check(element, "DocumentoEni.xsd", identifier)
        contenido = element.find(q("enifile", "contenido"))
        assert contenido is not None  # the schema requires it
        binary = contenido.find(q("enifile", "ValorBinario"))
        if binary is None:
            raise ValidationFailed(
                _l("Document %(id)s: only content embedded as ValorBinario can be imported.", id=identifier),
                field="contenido")
        try:
            content = base64.b64decode("".join((binary.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(_l("Document %(id)s: ValorBinario is not valid base64.", id=identifier),
                                   field="ValorBinario") from None
        if identifier in found:
            raise ValidationFailed(_l("Document %(id)s appears twice.", id=identifier), field="Identificador")
        found[identifier] = _IncomingDocument(element, identifier, content,
                                              _text(contenido, "enifile", "NombreFormato", identifier))
    return found


def _signature_entries(firmas: etree._Element | None, identifier: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for firma in firmas.findall(q("enids", "firma")) if firmas is not None else []:
        kind = values.tipo_firma(_text(firma, "enids", "TipoFirma", identifier))
        entry: dict[str, object] = {"type": kind, "imported": True}
        csv = firma.find(f"{q('enids', 'ContenidoFirma')}/{q('enids', 'CSV')}")
        if csv is not None:
            entry["csv"] = _text(csv, "enids", "ValorCSV", identifier)
            entry["regulation"] = _text(csv, "enids", "RegulacionGeneracionCSV", identifier)
        entries.append(entry)
    return entries


def import_expedient(ctx: Context, data: bytes) -> ImportResult:
    """Bring in an ENI expedient and its documents. Flushes; the caller commits (or rolls back)."""
    require_eni_role(ctx)
    root = _parse(data)
    exp = _find_expediente(root)
    check(exp, "ExpedienteEni.xsd", "expediente")
    meta = exp.find(q("eniexpmeta", "metadatosExp"))
    assert meta is not None
    identifier = values.expedient_identifier(_text(meta, "eniexpmeta", "Identificador", "metadatosExp"))
    organs = [values.organ(o) for o in _texts(meta, "eniexpmeta", "Organo")]
    state = values.expedient_state(_text(meta, "eniexpmeta", "Estado", "metadatosExp"))
    opened_at = _when(_text(meta, "eniexpmeta", "FechaAperturaExpediente", "metadatosExp"),
                      "FechaAperturaExpediente")
    classification = _text(meta, "eniexpmeta", "Clasificacion", "metadatosExp")
    already = db.session.execute(
        select(EniImportedExpedient).where(EniImportedExpedient.tenant_id == ctx.tenant_id,
                                           EniImportedExpedient.identifier == identifier)
    ).scalar_one_or_none()
    if already is not None:
        raise Conflict(_l("Expedient %(id)s was already imported.", id=identifier))

    documents = _incoming_documents(root)
    indexed = list(exp.iter(q("eniconexpind", "DocumentoIndizado")))
    plan: list[tuple[_IncomingDocument, etree._Element]] = []
    for item in indexed:
        doc_id = _text(item, "eniconexpind", "IdentificadorDocumento", "DocumentoIndizado")
        incoming = documents.get(doc_id)
        if incoming is None:
            raise ValidationFailed(_l("DocumentoIndizado %(id)s: the document is missing from the file.", id=doc_id),
                                   field="DocumentoIndizado")
        digest = _text(item, "eniconexpind", "ValorHuella", doc_id)
        function = _text(item, "eniconexpind", "FuncionResumen", doc_id)
        if not matches(incoming.content, digest, function):
            raise ValidationFailed(
                _l("DocumentoIndizado %(id)s: ValorHuella does not match the document's content "
                   "(altered or wrongly indexed).", id=doc_id), field="ValorHuella")
        plan.append((incoming, item))
    if not plan:
        raise ValidationFailed(_l("The index lists no documents."), field="IndiceContenido")

    index_firmas = exp.find(f"{q('eniexpind', 'indice')}/{q('enids', 'firmas')}")
    assert index_firmas is not None
    has_xml_signature = index_firmas.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    intact = verify_in(etree.tostring(exp)) if has_xml_signature else None

    expedient = open_expedient(ctx, f"ENI {identifier}", opened_at=opened_at)
    expedient.eni_id = identifier
    expedient.classification = classification[:60]
    for incoming, item in plan:
        _store(ctx, expedient, incoming, item)
    db.session.add(EniImportedExpedient(
        tenant_id=ctx.tenant_id, expedient_id=expedient.id, identifier=identifier, organs=organs,
        classification=classification, interested=_texts(meta, "eniexpmeta", "Interesado"),
        index_signatures=[etree.tostring(f, encoding="unicode") for f in index_firmas],
        index_signature_intact=intact, source_sha256=hashlib.sha256(data).hexdigest(),
        imported_by_id=ctx.user_id,
    ))
    db.session.flush()
    if state in ("E02", "E03"):
        close_expedient(ctx, expedient.id)
    if state == "E03":
        mark_index_closed_for_remission(ctx, expedient.id)
    record(ctx, "eni.imported", "expedient", expedient.id, expedient_id=expedient.id,
           after={"identifier": identifier, "state": state, "documents": len(plan),
                  "index_signature_intact": intact})
    return ImportResult(expedient=expedient, documents=len(plan), index_signature_intact=intact)


def _store(ctx: Context, expedient: Expedient, incoming: _IncomingDocument, item: etree._Element) -> None:
    element, identifier = incoming.element, incoming.identifier
    meta = element.find(q("enidocmeta", "metadatos"))
    assert meta is not None
    state = meta.find(q("enidocmeta", "EstadoElaboracion"))
    assert state is not None
    estado = values.estado_elaboracion(_text(state, "enidocmeta", "ValorEstadoElaboracion", identifier))
    origin = state.findtext(q("enidocmeta", "IdentificadorDocumentoOrigen"))
    firmas = element.find(q("enids", "firmas"))
    try:
        doc = store_document(
            ctx, expedient.id, f"{identifier}.{incoming.format_name}", incoming.content,
            title=identifier,
            tipo_documental=values.tipo_documental(_text(meta, "enidocmeta", "TipoDocumental", identifier)),
            from_administration=_text(meta, "enidocmeta", "OrigenCiudadanoAdministracion", identifier) in ("true", "1"),
            estado_elaboracion=estado,
            origin_document_eni_id=origin.strip() if origin and origin.strip() else None,
            captured_at=_when(_text(meta, "enidocmeta", "FechaCaptura", identifier), "FechaCaptura"),
        )
    except ValidationFailed as err:
        raise ValidationFailed(_l("Document %(id)s: %(problem)s", id=identifier, problem=str(err)),
                               field=err.field) from None
    doc.signatures = [*_signature_entries(firmas, identifier), *(doc.signatures or [])]
    db.session.add(EniImportedDocument(
        tenant_id=ctx.tenant_id, document_id=doc.id, identifier=identifier,
        organs=_texts(meta, "enidocmeta", "Organo"), format_name=incoming.format_name,
        incorporated_at=item.findtext(q("eniconexpind", "FechaIncorporacionExpediente")),
        order_label=item.findtext(q("eniconexpind", "OrdenDocumentoExpediente")),
        signatures_xml=etree.tostring(firmas, encoding="unicode") if firmas is not None else None,
        metadata_xml=etree.tostring(meta, encoding="unicode"),
    ))
    db.session.flush()
