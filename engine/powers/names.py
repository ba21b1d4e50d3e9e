"""The names a power gives its two sides, checked against the parties on record in the municipality.

A grantor types the representative's name as they know it ("Jordi Farre") while the municipality
knows that NIF as "Jordi Farré Pons": when what was typed is that name, spelled loosely (case,
accents, a surname left out), the power takes the name on record; when it is another name, the
typed one is kept (so that a NIF typed in the e-office never reveals whose it is) and the staff
register warns that they differ.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.identifiers import normalise_nif
from engine.expedients.parties import Party

#: Words a name may carry or leave out without being another name.
_LINKS = frozenset({"i", "y", "de", "del", "la", "les", "los", "el"})


def _words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return [w for w in re.split(r"[^\w]+", plain) if w and w not in _LINKS]


def same_person_name(typed: str, recorded: str) -> bool:
    """Whether ``typed`` is ``recorded`` written loosely: each of its words is one of the recorded ones."""
    words = _words(typed)
    return bool(words) and set(words) <= set(_words(recorded))


def recorded_name(ctx: Context, nif: str) -> str | None:
    """The name of the party on record with this NIF (any spelling), or None (none, or not a NIF)."""
    try:
        normalised = normalise_nif(nif)
    except ValidationFailed:
        return None
    stmt = select(Party.name).where(Party.tenant_id == ctx.tenant_id, Party.nif == normalised)
    return db.session.execute(stmt).scalar_one_or_none()


def recorded_names(ctx: Context, nifs: Iterable[str]) -> dict[str, str]:
    """NIF -> the name on record, for those of ``nifs`` that are parties of the municipality."""
    wanted = {n for n in nifs if n}
    if not wanted:
        return {}
    stmt = select(Party.nif, Party.name).where(Party.tenant_id == ctx.tenant_id, Party.nif.in_(wanted))
    return {nif: name for nif, name in db.session.execute(stmt)}


def resolved_name(ctx: Context, nif: str, typed: str) -> str:
    """The name the power records for ``nif``: the one on record when ``typed`` is that name loosely."""
    recorded = recorded_name(ctx, nif)
    if recorded and same_person_name(typed, recorded):
        return recorded
    return typed
