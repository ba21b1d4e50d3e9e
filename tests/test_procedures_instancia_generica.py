"""Instància genèrica (Ley 39/2015 arts. 16, 21, 24, 66, 68) through the real blocks, every path.

Dates are worked out by hand on the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026. The request enters the registry on Monday 2 March 2026 (``data_entrada``):
three months to resolve and notify (art. 21.3) end on Tuesday 2 June 2026.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.citizens import filing
from engine.decrees.book import Decree
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.notifications import notifications as n
from engine.process.models import ProcessInstance
from engine.registry.entries import RegistryEntry
from tests.procedures_acts import (
    answer_online,
    ask_extension,
    awaited,
    notification_expired,
    notification_opened,
    notification_rejected,
    pending_notification,
)
from tests.procedures_helpers import Town, actions, document_titles, pending_timers, ready_ids, spiff_clock, town

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

YEAR = local_date(utcnow()).year
FILED = {"data_entrada": "2026-03-02", "registre_entrada": "E/2026/000007",
         "interessat": {"nif": "12345678Z", "nom": "Maria Soler Vidal"}}


def _case(subject: str = "Sol·licitud d'ús de la sala municipal") -> tuple[Town, int, int]:
    t = town("instancia_generica.bpmn")
    expedient_id = t.open_case(subject)
    return t, expedient_id, t.start("instancia_generica", expedient_id, dict(FILED))


def _decrees(expedient_id: int) -> list[Decree]:
    return list(db.session.execute(select(Decree).where(Decree.expedient_id == expedient_id)
                                   .order_by(Decree.id)).scalars())


def _closed(instance_id: int, expedient_id: int) -> bool:
    instance = db.session.get(ProcessInstance, instance_id)
    expedient = db.session.get(Expedient, expedient_id)
    return instance is not None and expedient is not None and instance.status == "completed" \
        and expedient.state == "E02"


def _required(t: Town, instance_id: int, expedient_id: int) -> None:
    """The clerk finds the request incomplete: the requeriment is generated and notified; the
    applicant opens it on Thursday 5 March 2026."""
    t.do(instance_id, "Task_revisar", {"unitat_responsable": "Secretaria", "completa": False,
                                       "mancances": "Falta el plànol de la sala."})
    assert ready_ids(instance_id) == ["Task_req_notificat"]  # nobody ticks it: it waits
    assert document_titles(expedient_id) == ["Requeriment d'esmena"]
    notification_opened(t, expedient_id, available="2026-03-04", opened="2026-03-05")
    # art. 68.1 + 30.2: 10 working days from Friday 6 March (16 March is a local holiday):
    # 6, 9, 10, 11, 12, 13, 17, 18, 19, 20 -> Friday 20 March 2026.
    assert pending_timers(instance_id) == {"GW_espera": "2026-03-20T23:59:59+01:00"}


def _decree_signed_and_attested(t: Town, instance_id: int) -> None:
    t.sign(instance_id, "Task_decret")
    assert ready_ids(instance_id) == ["Task_fe"]
    t.sign(instance_id, "Task_fe")
    assert ready_ids(instance_id) == ["Task_resolucio_notificada"]


def test_complete_request_answered_by_a_signed_letter_notified_and_closed() -> None:
    t, expedient_id, instance_id = _case()
    t.do(instance_id, "Task_revisar", {"unitat_responsable": "Alcaldia", "completa": True})
    # art. 21.3: three months from the entry of 2 March -> Tuesday 2 June 2026; negative silence
    # (a request with no procedure of its own is a petition, art. 24.1).
    assert pending_timers(instance_id) == {"Timer_silenci": "2026-06-02T23:59:59+02:00"}
    t.do(instance_id, "Task_tramitar", {"resum": "Sala disponible el dia demanat.", "cal_resolucio": False})
    t.do(instance_id, "Task_respondre", {"resposta": "Podeu fer servir la sala."})
    t.give_back(instance_id, "Task_resposta_signar", "Indiqueu l'horari.")
    assert ready_ids(instance_id) == ["Task_respondre"]
    t.do(instance_id, "Task_respondre", {"resposta": "Podeu fer servir la sala de 18 a 20 h."})
    t.sign(instance_id, "Task_resposta_signar")
    data = t.show(instance_id)["data"]
    answer = db.session.get(Document, data["signatura"]["document_id"])
    assert answer is not None and answer.title == "Resposta a la sol·licitud"
    assert [s["signer"] for s in answer.signatures if s["type"] == "TF06"] == ["Jordi Mas"]
    note = pending_notification(t, expedient_id)
    assert note.document_id == answer.id  # the citizen is notified the signed letter itself
    notification_opened(t, expedient_id, available="2026-03-20", opened="2026-03-23")
    assert _closed(instance_id, expedient_id) and pending_timers(instance_id) == {}
    assert _decrees(expedient_id) == []
    assert "expedient.silence" not in actions(t.tenant.id, expedient_id)


def test_requeriment_answered_online_suspends_the_term_then_a_decree_is_notified(
        monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _case("Petició de canvi de titularitat")
    _required(t, instance_id, expedient_id)
    done = answer_online(t, monkeypatch, instance_id, expedient_id, "2026-03-10")
    assert not done.late
    assert ready_ids(instance_id) == ["Task_revisar_esmena"]
    t.do(instance_id, "Task_revisar_esmena", {"esmena_correcta": True})
    data = t.show(instance_id)["data"]
    assert data["resposta_requeriment"]["registre_entrada"] == done.entry_number
    # art. 22.1.a: suspended from the notification (5 March) to the answer's entry (10 March):
    # 5 days; 2 June + 5 = Sunday 7 June -> Monday 8 June 2026 (art. 30.5).
    assert data["suspensions"] == [["2026-03-05", data["resposta_requeriment"]["received_at"]]]
    assert pending_timers(instance_id) == {"Timer_silenci": "2026-06-08T23:59:59+02:00"}
    t.do(instance_id, "Task_tramitar", {"resum": "Canvi de titular de la parada 12.", "cal_resolucio": True})
    t.do(instance_id, "Task_proposta", {"sentit": "estimar", "fonaments": "Compleix l'ordenança de mercats."})
    t.give_back(instance_id, "Task_decret", "Falta el número de parada al títol.")
    assert ready_ids(instance_id) == ["Task_proposta"]
    t.do(instance_id, "Task_proposta", {"sentit": "estimar", "fonaments": "Compleix l'ordenança, parada 12."})
    _decree_signed_and_attested(t, instance_id)
    decree = next(d for d in _decrees(expedient_id) if d.number)
    assert decree.number == f"DEC/{YEAR}/0001" and decree.attested_by_name == "Sandra Roig"
    assert "Resolc estimar la sol·licitud." in decree.text
    signed = db.session.get(Document, t.show(instance_id)["data"]["doc_decret"]["document_id"])
    assert signed is not None and [s["signer"] for s in signed.signatures if s["type"] == "TF06"] == [
        "Jordi Mas", "Sandra Roig"]
    assert pending_notification(t, expedient_id).document_id == signed.id
    notification_rejected(t, expedient_id, available="2026-03-25", rejected="2026-03-26")  # art. 41.5: done
    assert _closed(instance_id, expedient_id)
    outgoing = db.session.execute(select(RegistryEntry.subject).where(
        RegistryEntry.expedient_id == expedient_id, RegistryEntry.direction == "S")
        .order_by(RegistryEntry.id)).scalars().all()
    assert outgoing == ["Requeriment d'esmena", f"Notificació del decret DEC/{YEAR}/0001"]


def test_extension_of_five_days_once_then_withdrawal_by_decree(monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _case()
    _required(t, instance_id, expedient_id)
    asked = ask_extension(t, monkeypatch, instance_id, expedient_id, "2026-03-12")
    assert t.show(instance_id)["data"]["ampliacio_termini"]["requested_on"] == "2026-03-12"
    assert asked.entry_number.startswith("E/")  # an incoming registry entry
    # art. 68.2: five more working days after the end of the original term (20 March):
    # 23, 24, 25, 26, 27 March -> Friday 27 March 2026.
    assert pending_timers(instance_id) == {"GW_espera_ampliat": "2026-03-27T23:59:59+01:00"}
    with pytest.raises(NoResultFound):  # no second extension is offered
        awaited(instance_id, filing.EXTENSION_MESSAGE)
    assert t.fire(instance_id, "2026-03-27") == 0
    assert t.fire(instance_id, "2026-03-28") == 1
    assert ready_ids(instance_id) == ["Task_desistiment"]
    t.do(instance_id, "Task_desistiment", {"fonaments": "No s'ha aportat el plànol requerit."})
    _decree_signed_and_attested(t, instance_id)
    decree = _decrees(expedient_id)[0]
    assert decree.title == "Desistiment de la sol·licitud presentada el 02/03/2026"
    assert "notificat el 05/03/2026" in decree.text and "resolc declarar desistida" in decree.text
    # art. 43.2: not opened within ten natural days of 30 March -> deemed rejected, the procedure goes on
    notification_expired(t, expedient_id, available="2026-03-30")
    assert _closed(instance_id, expedient_id)
    assert t.show(instance_id)["data"]["notification_outcome"] == "expired"


def test_unanswered_requeriment_and_a_returned_withdrawal_draft() -> None:
    t, expedient_id, instance_id = _case()
    _required(t, instance_id, expedient_id)
    assert t.fire(instance_id, "2026-03-21") == 1
    t.do(instance_id, "Task_desistiment", {"fonaments": "Sense resposta."})
    t.give_back(instance_id, "Task_decret", "Motiveu-ho millor.")
    assert ready_ids(instance_id) == ["Task_desistiment"]  # back to the withdrawal, not to a proposal
    t.do(instance_id, "Task_desistiment", {"fonaments": "No ha respost al requeriment dins del termini."})
    t.sign(instance_id, "Task_decret")
    t.give_back(instance_id, "Task_fe", "Cal revisar la data.")
    assert ready_ids(instance_id) == ["Task_desistiment"]
    t.do(instance_id, "Task_desistiment", {"fonaments": "No ha respost al requeriment del 5 de març."})
    _decree_signed_and_attested(t, instance_id)
    notification_opened(t, expedient_id, available="2026-03-31", opened="2026-04-01")
    assert _closed(instance_id, expedient_id)
    numbers = [d.number for d in _decrees(expedient_id)]
    # the attested decree was numbered at the mayor's signature; the one the secretary returned keeps its number
    assert numbers == [None, f"DEC/{YEAR}/0001", f"DEC/{YEAR}/0002"]
    assert t.show(instance_id)["data"]["suspensions"] == [["2026-03-05", "2026-03-20T23:59:59+01:00"]]


def test_answer_that_does_not_remedy_leads_to_withdrawal(monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _case()
    _required(t, instance_id, expedient_id)
    answer_online(t, monkeypatch, instance_id, expedient_id, "2026-03-19", text="No tinc el plànol.")
    t.do(instance_id, "Task_revisar_esmena", {"esmena_correcta": False})
    assert ready_ids(instance_id) == ["Task_desistiment"]
    assert n.list_notifications(t.people["tramitador"], expedient_id)[0].state == "accessed"
