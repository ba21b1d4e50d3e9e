"""CSV cells a spreadsheet opens as text: a typed value that starts like a formula (``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so Calc or Excel shows it instead of running it
(OWASP's "CSV injection"). Numbers, negative ones included, are left as they are."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def cell(value: Any) -> Any:
    """``value`` as written in a CSV export: a string that a spreadsheet would take for a formula, neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value
