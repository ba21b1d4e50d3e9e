"""Comunicació prèvia d'una activitat de l'annex III (Llei 20/2009), every path through the real blocks:
the documentary check within the municipal term, the requeriment of deficiencies answered online or
not, the essential inaccuracy (Ley 39/2015 art. 69.4), the inspection visit and its acta de
comprovació; each path ends with the alcalde's signed conformity or a signed and attested decree,
notified, and the expedient closed.

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026; summer time from Sunday 29 March (+02:00).
"""

from __future__ import annotations

import pytest

from engine.base.clock import MADRID
from engine.citizens.procedures import get_procedure
from engine.notifications import notifications
from tests.online_helpers import (
    answer_online,
    closed,
    decrees_of,
    file_online,
    open_notification,
    outgoing,
    sign_decree,
)
from tests.procedures_helpers import Town, document_titles, pending_timers, ready, ready_ids, spiff_clock, town

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

KEY = "comunicacio_activitat"
COMMUNICATION = {"assumpte": "Obertura d'una botiga de roba", "activitat": "Comerç al detall de roba",
                 "epigraf": "12.42", "emplacament": "Carrer Major, 5", "superficie_m2": 80,
                 "data_inici_activitat": "2026-03-09"}
VISIT = {"data_visita": "2026-03-24", "acta": "S'han comprovat els extintors, les sortides i l'enllumenat.",
         "favorable": True}


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def _filed(t: Town) -> tuple[int, int]:
    return file_online(t, KEY, COMMUNICATION, "2026-03-02", "Certificat tècnic")


def test_the_e_office_says_the_activity_may_start_on_filing_and_there_is_no_silence(t: Town) -> None:
    procedure = get_procedure(t.tenant.id, KEY, "ca")
    assert (procedure.online, procedure.silence, procedure.max_term) == (True, "none", {})
    assert procedure.term_note is not None and "art. 69.3" in procedure.term_note


def test_a_correct_communication_and_a_favourable_visit_end_in_the_signed_conformity(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    task = ready(instance_id)[0]
    # The municipal term to check it: one month from Monday 2 March -> Thursday 2 April.
    assert task.element_id == "T_comprovacio" and task.due_at is not None
    assert task.due_at.astimezone(MADRID).isoformat() == "2026-04-02T23:59:59+02:00"
    t.do(instance_id, "T_comprovacio", {"resultat": "correcta"})
    t.do(instance_id, "T_visita", VISIT)
    assert document_titles(expedient_id)[-2:] == ["Acta de comprovació", "Conformitat de la comunicació d'activitat"]
    t.sign(instance_id, "T_conformitat_signar")
    data = t.show(instance_id)["data"]
    note = notifications.list_notifications(t.people["tramitador"], expedient_id)[-1]
    assert note.document_id == data["signatura"]["document_id"]  # the signed conformity itself
    assert outgoing(expedient_id) == ["Conformitat de la comunicació d'activitat"]
    assert decrees_of(expedient_id) == []
    open_notification(t, expedient_id, "2026-03-27")
    assert closed(expedient_id, instance_id)


def test_an_essential_inaccuracy_leaves_the_communication_without_effect_by_decree(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_comprovacio", {"resultat": "ineficac",
                                        "mancances": "l'activitat és un taller mecànic, que no és de l'annex III"})
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Ineficàcia de la comunicació d'activitat i ordre de cessament"
    assert "taller mecànic" in decree.text and "art. 69.4" in decree.text and "reposició" in decree.text
    open_notification(t, expedient_id, "2026-03-20")
    assert closed(expedient_id, instance_id)


def test_deficiencies_answered_online_then_an_unfavourable_visit_orders_their_correction(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_comprovacio", {"resultat": "deficiencies",
                                        "mancances": "Manca el certificat de l'instal·lador."})
    assert document_titles(expedient_id)[-1] == "Requeriment d'esmena"
    open_notification(t, expedient_id, "2026-03-05")
    # Art. 68.1: 10 working days from 6 March skipping the local holiday of 16 March -> Friday 20 March.
    assert pending_timers(instance_id)["GW_req_espera"] == "2026-03-20T23:59:59+01:00"
    answer_online(t, expedient_id, "2026-03-10", "Adjunto el certificat.", "Certificat de l'instal·lador")
    assert ready_ids(instance_id) == ["T_visita"]
    t.do(instance_id, "T_visita", {**VISIT, "favorable": False, "deficiencies_visita": "Un extintor caducat",
                                   "termini_correccio": 15})
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Ordre de correcció de deficiències de l'activitat"
    assert "24/03/2026" in decree.text and "Un extintor caducat" in decree.text and "15 dies hàbils" in decree.text
    open_notification(t, expedient_id, "2026-04-08")
    assert closed(expedient_id, instance_id)


def test_deficiencies_not_remedied_leave_the_communication_without_effect(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_comprovacio", {"resultat": "deficiencies", "mancances": "Manca el certificat tècnic."})
    open_notification(t, expedient_id, "2026-03-05")
    assert t.fire(instance_id, "2026-03-20") == 0
    assert t.fire(instance_id, "2026-03-21") == 1
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Ineficàcia de la comunicació d'activitat i ordre de cessament"
    assert "05/03/2026" in decree.text and "Manca el certificat tècnic." in decree.text
    assert "desistit" not in decree.text  # a communication is not withdrawn: it has no effect (art. 69.4)
    open_notification(t, expedient_id, "2026-03-30")
    assert closed(expedient_id, instance_id)


def test_the_alcalde_returns_the_conformity_and_the_technician_reviews_the_visit(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_comprovacio", {"resultat": "correcta"})
    t.do(instance_id, "T_visita", VISIT)
    t.give_back(instance_id, "T_conformitat_signar", "Falta comprovar l'aforament.")
    assert ready_ids(instance_id) == ["T_visita"]
    t.do(instance_id, "T_visita", {**VISIT, "acta": "Comprovat també l'aforament: 40 persones."})
    t.sign(instance_id, "T_conformitat_signar")
    open_notification(t, expedient_id, "2026-03-27")
    assert closed(expedient_id, instance_id)
