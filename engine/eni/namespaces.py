"""ENI v1.0 namespaces, the prefixes the NTI uses, and GEE's package wrapper."""

from __future__ import annotations

_BASE = "http://administracionelectronica.gob.es/ENI/XSD/v1.0/"
EXP = _BASE + "expediente-e"
EXP_IND = _BASE + "expediente-e/indice-e"
EXP_IND_CON = _BASE + "expediente-e/indice-e/contenido"
EXP_META = _BASE + "expediente-e/metadatos"
DOC = _BASE + "documento-e"
DOC_META = _BASE + "documento-e/metadatos"
DOC_FILE = _BASE + "documento-e/contenido"
FIRMA = _BASE + "firma"
DS = "http://www.w3.org/2000/09/xmldsig#"
#: An expedient travels as its ENI ``expediente`` followed by each ENI ``documento`` in index
#: order, wrapped in this element (like InSiDE's "expediente con documentos").
PACKAGE = "urn:gee:eni:expediente-con-documentos:1"

NSMAP = {
    "eniexp": EXP, "eniexpind": EXP_IND, "eniconexpind": EXP_IND_CON, "eniexpmeta": EXP_META,
    "enidoc": DOC, "enidocmeta": DOC_META, "enifile": DOC_FILE, "enids": FIRMA, "ds": DS, "gee": PACKAGE,
}

VERSION_NTI_EXP = EXP
VERSION_NTI_DOC = DOC

#: FuncionResumen as GEE writes it (the XML Encryption URI, as InSiDE does).
SHA512_URI = "http://www.w3.org/2001/04/xmlenc#sha512"


def q(prefix: str, name: str) -> str:
    """``{namespace}name`` for lxml."""
    return f"{{{NSMAP[prefix]}}}{name}"
