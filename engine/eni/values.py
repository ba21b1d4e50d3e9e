"""ENI values checked before anything is written or imported (NTI anexos; DOMAIN.md)."""

from __future__ import annotations

import re

from engine.errors import ValidationFailed
from engine.i18n import _l
from engine.records.documents import SIGNATURE_TYPES, TIPOS_DOCUMENTALES, EstadoElaboracion

IDENTIFIER_MAX = 52
EXPEDIENT_STATES = ("E01", "E02", "E03")
_EXP_ID = re.compile(r"ES_[A-Z0-9]{1,21}_\d{4}_EXP_[A-Za-z0-9_.\-]{1,30}")
_DOC_ID = re.compile(r"ES_[A-Z0-9]{1,21}_\d{4}_[A-Za-z0-9_.\-]{1,30}")


def _refuse(element: str, value: object, rule: str) -> ValidationFailed:
    return ValidationFailed(
        _l("%(element)s: the value %(value)s is not valid (%(rule)s).", element=element, value=value, rule=rule),
        field=element,
    )


def expedient_identifier(value: str) -> str:
    if len(value) > IDENTIFIER_MAX or not _EXP_ID.fullmatch(value):
        raise _refuse("Identificador", value, "ES_<DIR3>_<AAAA>_EXP_<id>, at most 52 characters")
    return value


def document_identifier(value: str) -> str:
    if len(value) > IDENTIFIER_MAX or not _DOC_ID.fullmatch(value):
        raise _refuse("Identificador", value, "ES_<DIR3>_<AAAA>_<id>, at most 52 characters")
    return value


def expedient_state(value: str) -> str:
    if value not in EXPEDIENT_STATES:
        raise _refuse("Estado", value, "E01, E02 or E03")
    return value


def tipo_documental(value: str) -> str:
    if value not in TIPOS_DOCUMENTALES:
        raise _refuse("TipoDocumental", value, "TD01-TD20 or TD99")
    return value


def estado_elaboracion(value: str) -> str:
    if value not in {e.value for e in EstadoElaboracion}:
        raise _refuse("ValorEstadoElaboracion", value, "EE01-EE04 or EE99")
    return value


def tipo_firma(value: str) -> str:
    if value not in SIGNATURE_TYPES:
        raise _refuse("TipoFirma", value, "TF01-TF06")
    return value


def organ(value: str) -> str:
    if not value or len(value) > 21:
        raise _refuse("Organo", value, "a DIR3 code")
    return value
