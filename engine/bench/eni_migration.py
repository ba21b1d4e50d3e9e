"""Material for ``gee bench migrate``: ENI remissions as another tool writes them (expediente
file + one file per documento, SHA-256 digests, every tenth one with a wrong digest)."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from lxml import etree

from engine.eni.namespaces import DOC, DOC_FILE, DOC_META, EXP, EXP_IND, EXP_IND_CON, EXP_META, FIRMA

_NS = {"eniexp": EXP, "eniexpind": EXP_IND, "eniconexpind": EXP_IND_CON, "eniexpmeta": EXP_META,
       "enidoc": DOC, "enidocmeta": DOC_META, "enifile": DOC_FILE, "enids": FIRMA}


def _el(parent: etree._Element | None, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    qname = f"{{{_NS[prefix]}}}{name}"
    node = etree.Element(qname, attrs, nsmap=_NS) if parent is None else etree.SubElement(parent, qname, attrs)
    if text is not None:
        node.text = text
    return node


def _documento(identifier: str, content: bytes) -> bytes:
    root = _el(None, "enidoc:documento")
    contenido = _el(root, "enifile:contenido", Id="CONTENIDO_DOCUMENTO")
    _el(contenido, "enifile:ValorBinario", base64.b64encode(content).decode())
    _el(contenido, "enifile:NombreFormato", "pdf")
    meta = _el(root, "enidocmeta:metadatos")
    _el(meta, "enidocmeta:VersionNTI", DOC)
    _el(meta, "enidocmeta:Identificador", identifier)
    _el(meta, "enidocmeta:Organo", "L01080193")
    _el(meta, "enidocmeta:FechaCaptura", "2014-03-02T10:00:00+01:00")
    _el(meta, "enidocmeta:OrigenCiudadanoAdministracion", "true")
    _el(_el(meta, "enidocmeta:EstadoElaboracion"), "enidocmeta:ValorEstadoElaboracion", "EE01")
    _el(meta, "enidocmeta:TipoDocumental", "TD99")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write_source(folder: Path, count: int, documents: int = 3, size: int = 20_000) -> int:
    """``count`` remission folders under ``folder``; returns how many are broken on purpose."""
    broken = 0
    for n in range(count):
        remission = folder / f"exp{n:05d}"
        remission.mkdir(parents=True)
        exp = _el(None, "eniexp:expediente")
        indice = _el(exp, "eniexpind:indice")
        contenido = _el(indice, "eniexpind:IndiceContenido", Id="INDICE_CONTENIDO")
        _el(contenido, "eniconexpind:FechaIndiceElectronico", "2014-06-01T09:00:00+02:00")
        for d in range(documents):
            identifier = f"ES_L01080193_2014_DOC_B{n:05d}D{d}"
            content = b"%PDF-1.4\n" + os.urandom(size)
            item = _el(contenido, "eniconexpind:DocumentoIndizado")
            _el(item, "eniconexpind:IdentificadorDocumento", identifier)
            digest = hashlib.sha256(content + (b"x" if n % 10 == 9 and d == 0 else b"")).hexdigest()
            _el(item, "eniconexpind:ValorHuella", digest)
            _el(item, "eniconexpind:FuncionResumen", "SHA256")
            (remission / f"{d}.xml").write_bytes(_documento(identifier, content))
        firma = _el(_el(indice, "enids:firmas"), "enids:firma", Id="FIRMA_INDICE")
        _el(firma, "enids:TipoFirma", "TF02")
        _el(_el(_el(firma, "enids:ContenidoFirma"), "enids:FirmaConCertificado"), "enids:ReferenciaFirma",
            "#INDICE_CONTENIDO")
        meta = _el(exp, "eniexpmeta:metadatosExp")
        _el(meta, "eniexpmeta:VersionNTI", EXP)
        _el(meta, "eniexpmeta:Identificador", f"ES_L01080193_2014_EXP_B{n:05d}")
        _el(meta, "eniexpmeta:Organo", "L01080193")
        _el(meta, "eniexpmeta:FechaAperturaExpediente", "2014-03-01T09:00:00+01:00")
        _el(meta, "eniexpmeta:Clasificacion", "OLD-URB")
        _el(meta, "eniexpmeta:Estado", "E01" if n % 2 else "E02")
        (remission / "expediente.xml").write_bytes(etree.tostring(exp, xml_declaration=True, encoding="UTF-8"))
        broken += n % 10 == 9
    return broken
