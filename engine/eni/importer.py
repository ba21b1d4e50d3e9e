"""ENI import: an expedient exported by another system (open or closed), with its documents,
metadata and signatures preserved.

Accepted input (see :mod:`engine.eni.remission`): a remission as a folder or a zip (the
``expediente`` file and one file per ``documento``, any names, documents matched by their
identifier), GEE's package (``gee:expedienteConDocumentos``) or any XML holding one ENI
``expediente`` and the ``documento`` elements of its index. Every XML file is parsed hardened
(no DTD, no entities, no network); every part is validated against the official schemas; each
document's content, in whichever form it came (:mod:`engine.eni.content`), is digested again and
compared with the index (``ValorHuella`` in whichever algorithm and encoding the sender used).
Anything wrong is refused with the element and the problem, and nothing is imported: the
caller commits only a complete import. Signatures are checked and their findings recorded
(:mod:`engine.eni.findings`); a weak or untrusted signature never refuses a document.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import select

from engine.audit import record
from engine.base.clock import MADRID
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.base.i18n import _l
from engine.documents.closing import close_expedient
from engine.documents.documents import store_document
from engine.eni import values
from engine.eni.access import require_eni_role
from engine.eni.content import Content, extract
from engine.eni.digests import algorithm_of, matches
from engine.eni.findings import BROKEN, DS, UNSUPPORTED, verify_cms, verify_pades, verify_xml_signature
from engine.eni.index_tree import Step, indexed_documents
from engine.eni.models import EniImportedDocument, EniImportedExpedient
from engine.eni.namespaces import q
from engine.eni.readable import document_title, expedient_subject, original_file_name
from engine.eni.remission import Remission, documentos, find_expediente, from_bytes
from engine.eni.schema import check
from engine.expedients.expedients import (
    Expedient,
    mark_index_closed_for_remission,
    open_expedient,
)
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import scoped


@dataclass(frozen=True)
class ImportResult:
    expedient: Expedient | None  # None after a dry run
    documents: int
    index_signature_intact: bool | None
    identifier: str = ""
    index_signature_finding: str | None = None


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


@dataclass(frozen=True)
class _IncomingDocument:
    element: etree._Element
    identifier: str
    content: Content
    format_name: str


def _incoming_documents(remission: Remission) -> dict[str, _IncomingDocument]:
    found: dict[str, _IncomingDocument] = {}
    for _name, element in documentos(remission):
        meta = element.find(q("enidocmeta", "metadatos"))
        identifier = _text(meta, "enidocmeta", "Identificador", "documento") if meta is not None else "?"
        check(element, "DocumentoEni.xsd", identifier)
        contenido = element.find(q("enifile", "contenido"))
        assert contenido is not None  # the schema requires it
        if identifier in found:
            raise ValidationFailed(_l("Document %(id)s appears twice.", id=identifier), field="Identificador")
        found[identifier] = _IncomingDocument(element, identifier, extract(element, identifier, remission),
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


def import_expedient(ctx: Context, data: bytes, name: str = "upload.xml") -> ImportResult:
    """Bring in an ENI expedient sent as one XML file or as a zip of the remission."""
    return import_remission(ctx, from_bytes(data, name), source_sha256=hashlib.sha256(data).hexdigest())


def expedient_identifier_of(remission: Remission) -> str:
    """The ENI identifier of the expedient a remission carries (checked, nothing stored)."""
    exp = find_expediente(remission)
    check(exp, "ExpedienteEni.xsd", "expediente")
    meta = exp.find(q("eniexpmeta", "metadatosExp"))
    assert meta is not None
    return values.expedient_identifier(_text(meta, "eniexpmeta", "Identificador", "metadatosExp"))


def already_imported(ctx: Context, identifier: str) -> EniImportedExpedient | None:
    found: EniImportedExpedient | None = db.session.execute(
        select(EniImportedExpedient).where(EniImportedExpedient.tenant_id == ctx.tenant_id,
                                           EniImportedExpedient.identifier == identifier)
    ).scalar_one_or_none()
    return found


def _index_finding(exp: etree._Element, firmas: etree._Element) -> str | None:
    signature = firmas.find(f".//{{{DS}}}Signature")
    if signature is None:
        return None
    return verify_xml_signature(signature, exp)[0]


def import_remission(ctx: Context, remission: Remission, *, source_sha256: str = "",
                     classification_map: dict[str, str] | None = None,
                     responsible_unit: str | None = None, process_model_id: int | None = None,
                     dry_run: bool = False) -> ImportResult:
    """Bring in an ENI expedient and its documents. Flushes; the caller commits (or rolls back).
    With ``dry_run`` everything is checked and nothing is stored (``expedient`` is then None)."""
    require_eni_role(ctx)
    exp = find_expediente(remission)
    identifier = expedient_identifier_of(remission)
    meta = exp.find(q("eniexpmeta", "metadatosExp"))
    assert meta is not None
    organs = [values.organ(o) for o in _texts(meta, "eniexpmeta", "Organo")]
    state = values.expedient_state(_text(meta, "eniexpmeta", "Estado", "metadatosExp"))
    opened_at = _when(_text(meta, "eniexpmeta", "FechaAperturaExpediente", "metadatosExp"),
                      "FechaAperturaExpediente")
    classification = _text(meta, "eniexpmeta", "Clasificacion", "metadatosExp")
    imported = already_imported(ctx, identifier)
    if imported is not None:
        number = db.session.get(Expedient, imported.expedient_id).number  # type: ignore[union-attr]
        raise Conflict(_l("Expedient %(id)s was already imported: it is %(number)s.", id=identifier, number=number))
    own = db.session.execute(scoped(Expedient, ctx).where(Expedient.eni_id == identifier)).scalar_one_or_none()
    if own is not None:  # exported from here: importing it would make a second copy of the same expedient
        raise Conflict(_l("Expedient %(id)s is already in this municipality: it is %(number)s.", id=identifier,
                          number=own.number))

    documents = _incoming_documents(remission)
    root = exp.find(f"{q('eniexpind', 'indice')}/{q('eniexpind', 'IndiceContenido')}")
    indexed = list(indexed_documents(root)) if root is not None else []
    plan: list[tuple[_IncomingDocument, etree._Element, list[Step]]] = []
    for item, path in indexed:
        doc_id = _text(item, "eniconexpind", "IdentificadorDocumento", "DocumentoIndizado")
        incoming = documents.get(doc_id)
        if incoming is None:
            raise ValidationFailed(_l("DocumentoIndizado %(id)s: the document is missing from the file.", id=doc_id),
                                   field="DocumentoIndizado")
        digest = _text(item, "eniconexpind", "ValorHuella", doc_id)
        function = _text(item, "eniconexpind", "FuncionResumen", doc_id)
        try:
            algorithm_of(function)
        except ValidationFailed as err:
            raise ValidationFailed(_l("DocumentoIndizado %(id)s: %(problem)s", id=doc_id, problem=str(err)),
                                   field="FuncionResumen") from None
        held_elsewhere = incoming.content.data is None
        if not held_elsewhere and not any(matches(c, digest, function) for c in incoming.content.candidates):
            raise ValidationFailed(
                _l("DocumentoIndizado %(id)s: ValorHuella does not match the document's content "
                   "(altered or wrongly indexed).", id=doc_id), field="ValorHuella")
        plan.append((incoming, item, path))
    if not plan:
        raise ValidationFailed(_l("The index lists no documents."), field="IndiceContenido")

    index_firmas = exp.find(f"{q('eniexpind', 'indice')}/{q('enids', 'firmas')}")
    assert index_firmas is not None
    finding = _index_finding(exp, index_firmas)
    intact = None if finding in (None, UNSUPPORTED) else finding != BROKEN
    if dry_run:
        return ImportResult(expedient=None, documents=len(plan), index_signature_intact=intact,
                            identifier=identifier, index_signature_finding=finding)

    mapped = (classification_map or {}).get(classification, classification)
    tenant = db.session.get(Tenant, ctx.tenant_id)
    assert tenant is not None  # the acting context's own municipality
    expedient = open_expedient(ctx, expedient_subject(tenant, identifier, classification),
                               process_model_id=process_model_id, opened_at=opened_at,
                               responsible_unit=responsible_unit)
    expedient.eni_id = identifier
    expedient.classification = mapped[:60]
    for incoming, item, path in plan:
        _store(ctx, tenant, expedient, incoming, item, path)
    db.session.add(EniImportedExpedient(
        tenant_id=ctx.tenant_id, expedient_id=expedient.id, identifier=identifier, organs=organs,
        classification=classification, interested=_texts(meta, "eniexpmeta", "Interesado"),
        index_signatures=[etree.tostring(f, encoding="unicode") for f in index_firmas],
        index_signature_intact=intact, index_signature_finding=finding, source_sha256=source_sha256,
        imported_by_id=ctx.user_id,
    ))
    db.session.flush()
    if state in ("E02", "E03"):
        close_expedient(ctx, expedient.id)
    if state == "E03":
        mark_index_closed_for_remission(ctx, expedient.id)
    record(ctx, "eni.imported", "expedient", expedient.id, expedient_id=expedient.id,
           after={"identifier": identifier, "state": state, "documents": len(plan),
                  "index_signature_intact": intact, "index_signature_finding": finding})
    return ImportResult(expedient=expedient, documents=len(plan), index_signature_intact=intact,
                        identifier=identifier, index_signature_finding=finding)


def _enveloping_signature(element: etree._Element) -> etree._Element | None:
    contenido = element.find(q("enifile", "contenido"))
    return contenido.find(f".//{{{DS}}}Signature") if contenido is not None else None


def _findings(incoming: _IncomingDocument, firmas: etree._Element | None) -> list[dict[str, Any]]:
    """One finding per signature of the document (see :mod:`engine.eni.findings`)."""
    content = incoming.content
    out: list[dict[str, Any]] = []
    for firma in firmas.findall(q("enids", "firma")) if firmas is not None else []:
        kind = (firma.findtext(q("enids", "TipoFirma")) or "").strip()
        holder = firma.find(f"{q('enids', 'ContenidoFirma')}/{q('enids', 'FirmaConCertificado')}")
        if holder is None:  # TF01: a CSV is checked at the issuing body's site
            continue
        signature = holder.find(f"{{{DS}}}Signature")
        blob = holder.find(q("enids", "FirmaBase64"))
        if signature is not None:
            result = verify_xml_signature(signature, incoming.element)
        elif blob is not None:
            raw = base64.b64decode("".join((blob.text or "").split()))
            result = verify_cms(raw, content.data)
        elif kind == "TF06" and content.data and content.data.startswith(b"%PDF"):
            out.extend({"type": kind, "finding": f, "detail": d} for f, d in verify_pades(content.data))
            continue
        elif content.container is not None:
            result = verify_cms(content.container)
        elif content.form == "xades" and (enveloping := _enveloping_signature(incoming.element)) is not None:
            result = verify_xml_signature(enveloping, enveloping)
        else:
            result = (UNSUPPORTED, "")
        out.append({"type": kind, "finding": result[0], "detail": result[1]})
    if content.form == "xades" and not any(f["type"] == "TF03" for f in out):
        enveloping = _enveloping_signature(incoming.element)
        if enveloping is not None:
            result = verify_xml_signature(enveloping, enveloping)
            out.append({"type": "TF03", "finding": result[0], "detail": result[1]})
    if (content.data and content.data.startswith(b"%PDF") and not any(f["type"] == "TF06" for f in out)):
        # a PDF signed inside (PAdES) that the sender did not list as a firma
        out.extend({"type": "TF06", "finding": f, "detail": d} for f, d in verify_pades(content.data))
    if content.container is not None and not any(f["type"] == "TF05" for f in out):
        result = verify_cms(content.container)
        out.append({"type": "TF05", "finding": result[0], "detail": result[1]})
    return out


def _store(ctx: Context, tenant: Tenant, expedient: Expedient, incoming: _IncomingDocument,
           item: etree._Element, path: list[Step]) -> None:
    element, identifier = incoming.element, incoming.identifier
    meta = element.find(q("enidocmeta", "metadatos"))
    assert meta is not None
    state = meta.find(q("enidocmeta", "EstadoElaboracion"))
    assert state is not None
    estado = values.estado_elaboracion(_text(state, "enidocmeta", "ValorEstadoElaboracion", identifier))
    origin = state.findtext(q("enidocmeta", "IdentificadorDocumentoOrigen"))
    firmas = element.find(q("enids", "firmas"))
    content = incoming.content
    if content.data is None:  # held elsewhere: a marker stands in for the content
        data = str(_l("Content held elsewhere: %(reference)s (ENI document %(id)s). Only its metadata "
                      "and declared digest were imported.", reference=content.reference, id=identifier)
                   ).encode("utf-8")
        file_name = f"{identifier}.txt"
    else:
        data = content.data
        file_name = original_file_name(content.reference, incoming.format_name) or \
            f"{identifier}.{incoming.format_name}"
    try:
        tipo = values.tipo_documental(_text(meta, "enidocmeta", "TipoDocumental", identifier))
        doc = store_document(
            ctx, expedient.id, file_name, data,
            title=document_title(tenant, tipo, identifier, file_name if content.data is not None else None),
            tipo_documental=tipo,
            from_administration=_text(meta, "enidocmeta", "OrigenCiudadanoAdministracion", identifier) in ("true", "1"),
            estado_elaboracion=estado,
            origin_document_eni_id=origin.strip() if origin and origin.strip() else None,
            captured_at=_when(_text(meta, "enidocmeta", "FechaCaptura", identifier), "FechaCaptura"),
        )
    except ValidationFailed as err:
        raise ValidationFailed(_l("Document %(id)s: %(problem)s", id=identifier, problem=str(err)),
                               field=err.field) from None
    findings = _findings(incoming, firmas)
    entries = _signature_entries(firmas, identifier)
    pending = list(findings)
    for entry in entries:  # each listed firma shows its finding where the document's signatures are shown
        match = next((f for f in pending if f["type"] == entry["type"]), None)
        if match is not None:
            pending.remove(match)
            entry["finding"] = match["finding"]
    doc.signatures = [*entries, *(doc.signatures or [])]
    contenido = element.find(q("enifile", "contenido"))
    assert contenido is not None
    plain = content.form == "binary"
    db.session.add(EniImportedDocument(
        tenant_id=ctx.tenant_id, document_id=doc.id, identifier=identifier,
        organs=_texts(meta, "enidocmeta", "Organo"), format_name=incoming.format_name,
        incorporated_at=item.findtext(q("eniconexpind", "FechaIncorporacionExpediente")),
        order_label=item.findtext(q("eniconexpind", "OrdenDocumentoExpediente")),
        signatures_xml=etree.tostring(firmas, encoding="unicode") if firmas is not None else None,
        metadata_xml=etree.tostring(meta, encoding="unicode"),
        signature_findings=findings,
        content_reference=content.reference if content.data is None else None,
        declared_digest=None if plain else item.findtext(q("eniconexpind", "ValorHuella")),
        declared_function=None if plain else item.findtext(q("eniconexpind", "FuncionResumen")),
        contenido_xml=None if plain else etree.tostring(contenido, encoding="unicode"),
        index_path=path or None,
    ))
    db.session.flush()
