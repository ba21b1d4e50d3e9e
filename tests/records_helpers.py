"""Helpers shared by the documents, registry and decree tests."""

from __future__ import annotations

from engine.context import Context
from engine.db import db
from engine.records import expedients
from engine.records.expedients import Expedient


def new_expedient(ctx: Context, subject: str = "Llicència d'obres menors") -> Expedient:
    expedient = expedients.open_expedient(ctx, subject)
    db.session.commit()
    return expedient


def close_expedient(ctx: Context, expedient: Expedient) -> None:
    expedients.close_expedient(ctx, expedient.id)
    db.session.commit()
