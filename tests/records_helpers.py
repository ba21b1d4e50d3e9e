"""Helpers shared by the documents, registry and decree tests."""

from __future__ import annotations

from engine.base.context import Context
from engine.base.db import db
from engine.documents import closing
from engine.expedients import expedients
from engine.expedients.expedients import Expedient


def new_expedient(ctx: Context, subject: str = "Llicència d'obres menors") -> Expedient:
    expedient = expedients.open_expedient(ctx, subject)
    db.session.commit()
    return expedient


def close_expedient(ctx: Context, expedient: Expedient) -> None:
    closing.close_expedient(ctx, expedient.id)
    db.session.commit()
