"""Who acted in audit events, in words: the users' full names read in one query for all the events
(the expedient's history, a page of the municipality's audit trail), the citizens who acted in the
e-office by the name the municipality's parties give their NIF in another, then
:func:`engine.audit.actors.actor_labels`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select

from engine.audit.actors import CITIZEN_PREFIX, actor_label, actor_labels, user_ids
from engine.audit.trail import AuditEvent
from engine.base.context import Context
from engine.base.db import db
from engine.expedients.parties import Party
from engine.tenancy.models import User
from engine.tenancy.scoping import scoped


def user_names(ids: Collection[int]) -> dict[int, str]:
    """User id -> full name, for all ``ids`` in one query (none when there are no ids)."""
    if not ids:
        return {}
    named = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {row.id: row.full_name for row in named}


def actor_words_by_username(actors: Collection[str]) -> dict[str, str]:
    """Raw actors kept without their user id (who revoked a power) -> who in words: a user by their
    full name (one query for all), a citizen or GEE as :func:`engine.audit.actors.actor_label` says."""
    wanted = set(actors)
    names: dict[str, str] = {}
    if wanted:
        named = db.session.execute(select(User.username, User.full_name).where(User.username.in_(wanted)))
        names = {row.username: row.full_name for row in named}
    return {actor: names.get(actor) or actor_label(actor, None) for actor in wanted}


def actor_words(events: Sequence[AuditEvent], citizens: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each raw actor of ``events`` -> who it is in words; ``citizens`` maps a NIF to a party's name
    (without it, a citizen acting through the e-office shows as their NIF and "(e-office)")."""
    return actor_labels(events, users=user_names(user_ids(events)), citizens=citizens or {})


def citizen_names(ctx: Context, events: Sequence[AuditEvent]) -> dict[str, str]:
    """NIF -> name of each citizen who acted in ``events`` through the e-office, among all the
    municipality's parties (not only an expedient's): one query, none without citizens."""
    nifs = {event.actor.removeprefix(CITIZEN_PREFIX) for event in events if event.actor.startswith(CITIZEN_PREFIX)}
    if not nifs:
        return {}
    named = db.session.execute(scoped(Party, ctx).where(Party.nif.in_(nifs)).with_only_columns(Party.nif, Party.name))
    return {row.nif: row.name for row in named}


def actors_in_words(ctx: Context, events: Sequence[AuditEvent]) -> dict[str, str]:
    """Each raw actor of ``events`` -> who in words: users by their full name, citizens by the name
    the municipality knows them by (:func:`citizen_names`), GEE by what it was doing."""
    return actor_words(events, citizen_names(ctx, events))
