"""Official codes of a local body: the INE municipality code and the DIR3 code.

The INE code of a municipality is 2 digits of province and 3 of municipality, followed by a
control digit (DC) that INE computes from the five with three weight tables. A DIR3 code has
9 characters; an ajuntament's is ``L01`` followed by its INE code with the control digit
(e.g. Barcelona 08019, DC 3: L01080193). Other bodies' DIR3 codes are given, never derived.
"""

from __future__ import annotations

import re

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l

#: INE's tables: the weight of a digit depends on its position (tables used cyclically from the third).
_INE_TABLES = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (0, 3, 8, 2, 7, 4, 1, 5, 9, 6),
    (0, 2, 4, 6, 8, 1, 3, 5, 7, 9),
)
_DIGITS = re.compile(r"\d{5,6}")
_DIR3 = re.compile(r"[A-Z][A-Z0-9]{8}")
MUNICIPAL_DIR3_PREFIX = "L01"


def ine_control_digit(code5: str) -> int:
    """The control digit INE appends to a 5-digit municipality code."""
    total = sum(_INE_TABLES[(2 - position) % 3][int(digit)] for position, digit in enumerate(code5))
    return (10 - total % 10) % 10


def check_ine(value: str | None, field: str = "ine_code") -> str:
    """A municipality code with its control digit (6 digits).

    Five digits get their control digit added; six must end in the right one.
    """
    code = (value or "").strip()
    if not _DIGITS.fullmatch(code):
        raise ValidationFailed(
            _l("INE code %(value)s: write the 5-digit municipality code, or the 6 digits with its control digit.",
               value=code),
            field=field,
        )
    expected = ine_control_digit(code[:5])
    if len(code) == 6 and int(code[5]) != expected:
        raise ValidationFailed(
            _l("INE code %(value)s: its control digit should be %(digit)s.", value=code, digit=expected),
            field=field,
        )
    return code[:5] + str(expected)


def check_body_dir3(value: str | None, field: str = "dir3") -> str:
    """A DIR3 code as written in the directory: 9 upper-case letters and digits."""
    code = (value or "").strip().upper()
    if not _DIR3.fullmatch(code):
        raise ValidationFailed(
            _l("DIR3 code %(value)s: a DIR3 code has 9 letters and digits, e.g. L01250019.", value=code), field=field
        )
    return code


def check_municipal_dir3(value: str | None, ine6: str, field: str = "dir3") -> str:
    """An ajuntament's DIR3 code: L01 followed by its INE code with control digit."""
    code = check_body_dir3(value, field)
    expected = MUNICIPAL_DIR3_PREFIX + ine6
    if code != expected:
        raise ValidationFailed(
            _l("DIR3 code %(value)s does not match INE code %(ine)s: an ajuntament's DIR3 code is %(expected)s.",
               value=code, ine=ine6, expected=expected),
            field=field,
        )
    return code
