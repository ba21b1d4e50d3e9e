"""Hears the signature circuits (``Event.DOCUMENT_SIGNED``): a session's convocation, minutes or
certificate of agreement take effect when their last signer signs."""

from __future__ import annotations

from engine.base.context import Context
from engine.base.db import db
from engine.base.events import Event, subscribe
from engine.bodies.certificates import certificate_signed
from engine.bodies.minutes import minutes_signed
from engine.bodies.models import AgendaItem, BodySession
from engine.bodies.sessions import convocation_signed
from engine.tenancy.scoping import scoped


@subscribe(Event.DOCUMENT_SIGNED)
def _document_signed(ctx: Context, document_id: int, signed_document_id: int) -> None:
    session = db.session.execute(
        scoped(BodySession, ctx).where(BodySession.convocation_document_id == document_id)
    ).scalar_one_or_none()
    if session is not None:
        convocation_signed(ctx, session, signed_document_id)
        return
    session = db.session.execute(
        scoped(BodySession, ctx).where(BodySession.minutes_document_id == document_id)
    ).scalar_one_or_none()
    if session is not None:
        minutes_signed(ctx, session, signed_document_id)
        return
    item = db.session.execute(
        scoped(AgendaItem, ctx).where(AgendaItem.certificate_document_id == document_id)
    ).scalar_one_or_none()
    if item is not None:
        certificate_signed(ctx, item, signed_document_id)
