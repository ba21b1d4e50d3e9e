"""A grant application filed after the call's application term (Llei 38/2003 LGS; Ley 39/2015 arts. 21.1 and
88.5): the council must resolve it, by inadmitting it, and it is never compared with the admitted ones.

The call of tests/test_procedures_subvencions.py: its extract published on Monday 2 March 2026, its 20 working
days of applications ending on Tuesday 31 March. Maria applies on 4 March; Laia on Wednesday 1 April, late.
"""

from __future__ import annotations

from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.base.db import db
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.decrees.book import Decree
from engine.expedients.expedients import Expedient
from engine.process.models import ProcessInstance
from engine.registry.entries import Upload
from tests.conftest import login
from tests.procedures_acts import PDF, notification_opened, registry_day
from tests.procedures_helpers import Town, pending_timers, ready, ready_ids, spiff_clock, steps, town
from tests.test_procedures_obres import at, frozen_clock
from tests.test_procedures_subvencions import _apply, _call_published

__all__ = ["frozen_clock", "spiff_clock"]
pytestmark = pytest.mark.usefixtures("spiff_clock")

LAIA = CitizenIdentity(nif="12469134Y", name="Laia Vila Mas")


def _file_late(t: Town, monkeypatch: pytest.MonkeyPatch, call_number: str) -> filing.Filing:
    with registry_day(monkeypatch, "2026-04-01"):
        done = filing.file_request(t.tenant, LAIA, "subvencio_sollicitud",
                                   {"expedient_convocatoria": call_number, "activitat": "Casal d'estiu",
                                    "import_sollicitat": 3000}, [Upload("projecte.pdf", PDF, "Projecte")])
    db.session.commit()
    assert done.instance_id is not None and done.expedient_id is not None
    return done


def _decrees(expedient_id: int) -> list[Decree]:
    return list(db.session.execute(select(Decree).where(Decree.expedient_id == expedient_id)
                                   .order_by(Decree.id)).scalars())


def test_a_late_application_is_inadmitted_by_decree_notified_and_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    call_id, call, call_number = _call_published(t)
    maria_id, maria, maria_number = _apply(t, monkeypatch, "A", call_number)
    t.do(maria, "T_completesa", {"completa": True})
    late = _file_late(t, monkeypatch, call_number)
    assert late.instance_id is not None and late.expedient_id is not None
    # no completeness check, no wait for the call's resolution: straight to the alcalde's signature
    assert ready_ids(late.instance_id) == ["T_decret"]
    assert "T_completesa" not in steps(late.instance_id) and "GW_resolucio" not in pending_timers(late.instance_id)
    (draft,) = _decrees(late.expedient_id)
    assert draft.title == "Inadmissió de la sol·licitud de subvenció: Subvencions a entitats 2026"
    text = " ".join(draft.text.replace("’", "'").split())
    # the call, its term, when it was filed, the grounds, the appeals
    assert "«Subvencions a entitats 2026» (expedient " + call_number + ")" in text
    assert "es va publicar el 2 de març del 2026" in text
    assert "va acabar el 31 de març del 2026" in text
    assert "Laia Vila Mas (12469134Y)" in text and "presentada el 1 d'abril del 2026" in text
    assert "Inadmetre la sol·licitud" in text and "21.1 i 88.5 de la Llei 39/2015" in text
    assert "recurs potestatiu de reposició" in text and "dos mesos" in text

    # the committee's form lists only the application filed in time
    assert t.fire(call, "2026-04-01") == 1
    assert [row["expedient"] for row in t.show(call)["data"]["valoracions"]] == [maria_number]

    t.sign(late.instance_id, "T_decret")
    t.sign(late.instance_id, "T_fe")
    (decree,) = _decrees(late.expedient_id)
    assert decree.number is not None
    assert ready_ids(late.instance_id) == ["T_decret_notificat"]
    notification_opened(t, late.expedient_id, available="2026-04-02", opened="2026-04-03")
    instance = db.session.get(ProcessInstance, late.instance_id)
    expedient = db.session.get(Expedient, late.expedient_id)
    assert instance is not None and instance.status == "completed"
    assert expedient is not None and expedient.state == "E02"
    # the admitted application is untouched: it still waits for the call's resolution
    assert ready_ids(maria) == [] and "GW_resolucio" in pending_timers(maria)
    assert _decrees(maria_id) == [] and call_id


def test_a_returned_inadmission_decree_is_drafted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _call, call_number = _call_published(t)
    late = _file_late(t, monkeypatch, call_number)
    assert late.instance_id is not None
    at("2026-04-02")
    t.give_back(late.instance_id, "T_decret", "Cal revisar la data de presentació.")
    assert ready_ids(late.instance_id) == ["T_decret"]
    t.sign(late.instance_id, "T_decret")
    t.give_back(late.instance_id, "T_fe", "Falta revisar-ne el text.")
    assert ready_ids(late.instance_id) == ["T_decret"]


def test_the_task_page_shows_the_calls_dates_as_dates(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the e-office adds from the chosen call (not form fields) reads as days, not ISO strings."""
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _call, call_number = _call_published(t)
    _expedient_id, application, _number = _apply(t, monkeypatch, "A", call_number)
    task_id = next(task.id for task in ready(application) if task.element_id == "T_completesa")
    login(client, "tramitador.proves")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    asked = " ".join(unescape(page.split('id="task-request"')[1].split("</section>")[0]).split())
    assert "2 de març del 2026" in asked and "31 de març del 2026" in asked  # published, last day to apply
    assert "2026-03-02" not in asked and "2026-03-31" not in asked
