"""Custom JSON Schema formats of the platform's forms, checked on the server.

JSON Schema cannot check a control letter, so forms say ``"format": "nif"`` (a Spanish
NIF/NIE/CIF with the right check letter or digit) or ``"format": "cadastral-reference"`` (a
20-character referència cadastral with its two control letters) and
:func:`engine.process.instances.tasks.validate_task_data` checks them with :data:`FORMAT_CHECKER`,
together with the standard formats (date, email...).
"""

from __future__ import annotations

from jsonschema import FormatChecker
from stdnum.es import referenciacatastral

from engine.base.errors import ValidationFailed
from engine.base.identifiers import normalise_nif

#: The standard formats jsonschema knows plus ours.
FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("nif")
def is_nif(value: object) -> bool:
    """A Spanish NIF, NIE or CIF whose check letter/digit is right (separators allowed)."""
    if not isinstance(value, str):
        return True  # the type keyword reports non-strings
    try:
        normalise_nif(value)
    except ValidationFailed:
        return False
    return True


@FORMAT_CHECKER.checks("cadastral-reference")
def is_cadastral_reference(value: object) -> bool:
    """A 20-character referència cadastral with its two control letters (spaces allowed)."""
    if not isinstance(value, str):
        return True
    compact = referenciacatastral.compact(value)
    return len(compact) == 20 and bool(referenciacatastral.is_valid(compact))


__all__ = ["FORMAT_CHECKER", "is_cadastral_reference", "is_nif"]
