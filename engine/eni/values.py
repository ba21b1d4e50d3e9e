"""ENI values checked before anything is written or imported (NTI anexos; DOMAIN.md)."""

from __future__ import annotations

import re
from collections.abc import Collection

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.documents.documents import SIGNATURE_TYPES, TIPOS_DOCUMENTALES, EstadoElaboracion

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


def _one_of(element: str, value: str, allowed: Collection[str], expected: str) -> str:
    if value not in allowed:
        raise _refuse(element, value, expected)
    return value


def expedient_state(value: str) -> str:
    return _one_of("Estado", value, EXPEDIENT_STATES, "E01, E02 or E03")


def tipo_documental(value: str) -> str:
    return _one_of("TipoDocumental", value, TIPOS_DOCUMENTALES, "TD01-TD20, TD51-TD69 or TD99")


def estado_elaboracion(value: str) -> str:
    return _one_of("ValorEstadoElaboracion", value, {e.value for e in EstadoElaboracion}, "EE01-EE04 or EE99")


def tipo_firma(value: str) -> str:
    return _one_of("TipoFirma", value, SIGNATURE_TYPES, "TF01-TF06")


def organ(value: str) -> str:
    if not value or len(value) > 21:
        raise _refuse("Organo", value, "a DIR3 code")
    return value
