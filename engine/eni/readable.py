"""What a clerk reads of an imported ENI expedient instead of bare identifiers.

ENI carries no subject and no document titles: an expedient has its identifier and its
classification (the sender's procedure code), a document its identifier, its type (TipoDocumental)
and, when its content is a file of the remission (``referenciaFichero``), that file's name. The
subject and titles are made of those, in the municipality's document language, and always keep the
ENI identifier so the sender's references still find them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from flask_babel import force_locale

from engine.base.i18n import _l
from engine.documents.documents import TIPO_LABELS
from engine.documents.languages import document_locale_of
from engine.tenancy.models import Tenant

#: A document title holds 300 characters: the type, the file name cut to this, the identifier (52).
STEM_MAX = 160


def original_file_name(reference: str | None, format_name: str = "") -> str | None:
    """The name of the file a ``referenciaFichero`` points at (``docs/Informe.pdf`` -> ``Informe.pdf``,
    given the format's extension when it has none); None for a reference inside the XML (``#FIRMA_0``)
    or one without a name."""
    value = (reference or "").strip()
    if not value or value.startswith("#"):
        return None
    path = value.split("?", 1)[0].replace("\\", "/")
    name = "" if path.endswith("/") else PurePosixPath(path).name.strip()
    if not name or name in (".", ".."):
        return None
    if not PurePosixPath(name).suffix and format_name:
        name = f"{name}.{format_name}"
    return name


def document_title(tenant: Tenant, tipo_documental: str, identifier: str, file_name: str | None = None) -> str:
    """"Report (ES_…)", or "Report: Informe tècnic (ES_…)" when the sender's file name is known; the
    type is in the municipality's document language, TD51-TD69 (no name of their own) by their code."""
    with force_locale(document_locale_of(tenant, None)):
        label = TIPO_LABELS.get(tipo_documental)
        kind = str(label) if label is not None else tipo_documental
    stem = PurePosixPath(file_name).stem.strip()[:STEM_MAX] if file_name else ""
    if stem and stem != identifier:
        return f"{kind}: {stem} ({identifier})"
    return f"{kind} ({identifier})"


def expedient_subject(tenant: Tenant, identifier: str, classification: str) -> str:
    """"Imported expedient ES_… (its classification)", in the municipality's document language."""
    with force_locale(document_locale_of(tenant, None)):
        return str(_l("Imported expedient %(id)s (%(classification)s)", id=identifier,
                      classification=classification))


__all__ = ["document_title", "expedient_subject", "original_file_name"]
