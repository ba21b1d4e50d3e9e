"""The decree book as public extracts (Llei 19/2014 art. 10): number, date, procedure and title of
every signed decree in force of the tenant, newest first. Drafts (no number) and annulled decrees
are left out, and so is the text: it speaks of the interested parties at length.

The title often names the applicant. The names and NIFs of every party of the decree's expedient
(interested parties and their representatives) are replaced by :data:`MASK`, and so is anything
shaped like a DNI or NIE: the extract says what was decided, not about whom."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from engine.base.clock import local_date
from engine.base.db import db
from engine.decrees.book import Decree, DecreeStatus
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, Party
from engine.process.definition.sidecar import procedure_label
from engine.process.models import ProcessModel
from engine.tenancy.models import Tenant

#: What a name or a NIF is replaced with.
MASK = "[dades personals]"
#: A DNI (8 digits and a letter) or a NIE (X, Y or Z, 7 digits and a letter), separators allowed.
PERSONAL_ID = re.compile(r"\b(?:\d{2}[.\s]?\d{3}[.\s]?\d{3}|[XYZ][.\s-]?\d{7})[\s-]?[A-Z]\b", re.IGNORECASE)


def _nif_pattern(nif: str) -> str:
    """A NIF as written in free text: any of its characters may be split by a dot, a space or a dash."""
    return r"[.\s-]?".join(re.escape(char) for char in nif)


def mask(title: str, names: list[str], nifs: list[str]) -> str:
    """``title`` with ``names``, ``nifs`` and any DNI or NIE replaced by :data:`MASK`."""
    patterns = [re.escape(n) for n in sorted(names, key=len, reverse=True) if n.strip()]
    patterns += [_nif_pattern(n) for n in nifs if n.strip()]
    if patterns:
        title = re.sub("|".join(patterns), MASK, title, flags=re.IGNORECASE)
    return PERSONAL_ID.sub(MASK, title)


def _parties(tenant_id: int, expedient_ids: set[int]) -> dict[int, list[Party]]:
    stmt = (select(ExpedientParty.expedient_id, Party).join(Party, ExpedientParty.party_id == Party.id)
            .where(ExpedientParty.tenant_id == tenant_id, ExpedientParty.expedient_id.in_(expedient_ids)))
    found: dict[int, list[Party]] = defaultdict(list)
    for expedient_id, party in db.session.execute(stmt).all():
        found[expedient_id].append(party)
    return found


def decree_extracts(tenant: Tenant, locale: str) -> list[dict[str, Any]]:
    """One row per signed decree in force: number, date (Spain), procedure and the masked title."""
    stmt = (select(Decree, ProcessModel.key, ProcessModel.name)
            .outerjoin(Expedient, Expedient.id == Decree.expedient_id)
            .outerjoin(ProcessModel, ProcessModel.id == Expedient.process_model_id)
            .where(Decree.tenant_id == tenant.id, Decree.status == DecreeStatus.SIGNED.value)
            .order_by(Decree.year.desc(), Decree.seq.desc()))
    decrees = db.session.execute(stmt).all()
    parties = _parties(tenant.id, {d.expedient_id for d, _key, _name in decrees if d.expedient_id is not None})
    rows = []
    for decree, key, name in decrees:
        linked = parties.get(decree.expedient_id or 0, [])
        signed = local_date(decree.signed_at).isoformat() if decree.signed_at else None
        rows.append({"number": decree.number, "date": signed,
                     "procedure": procedure_label(key, name, locale) if key and name else None,
                     "title": mask(decree.title, [p.name for p in linked], [p.nif for p in linked])})
    return rows
