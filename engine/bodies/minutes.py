"""The minutes (acta) of a held session and the book of minutes of each body.

The secretary drafts the minutes from what was recorded in the session; drafting gives them the
next number of the body's book for the session's year (a counter row locked in the transaction, so
the book has no gaps and no number is given twice). The minutes are signed by the secretary with
the mayor's vistiplau (a signature circuit: secretary, then mayor) and approved at a later session
(:func:`engine.bodies.sessions.add_minutes_approval`).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from engine.audit import record
from engine.audit.trail import hold_chain
from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict
from engine.base.i18n import _l
from engine.base.numbering import next_number
from engine.bodies.bodies import get_body, require_keeper
from engine.bodies.models import BodySession, SessionStatus
from engine.bodies.paperwork import render
from engine.bodies.returns import Returned, returned
from engine.bodies.sessions import get_session, quorum_of
from engine.documents.documents import Document, store_document
from engine.documents.verification_codes import new_csv
from engine.signatures.circuits import request_signatures
from engine.tenancy.models import Role
from engine.tenancy.scoping import scoped

#: Who signs the minutes, in order: the secretary, then the mayor's vistiplau.
SIGNERS = (Role.SECRETARI.value, Role.ALCALDE.value)


def series(body_id: int) -> str:
    return f"minutes:{body_id}"


def minutes_returned(ctx: Context, session: BodySession) -> Returned | None:
    """A signer returned the minutes for changes: they are drafted again, under the same number."""
    if session.minutes_signed:
        return None
    return returned(ctx, session.minutes_document_id)


def draft_minutes(ctx: Context, session_id: int) -> BodySession:
    """Number the minutes of a held session and send them to be signed; minutes a signer returned
    are drafted again with the number they already have (the book keeps no gaps)."""
    require_keeper(ctx)
    session = get_session(ctx, session_id, for_update=True)
    if session.status != SessionStatus.HELD:
        raise Conflict(_l("Minutes are drafted once the session is held."))
    if session.minutes_document_id is not None and minutes_returned(ctx, session) is None:
        raise Conflict(_l("The minutes of this session are already drafted."))
    year = local_date(session.starts_at).year
    if session.minutes_seq is None:
        hold_chain(ctx.tenant_id)  # audit lock before the counter's, like every numbering transaction
        session.minutes_year, session.minutes_seq = year, next_number(ctx.tenant_id, series(session.body_id), year)
    csv = new_csv()
    pdf = render(ctx, "minutes.html", csv=csv, session=session, body=session.body, quorum=quorum_of(session))
    doc = store_document(ctx, None, f"acta-{session.body.code}-{session.minutes_seq}-{year}.pdf", pdf,
                         title=f"{_l('Minutes')} {session.minutes_number} {session.body.name}", tipo_documental="TD10",
                         from_administration=True, author=ctx.username, csv=csv)
    request_signatures(ctx, doc.id, list(SIGNERS))
    session.minutes_document_id = doc.id
    db.session.flush()
    record(ctx, "body.minutes_drafted", "body_session", session.id, after=session.summary())
    return session


def minutes_signed(ctx: Context, session: BodySession, signed_document_id: int) -> None:
    session.minutes_document_id, session.minutes_signed = signed_document_id, True
    db.session.flush()
    record(ctx, "body.minutes_signed", "body_session", session.id, after=session.summary())


def book(ctx: Context, body_id: int, year: int) -> list[BodySession]:
    """The numbered minutes of a body in a year, in number order."""
    stmt = scoped(BodySession, ctx).where(BodySession.body_id == body_id, BodySession.minutes_year == year,
                                          BodySession.minutes_seq.is_not(None)).order_by(BodySession.minutes_seq)
    return cast(list[BodySession], list(db.session.execute(stmt).scalars()))


def export_book_pdf(ctx: Context, body_id: int, year: int) -> bytes:
    """The year's book of minutes of a body as a PDF index (number, date, kind, approval, CSV)."""
    body = get_body(ctx, body_id)
    sessions = book(ctx, body_id, year)
    approvals: dict[int, datetime | None] = {}
    for s in sessions:
        if s.minutes_approved_in_id is not None:
            approver = db.session.get(BodySession, s.minutes_approved_in_id)
            approvals[s.id] = approver.starts_at if approver else None
    csvs = {s.id: doc.csv for s in sessions
            if s.minutes_document_id and (doc := db.session.get(Document, s.minutes_document_id))}
    record(ctx, "body.minutes_book_exported", "body", body.id, after={"year": year, "minutes": len(sessions)})
    return render(ctx, "minutes_book.html", body=body, year=year, sessions=sessions, approvals=approvals, csvs=csvs)
