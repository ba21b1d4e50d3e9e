"""Responsabilitat patrimonial (Ley 39/2015 arts. 65, 67, 81, 82, 91, 92; Ley 40/2015 arts. 32-37),
every path through the real blocks: filed in the e-office, the report of the service, the audiència
answered online or left to run out, the dictamen of the Comissió Jurídica Assessora from 50,000 EUR,
the prescribed claim, the requeriment left unanswered, the negative silence; each ends with a
decree signed by the alcalde and attested, notified, and the expedient closed.

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026 (Good Friday 3 April and Easter Monday 6 April are holidays; summer time
from Sunday 29 March, +02:00).
"""

from __future__ import annotations

from typing import Any

import pytest

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
from tests.procedures_helpers import (
    Town,
    actions,
    decree_number,
    document_titles,
    pending_timers,
    ready_ids,
    spiff_clock,
    town,
)

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

KEY = "responsabilitat_patrimonial"
CLAIM = {"assumpte": "Caiguda a la vorera", "data_fets": "2026-02-10", "lloc_fets": "Carrer Major davant del núm. 12",
         "descripcio_fets": "Caiguda per una rajola aixecada de la vorera", "danys": "Fractura del canell",
         "relacio_causal": "La vorera municipal estava en mal estat", "import_reclamat": 3200}
REPORT = {"informe_servei": "La brigada va reparar la rajola el 12 de febrer; constava l'avís previ.",
          "relacio_causal_acreditada": True, "valoracio_danys": 2800}
APPEALS = "recurs potestatiu de reposició davant l'alcaldia en el termini d'un mes"


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def _filed(t: Town, **changes: Any) -> tuple[int, int]:
    # Monday 2 March 2026: the claim's entry takes effect that day.
    return file_online(t, KEY, {**CLAIM, **changes}, "2026-03-02", "Informe mèdic")


def _to_audiencia(t: Town, instance_id: int, expedient_id: int) -> None:
    t.do(instance_id, "T_informe_servei", REPORT)
    assert document_titles(expedient_id)[-2:] == ["Informe del servei", "Tràmit d'audiència"]
    assert outgoing(expedient_id) == ["Tràmit d'audiència"]
    open_notification(t, expedient_id, "2026-03-10")
    # Art. 82.2: 15 working days from the day after 10 March: 11-13, (16 local holiday), 17-20,
    # 23-27, 30-31, 1 April -> Wednesday 1 April.
    assert pending_timers(instance_id).get("GW_audiencia") == "2026-04-01T23:59:59+02:00"


def test_the_e_office_shows_six_months_and_negative_silence(t: Town) -> None:
    procedure = get_procedure(t.tenant.id, KEY, "ca")
    # Art. 91.3 Ley 39/2015: six months, then the claim may be deemed rejected.
    assert (procedure.online, procedure.max_term, procedure.silence) == (True, {"months": 6}, "negative")
    assert procedure.classification == "L01259999_PRO_RESP_PATRIMONIAL"
    assert get_procedure(t.tenant.id, KEY, "es").name == "Reclamación de responsabilidad patrimonial"


def test_a_claim_under_50000_is_reported_heard_and_partly_granted_by_decree(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    assert t.show(instance_id)["data"]["data_entrada"] == "2026-03-02"
    t.do(instance_id, "T_admissio", {"completa": True})
    # Art. 91.3: six months from the entry of 2 March -> Wednesday 2 September 2026.
    assert pending_timers(instance_id) == {"C_silenci": "2026-09-02T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_informe_servei"]
    _to_audiencia(t, instance_id, expedient_id)
    answer_online(t, expedient_id, "2026-03-20", "Aporto la factura de la rehabilitació.", "Factura")
    assert ready_ids(instance_id) == ["T_proposta"]
    t.do(instance_id, "T_proposta", {"sentit": "estimar_parcialment", "indemnitzacio": 1500,
                                     "fonaments": "Consta la relació de causalitat; es valora el dany en 1.500 €."})
    assert document_titles(expedient_id)[-1] == "Proposta de resolució"
    assert ready_ids(instance_id) == ["T_decret_signar"]  # under 50,000 EUR: no dictamen (art. 81.2)
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.number == decree_number(1)
    assert decree.title == "Estimació parcial de la reclamació de responsabilitat patrimonial"
    assert "1.500,00 €" in decree.text and "3.200,00 €" in decree.text and APPEALS in decree.text
    note = notifications.list_notifications(t.people["tramitador"], expedient_id)[-1]
    assert note.document_id == t.show(instance_id)["data"]["decret"]["document_id"]
    open_notification(t, expedient_id, "2026-04-15")
    assert closed(expedient_id, instance_id)
    assert pending_timers(instance_id) == {}


def test_from_50000_the_dictamen_suspends_the_term_and_the_silence_waits_for_it(t: Town) -> None:
    expedient_id, instance_id = _filed(t, import_reclamat=60000)
    t.do(instance_id, "T_admissio", {"completa": True})
    assert pending_timers(instance_id) == {}  # the term is set once the dictamen's suspension is known
    _to_audiencia(t, instance_id, expedient_id)
    assert t.fire(instance_id, "2026-04-01") == 0
    assert t.fire(instance_id, "2026-04-02") == 1  # no allegations: the audiència ran out
    t.do(instance_id, "T_proposta", {"sentit": "desestimar", "fonaments": "El dany no és antijurídic."})
    # Art. 81.2 Ley 39/2015 and art. 8.3.b Llei 5/2005: 60,000 EUR >= 50,000 EUR -> dictamen.
    assert document_titles(expedient_id)[-1] == "Petició de dictamen a la Comissió Jurídica Assessora"
    assert ready_ids(instance_id) == ["T_dictamen"]
    dictamen = t.attach(expedient_id, "Dictamen de la Comissió Jurídica Assessora")
    t.do(instance_id, "T_dictamen", {"data_peticio_dictamen": "2026-04-07", "data_recepcio_dictamen": "2026-05-19",
                                     "dictamen_documents": [dictamen], "dictamen_conclusio": "Procedeix desestimar"})
    # Six months (2 September) pushed by the 42 days from 7 April to 19 May (art. 22.1.d) -> Wednesday 14 October.
    assert pending_timers(instance_id) == {"C_silenci_dictamen": "2026-10-14T23:59:59+02:00"}
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Desestimació de la reclamació de responsabilitat patrimonial"
    assert "Comissió Jurídica Assessora rebut el 19/05/2026" in decree.text and APPEALS in decree.text
    assert decree.text.index("Comissió Jurídica") < decree.text.index(APPEALS)
    open_notification(t, expedient_id, "2026-06-01")
    assert closed(expedient_id, instance_id)


def test_the_dictamen_suspends_at_most_three_months(t: Town) -> None:
    expedient_id, instance_id = _filed(t, import_reclamat=75000)
    t.do(instance_id, "T_admissio", {"completa": True})
    _to_audiencia(t, instance_id, expedient_id)
    t.fire(instance_id, "2026-04-02")
    t.do(instance_id, "T_proposta", {"sentit": "estimar", "indemnitzacio": 75000, "fonaments": "Procedeix."})
    dictamen = t.attach(expedient_id, "Dictamen")
    t.do(instance_id, "T_dictamen", {"data_peticio_dictamen": "2026-04-07", "data_recepcio_dictamen": "2026-08-20",
                                     "dictamen_documents": [dictamen], "dictamen_conclusio": "Procedeix estimar"})
    # Art. 22.1.d: the suspension never exceeds three months: 7 April -> 7 July, 91 days;
    # 2 September + 91 days -> Wednesday 2 December 2026.
    assert pending_timers(instance_id) == {"C_silenci_dictamen": "2026-12-02T23:59:59+01:00"}


def test_a_claim_filed_after_a_year_is_inadmissible_by_decree(t: Town) -> None:
    expedient_id, instance_id = _filed(t, data_fets="2025-02-20")
    t.do(instance_id, "T_admissio", {"completa": True})
    # Art. 67.1: the right to claim lapses one year after the facts: 20 February 2026 < 2 March.
    assert ready_ids(instance_id) == ["T_decret_signar"]
    assert pending_timers(instance_id) == {}
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Inadmissió de la reclamació de responsabilitat patrimonial"
    assert "20/02/2026" in decree.text and "art. 67.1" in decree.text and APPEALS in decree.text
    open_notification(t, expedient_id, "2026-03-20")
    assert closed(expedient_id, instance_id)


def test_an_unanswered_requeriment_ends_in_desistiment(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": False, "mancances": "Manca l'avaluació econòmica del dany."})
    assert outgoing(expedient_id) == ["Requeriment d'esmena"]
    open_notification(t, expedient_id, "2026-03-05")
    # Art. 68.1: 10 working days from 6 March, skipping the local holiday of 16 March -> 20 March.
    assert pending_timers(instance_id) == {"GW_req_espera": "2026-03-20T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-21") == 1
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Desistiment: reclamació de responsabilitat patrimonial"
    assert "05/03/2026" in decree.text and "20/03/2026" in decree.text and APPEALS in decree.text
    open_notification(t, expedient_id, "2026-03-30")
    assert closed(expedient_id, instance_id)


def test_an_answered_requeriment_suspends_the_six_months(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": False, "mancances": "Manca l'avaluació econòmica del dany."})
    open_notification(t, expedient_id, "2026-03-05")
    answer_online(t, expedient_id, "2026-03-16", "Adjunto la valoració.", "Valoració")
    # Art. 22.1.a: suspended 5 -> 16 March, 11 days: 2 September + 11 -> Sunday 13 September, and
    # Monday 14 is the next working day (art. 30.5).
    assert pending_timers(instance_id) == {"C_silenci": "2026-09-14T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_informe_servei"]


def test_the_negative_silence_is_flagged_after_six_months_and_the_duty_to_resolve_stays(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": True})
    assert t.fire(instance_id, "2026-09-02") == 0
    assert t.fire(instance_id, "2026-09-03") == 1
    assert "expedient.silence" in actions(t.tenant.id, expedient_id)
    assert t.show(instance_id)["data"]["silenci"] == "negative"  # art. 91.3
    assert ready_ids(instance_id) == ["T_informe_servei"]
