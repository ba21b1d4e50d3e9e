"""Códigos Seguros de Verificación (Ley 40/2015, art. 42.b): the code printed on an issued
document that lets anyone fetch it from the e-office and see that it is intact.

A code is 20 symbols of Crockford's base32 (digits and capitals without I, L, O, U), drawn
with :mod:`secrets`: 100 bits of randomness, far beyond the 80 bits asked for, so codes can
neither be guessed nor enumerated. Printed in four groups of five (``7K3QF-…``); when read
back, case, hyphens, spaces and the look-alikes O/I/L are forgiven.
"""

from __future__ import annotations

import math
import secrets

from engine.base.i18n import _l
from engine.base.settings import current_settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 20
GROUP = 5
#: Randomness of one code, in bits.
ENTROPY_BITS = SYMBOLS * math.log2(len(ALPHABET))
#: What a TF01 signature names as its RegulacionGeneracionCSV while the municipality has not
#: named its own act creating the CSV system (Tenant.csv_regulation).
REGULATION = "Ley 40/2015, de 1 de octubre, art. 42.b"
#: The same citation as a reader of the verification page reads it, in their language
#: (REGULATION stays the stored and exported metadata value).
REGULATION_LABEL = _l("Law 40/2015 of 1 October, art. 42.b")

_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_csv() -> str:
    """A fresh random code, formatted for printing."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS))
    return "-".join(raw[i : i + GROUP] for i in range(0, SYMBOLS, GROUP))


def normalize_csv(text: str) -> str | None:
    """The canonical printed form of what someone typed, or None if it cannot be a code."""
    raw = "".join(ch for ch in text.upper() if ch not in "- \t").translate(_LOOKALIKES)
    if len(raw) != SYMBOLS or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i : i + GROUP] for i in range(0, SYMBOLS, GROUP))


def regulation_of(tenant_regulation: str | None) -> str:
    """The RegulacionGeneracionCSV to state: the municipality's act, else the law."""
    return tenant_regulation or REGULATION


def regulation_label(regulation: str) -> str:
    """The regulation as the verification page shows it: the law cited in the reader's language,
    the municipality's own act as it was named."""
    return str(REGULATION_LABEL) if regulation == REGULATION else regulation


def verify_url(csv: str | None = None) -> str:
    """The e-office address where anyone checks a document by its code (printed beside the code)."""
    base = f"{current_settings().public_base_url}/verify"
    return f"{base}?csv={csv}" if csv else base
