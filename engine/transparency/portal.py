"""The sections of the transparency portal filled from GEE's own records, as rows of reusable data
(the same rows make the page's tables, the CSV and the JSON). Public: no login, one tenant only.

- Organisation: the signing officers (mayor, secretary) and each collegiate body with its members.
- Agreements: the items voted in sessions whose minutes are approved (the minutes are final then);
  the debate is left out, it may name private people.
- Decree book: extracts of the signed decrees without personal data, see :mod:`engine.transparency.decrees`.
- Grants awarded: see :mod:`engine.transparency.grants`.
- Procedures: the e-office catalogue with each maximum term and the effect of silence, beside the
  median days its expedients closed in the last twelve months took (actual against legal times). All
  of them, also those a citizen cannot file online (art. 21.4 Ley 39/2015 has every procedure's term and
  silence published), each saying whether it can be filed online.
- The other sections list what staff published (:mod:`engine.transparency.publications`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.spreadsheet import cell
from engine.bodies.models import AgendaItem, Body, BodySession
from engine.citizens.procedures import list_procedures
from engine.expedients.statistics import resolution_times
from engine.tenancy.models import Tenant, User
from engine.transparency import publications
from engine.transparency.decrees import decree_extracts
from engine.transparency.grants import grants
from engine.transparency.models import Publication
from engine.transparency.sections import AGREEMENTS, BY_KEY, DECREES, GRANTS, ORGANISATION, PROCEDURES

Row = dict[str, Any]

COLUMNS: dict[str, tuple[str, ...]] = {
    "organisation": ("body", "body_kind", "name", "role", "group"),
    "agreements": ("body", "session_date", "session_kind", "minutes", "position", "title", "majority",
                   "votes_for", "votes_against", "abstentions", "casting_vote", "result"),
    "decrees": ("number", "date", "procedure", "title"),
    "grants": ("purpose", "bdns_code", "decree", "published_on", "beneficiary", "beneficiary_kind", "amount"),
    "procedures": ("name", "online", "max_term_months", "max_term_days", "silence", "median_days", "resolved", "url"),
    "documents": ("title", "published_on", "url"),
}


def organisation(tenant: Tenant) -> list[Row]:
    """The signing officers, then every collegiate body's active members."""
    rows: list[Row] = []
    for office, user_id in sorted((tenant.signing_officers or {}).items()):
        user = db.session.get(User, user_id) if user_id else None
        if user is not None:
            rows.append({"body": None, "body_kind": None, "name": user.full_name, "role": office, "group": None})
    bodies = db.session.execute(select(Body).where(Body.tenant_id == tenant.id).order_by(Body.id)).scalars()
    for body in bodies:
        rows += [{"body": body.name, "body_kind": body.kind, "name": m.name, "role": m.role, "group": m.group}
                 for m in body.members if m.active]
    return rows


def agreements(tenant: Tenant) -> list[Row]:
    """Voted items of sessions whose minutes were approved, newest session first."""
    stmt = (select(AgendaItem, BodySession)
            .join(BodySession, AgendaItem.session_id == BodySession.id)
            .where(BodySession.tenant_id == tenant.id, BodySession.minutes_approved_in_id.is_not(None),
                   AgendaItem.result.is_not(None))
            .order_by(BodySession.starts_at.desc(), AgendaItem.position))
    return [{"body": session.body.name, "session_date": local_date(session.starts_at).isoformat(),
             "session_kind": session.kind, "minutes": session.minutes_number, "position": item.position,
             "title": item.title, "majority": item.majority, "votes_for": item.votes_for,
             "votes_against": item.votes_against, "abstentions": item.abstentions,
             "casting_vote": item.casting_vote, "result": item.result}
            for item, session in db.session.execute(stmt).all()]


def _year_before(today: date) -> datetime:
    """Midnight (UTC) of the same day a year before ``today`` (28 February for 29 February)."""
    try:
        day = today.replace(year=today.year - 1)
    except ValueError:
        day = today.replace(year=today.year - 1, day=28)
    return datetime.combine(day, time(), tzinfo=UTC)


def procedures(tenant: Tenant, today: date, locale: str, link: Callable[[str], str]) -> list[Row]:
    """The procedures catalogue with the median days its expedients closed in the last twelve months
    took and how many they were; ``link`` gives a procedure's page on the e-office from its key."""
    ctx = Context.system(tenant.id, "transparency")
    actual = {row.key: row for row in resolution_times(ctx, since=_year_before(today))}
    rows = []
    for p in list_procedures(tenant.id, locale):
        times = actual.get(p.key)
        rows.append({"name": p.name, "online": p.online, "max_term_months": p.max_term.get("months"),
                     "max_term_days": p.max_term.get("days"), "silence": p.silence,
                     "median_days": times.median_days if times else None, "resolved": times.resolved if times else 0,
                     "url": link(p.key)})
    return rows


def documents(tenant: Tenant, section: str, today: date, link: Callable[[Publication], str]) -> list[Row]:
    """What staff published in ``section`` and is shown today; ``link`` opens an entry."""
    return [{"title": p.title, "published_on": p.published_on.isoformat(), "url": link(p)}
            for p in publications.published(tenant.id, section, today)]


def columns_of(key: str) -> tuple[str, ...]:
    """The columns of section ``key``: its own, or those of a section of published documents."""
    return COLUMNS.get(key, COLUMNS["documents"])


def section_rows(tenant: Tenant, key: str, *, today: date, locale: str, procedure_link: Callable[[str], str],
                 document_link: Callable[[Publication], str]) -> tuple[tuple[str, ...], list[Row]]:
    """The columns and rows of one section (``key`` one of :data:`engine.transparency.sections.BY_KEY`)."""
    if key == ORGANISATION.key:
        return columns_of(key), organisation(tenant)
    if key == AGREEMENTS.key:
        return columns_of(key), agreements(tenant)
    if key == DECREES.key:
        return columns_of(key), decree_extracts(tenant, locale)
    if key == GRANTS.key:
        return columns_of(key), grants(tenant)
    if key == PROCEDURES.key:
        return columns_of(key), procedures(tenant, today, locale, procedure_link)
    assert key in BY_KEY
    return columns_of(key), documents(tenant, key, today, document_link)


def to_csv(columns: tuple[str, ...], rows: list[Row]) -> str:
    """Rows as CSV (RFC 4180, a header of column names), empty cells for missing values."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({c: "" if r.get(c) is None else cell(r[c]) for c in columns} for r in rows)
    return out.getvalue()
