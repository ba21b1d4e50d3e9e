"""Free text typed by a person, checked once: whitespace tidied, required, not too long."""

from __future__ import annotations

from typing import Any, Literal, overload

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l


@overload
def clean_text(
    value: str | None, limit: int, field: str, *, required: Literal[True], collapse: bool = ...,
    required_message: Any = ..., too_long_message: Any = ...,
) -> str: ...


@overload
def clean_text(
    value: str | None, limit: int, field: str, *, required: bool = ..., collapse: bool = ...,
    required_message: Any = ..., too_long_message: Any = ...,
) -> str | None: ...


def clean_text(
    value: str | None, limit: int, field: str, *, required: bool = False, collapse: bool = True,
    required_message: Any = None, too_long_message: Any = None,
) -> str | None:
    """``value`` with runs of whitespace made one space (only the ends trimmed if not ``collapse``),
    ``None`` when empty.

    Raises :class:`ValidationFailed` on ``field`` when it is empty and ``required``, or longer than
    ``limit``; the messages are shown beside the field (``field`` is its form name, never shown) and
    may be given instead.
    """
    clean = (" ".join((value or "").split()) if collapse else (value or "").strip()) or None
    if clean is None:
        if required:
            raise ValidationFailed(required_message or _l("This field is required."), field=field)
        return None
    if len(clean) > limit:
        raise ValidationFailed(
            too_long_message or _l("Too long (at most %(limit)s characters).", limit=limit),
            field=field,
        )
    return clean
