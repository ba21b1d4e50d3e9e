"""Searching one book of the registry (a direction and a year) as the registry page lists it."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from engine.base.context import Context
from engine.base.db import db
from engine.base.identifiers import compact_nif
from engine.expedients.parties import Party, like_contains
from engine.registry.entries import Direction, RegistryEntry
from engine.tenancy.scoping import scoped


def search_entries(ctx: Context, direction: str, year: int, q: str = "", limit: int = 500) -> list[RegistryEntry]:
    """Entries of the book, newest first; ``q`` matches the number, subject, sender or the party's NIF/name."""
    stmt = scoped(RegistryEntry, ctx).where(
        RegistryEntry.direction == Direction(direction).value, RegistryEntry.year == year
    )
    term = " ".join((q or "").split())
    if term:
        like = like_contains(term)
        parties = select(Party.id).where(
            Party.tenant_id == ctx.tenant_id,
            or_(Party.nif.contains(compact_nif(term), autoescape=True), Party.name.ilike(like, escape="\\")),
        )
        stmt = stmt.where(
            or_(
                RegistryEntry.number.contains(term, autoescape=True),
                RegistryEntry.subject.ilike(like, escape="\\"),
                RegistryEntry.sender.ilike(like, escape="\\"),
                RegistryEntry.party_id.in_(parties),
            )
        )
    return list(db.session.execute(stmt.order_by(RegistryEntry.seq.desc()).limit(limit)).scalars())


def years_with_entries(ctx: Context) -> list[int]:
    """The years that have a registry book in this tenant, newest first."""
    stmt = select(func.distinct(RegistryEntry.year)).where(RegistryEntry.tenant_id == ctx.tenant_id)
    return sorted(db.session.execute(stmt).scalars(), reverse=True)
