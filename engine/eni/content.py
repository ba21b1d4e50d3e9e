"""A document's content in every form the ENI schema allows, and the bytes its index digest may cover.

* ``ValorBinario``: the decoded bytes;
* ``DatosXML``: the XML inside (exclusive canonical form), or its text;
* inside a TF05 (CAdES attached) signature, in the content or in ``FirmaBase64``: the
  encapsulated content (the signature container is kept as received);
* inside a TF03 (XAdES enveloping) signature: the ``ds:Object`` it signs;
* ``referenciaFichero``: the referenced file when the remission carries it; otherwise the
  content is *held elsewhere* and only the metadata and the declared digest come in.

The index digest of some tools covers the signature container, of others the signed content:
both are offered to the digest check.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass, field

from lxml import etree

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.eni.findings import DS, cms_content
from engine.eni.namespaces import q
from engine.eni.remission import Remission


@dataclass
class Content:
    #: what the document holds, or None when it is held elsewhere
    data: bytes | None
    #: byte strings the index's ValorHuella may be the digest of
    candidates: list[bytes] = field(default_factory=list)
    #: "binary", "xml", "cades", "xades", "file" or "reference"
    form: str = "binary"
    reference: str | None = None
    #: the CAdES container holding the content (TF05), to be verified
    container: bytes | None = None


def _b64(text: str | None, identifier: str, element: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(_l("Document %(id)s: %(element)s is not valid base64.", id=identifier,
                                  element=element), field=element) from None


def _xml_bytes(element: etree._Element) -> list[bytes]:
    exclusive = etree.tostring(element, method="c14n", exclusive=True)
    inclusive = etree.tostring(element, method="c14n")
    return list(dict.fromkeys([exclusive, inclusive, etree.tostring(element)]))


def _enveloped_object(signature: etree._Element, identifier: str) -> tuple[bytes, list[bytes]] | None:
    """The content a TF03 (enveloping XAdES) signature carries in its ``ds:Object``."""
    for obj in signature.findall(f"{{{DS}}}Object"):
        if obj.find(".//{http://uri.etsi.org/01903/v1.3.2#}QualifyingProperties") is not None:
            continue
        children = [c for c in obj if isinstance(c.tag, str)]
        if children:
            forms = _xml_bytes(children[0])
            return forms[0], forms
        text = "".join((obj.text or "").split())
        if text:
            with contextlib.suppress(ValidationFailed):
                data = _b64(text, identifier, "ds:Object")
                return data, [data]
            data = (obj.text or "").encode("utf-8")
            return data, [data]
    return None


def _from_firmas(firmas: etree._Element | None, identifier: str) -> Content | None:
    """Content carried by a TF05 (FirmaBase64) or TF03 (ds:Signature) signature of the document."""
    if firmas is None:
        return None
    for firma in firmas.findall(q("enids", "firma")):
        kind = (firma.findtext(q("enids", "TipoFirma")) or "").strip()
        holder = firma.find(f"{q('enids', 'ContenidoFirma')}/{q('enids', 'FirmaConCertificado')}")
        if holder is None:
            continue
        blob_element = holder.find(q("enids", "FirmaBase64"))
        if kind == "TF05" and blob_element is not None:
            blob = _b64(blob_element.text, identifier, "FirmaBase64")
            inner = cms_content(blob)
            if inner is not None:
                return Content(inner, [inner, blob], "cades", container=blob)
        signature = holder.find(f"{{{DS}}}Signature")
        if kind == "TF03" and signature is not None:
            found = _enveloped_object(signature, identifier)
            if found is not None:
                return Content(found[0], found[1], "xades")
    return None


def extract(element: etree._Element, identifier: str, remission: Remission) -> Content:
    contenido = element.find(q("enifile", "contenido"))
    assert contenido is not None  # the schema requires it
    firmas = element.find(q("enids", "firmas"))
    binary = contenido.find(q("enifile", "ValorBinario"))
    xml = contenido.find(q("enifile", "DatosXML"))
    reference = contenido.find(q("enifile", "referenciaFichero"))
    carried = _from_firmas(firmas, identifier)
    if binary is not None:
        data = _b64(binary.text, identifier, "ValorBinario")
        inner = cms_content(data) if data else None
        if inner is not None:  # the content is a CAdES attached signature (TF05)
            return Content(inner, [data, inner], "cades", container=data)
        if not data and carried is not None:
            return carried
        return Content(data, [data], "binary")
    if xml is not None:
        children = [c for c in xml if isinstance(c.tag, str)]
        if children and children[0].tag == f"{{{DS}}}Signature":
            found = _enveloped_object(children[0], identifier)
            if found is not None:
                return Content(found[0], [*found[1], *_xml_bytes(children[0])], "xades")
        if children:
            forms = _xml_bytes(children[0])
            return Content(forms[0], forms, "xml")
        if (xml.text or "").strip():
            data = xml.text.encode("utf-8") if xml.text else b""
            return Content(data, [data, data.strip()], "xml")
        if carried is not None:
            return carried
        return Content(b"", [b""], "xml")
    assert reference is not None
    ref = (reference.text or "").strip()
    if carried is not None:
        return carried
    fetched = remission.file_named(ref) if ref and not ref.startswith("#") else None
    if fetched is not None:
        inner = cms_content(fetched)
        if inner is not None:
            return Content(inner, [fetched, inner], "cades", reference=ref, container=fetched)
        return Content(fetched, [fetched], "file", reference=ref)
    return Content(None, [], "reference", reference=ref or "?")
