"""The end of an exposure as the worker does it: all or nothing per edict, and never twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from engine.base.clock import MADRID, local_date, utcnow
from engine.base.db import db
from engine.documents.documents import Document
from engine.noticeboard import closing, diligence, edicts
from engine.noticeboard.models import Edict
from tests.procedures_helpers import town


def _certificates(expedient_id: int) -> int:
    stmt = select(Document).where(Document.expedient_id == expedient_id, Document.tipo_documental == "TD12")
    return len(list(db.session.execute(stmt).scalars()))


def test_a_worker_dying_midway_leaves_the_edict_for_the_next_run_which_closes_it_once(monkeypatch) -> None:
    t = town("instancia_generica.bpmn")
    secretary = t.people["secretari"]
    today = local_date(utcnow())
    expedient_id = t.open_case("Ordenança de civisme")
    edict = edicts.publish(secretary, expedient_id, title="Aprovació inicial de l'ordenança", text="Edicte.",
                           starts_on=today, ends_on=today)
    withdrawn = edicts.publish(secretary, t.open_case("Padró"), title="Edicte retirat", text="Edicte.",
                               starts_on=today, ends_on=today)
    edicts.withdraw(secretary, withdrawn.id, "Publicat per error.")
    db.session.commit()
    tenant_id, edict_id = t.tenant.id, edict.id
    assert closing.ended_edicts(datetime.combine(today, time(23, 59), tzinfo=MADRID)) == []  # its last day
    swept_at = datetime.combine(today + timedelta(days=1), time(0, 0, 5), tzinfo=MADRID)
    # the one withdrawn by hand is left to the clerk who withdrew it
    assert closing.ended_edicts(swept_at) == [(tenant_id, edict_id)]

    def killed(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(diligence, "request_signatures", killed)  # dies after the PDF, before the end
    with pytest.raises(RuntimeError):
        closing.close_exposure(tenant_id, edict_id, swept_at.isoformat())
    db.session.rollback()
    stored = db.session.get(Edict, edict_id)
    assert stored is not None and stored.closed_at is None and stored.diligence_document_id is None
    assert _certificates(expedient_id) == 0
    assert closing.ended_edicts(swept_at) == [(tenant_id, edict_id)]  # the next sweep finds it again

    monkeypatch.undo()
    assert closing.close_exposure(tenant_id, edict_id, swept_at.isoformat()) is True
    assert closing.close_exposure(tenant_id, edict_id, swept_at.isoformat()) is False  # run twice: nothing more
    db.session.expire_all()
    stored = db.session.get(Edict, edict_id)
    assert stored is not None and stored.closed_at is not None and stored.diligence_document_id is not None
    assert _certificates(expedient_id) == 1
    assert closing.ended_edicts(swept_at) == []
