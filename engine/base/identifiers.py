"""Spanish identification numbers (NIF, NIE, CIF): validated with python-stdnum, stored compact."""

from __future__ import annotations

import re

from stdnum.es import nif as stdnum_nif
from stdnum.exceptions import InvalidChecksum, ValidationError

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l


def normalise_nif(value: str, field: str = "nif") -> str:
    """The NIF/NIE/CIF upper case without separators, or :class:`ValidationFailed` naming the field."""
    raw = (value or "").strip()
    compact = compact_nif(raw)
    if not compact:
        raise ValidationFailed(_l("The NIF/NIE/CIF is required."), field=field)
    try:
        return str(stdnum_nif.validate(compact))
    except InvalidChecksum:
        raise ValidationFailed(
            _l("NIF/NIE/CIF %(value)s: the check letter or digit is wrong.", value=raw), field=field
        ) from None
    except ValidationError:
        raise ValidationFailed(
            _l("NIF/NIE/CIF %(value)s is not a valid Spanish identification number.", value=raw), field=field
        ) from None


def compact_nif(value: str) -> str:
    """Upper case without spaces, dots, dashes or slashes: how NIFs are stored and searched."""
    return re.sub(r"[\s.\-/]", "", value or "").upper()
