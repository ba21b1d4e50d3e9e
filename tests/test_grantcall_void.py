"""A grant call whose application term ends without any admitted application (Llei 38/2003 LGS): there is
nothing to compare, so the call is declared void (convocatòria deserta) by a decree of the alcalde, attested,
published on the notice board like a resolution (art. 45.1.b Ley 39/2015), reported to the BDNS and closed.

The call of tests/test_procedures_subvencions.py: published on Monday 2 March 2026, its application term ending
on Tuesday 31 March; its only application, filed on 1 April, is late and inadmitted (never admitted).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.decrees.book import Decree
from engine.expedients.expedients import Expedient
from engine.noticeboard.edicts import exposed, published_documents
from engine.noticeboard.models import Edict
from engine.process.models import ProcessInstance
from tests.procedures_helpers import ready_ids, spiff_clock, town
from tests.test_grantapp_inadmission import _file_late
from tests.test_procedures_obres import at, frozen_clock
from tests.test_procedures_subvencions import _apply, _call_published

__all__ = ["frozen_clock", "spiff_clock"]
pytestmark = pytest.mark.usefixtures("spiff_clock")


def _decrees(expedient_id: int) -> list[Decree]:
    return list(db.session.execute(select(Decree).where(Decree.expedient_id == expedient_id)
                                   .order_by(Decree.id)).scalars())


def test_a_call_without_admitted_applications_is_declared_void_published_and_closed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    call_id, call, _call_number = _call_published(t)
    _file_late(t, monkeypatch, _call_number)  # late: inadmitted, not an application to score
    at("2026-04-01")
    assert t.fire(call, "2026-04-01") == 1
    # no scoring form with no rows: the alcalde signs the declaration
    assert ready_ids(call) == ["T_deserta_signar"]
    (decree,) = _decrees(call_id)
    assert decree.title == "Declaració de convocatòria deserta: Subvencions a entitats 2026"
    text = " ".join(decree.text.split())
    assert "va acabar el 31 de març del 2026 sense cap sol·licitud admesa" in text
    assert "Declarar deserta la convocatòria de subvencions «Subvencions a entitats 2026» (BDNS 812345)" in text
    assert "No disposar del crèdit de 10.000,00 €" in text
    assert "substitueix la notificació individual" in text and "recurs potestatiu de reposició" in text
    t.sign(call, "T_deserta_signar")
    t.sign(call, "T_deserta_fe")
    assert decree.number is not None
    # published on the notice board with the signed decree, the day the secretary attested it
    (edict,) = db.session.execute(select(Edict).where(Edict.expedient_id == call_id)).scalars().all()
    data = t.show(call)["data"]
    assert [d.id for d in published_documents(edict)] == [data["doc_decret"]["document_id"]]
    assert edict.title == "Convocatòria de subvencions deserta: Subvencions a entitats 2026"
    assert edict in exposed(t.tenant.id, date(2026, 4, 1)) and "declara deserta" in edict.text
    assert data["data_publicacio_resolucio"] == "2026-04-01"
    assert ready_ids(call) == ["T_publicar_resolucio"]
    t.do(call, "T_publicar_resolucio", {"referencia_bdns": "BDNS 812345, convocatòria deserta"})
    instance = db.session.get(ProcessInstance, call)
    expedient = db.session.get(Expedient, call_id)
    assert instance is not None and instance.status == "completed"
    assert expedient is not None and expedient.state == "E02"


def test_a_returned_declaration_lists_the_applications_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The alcalde returns it because an application was still being checked: once admitted, it is scored."""
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, call, call_number = _call_published(t)
    _expedient_id, application, number = _apply(t, monkeypatch, "A", call_number)
    assert ready_ids(application) == ["T_completesa"]  # not admitted yet when the term ends
    at("2026-04-01")
    assert t.fire(call, "2026-04-01") == 1
    assert ready_ids(call) == ["T_deserta_signar"]
    t.do(application, "T_completesa", {"completa": True})
    t.give_back(call, "T_deserta_signar", "Hi ha una sol·licitud admesa.")
    assert ready_ids(call) == ["T_valoracio"]
    assert [row["expedient"] for row in t.show(call)["data"]["valoracions"]] == [number]
