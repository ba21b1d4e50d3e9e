"""Accés a la informació pública (Llei 19/2014 de transparència de Catalunya, arts. 18-38), every path
through the real blocks: filed in the e-office, the requeriment to specify answered online or
extended or left unanswered, the affected third parties each notified and heard (art. 31), the
decree signed by the alcalde and attested, notified, closed.

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026; summer time starts on Sunday 29 March (+02:00 from then).
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.citizens.procedures import get_procedure
from engine.expedients.expedients import Expedient, parties_of
from engine.notifications import notifications
from tests.online_helpers import (
    answer_online,
    ask_extension,
    closed,
    decrees_of,
    file_online,
    incoming,
    moment,
    open_notification,
    outgoing,
    registry_day,
    reject_notification,
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

KEY = "acces_informacio_publica"
REQUEST = {"assumpte": "Contractes de neteja viària",
           "informacio_sollicitada": "Els contractes de neteja viària dels anys 2024 i 2025",
           "forma_acces_preferida": "electronica"}
GAIP = "Comissió de Garantia del Dret d'Accés a la Informació Pública en el termini d'un mes"


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def _filed(t: Town) -> tuple[int, int]:
    # Monday 2 March 2026, a working day: the entry takes effect that day (art. 31.2 Ley 39/2015).
    return file_online(t, KEY, REQUEST, "2026-03-02")


def test_the_e_office_shows_the_term_and_positive_silence_and_filing_opens_the_procedure(t: Town) -> None:
    procedure = get_procedure(t.tenant.id, KEY, "ca")
    # Llei 19/2014 art. 33.1: one month; art. 35.1: positive silence in Catalonia.
    assert (procedure.online, procedure.max_term, procedure.silence) == (True, {"months": 1}, "positive")
    assert procedure.classification == "L01259999_PRO_ACCES_INFORMACIO"
    assert get_procedure(t.tenant.id, KEY, "en").name == "Access to public information"
    expedient_id, instance_id = _filed(t)
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and expedient.classification == "L01259999_PRO_ACCES_INFORMACIO"
    entry = incoming(expedient_id)[0]
    data = t.show(instance_id)["data"]
    # data_entrada is the entry's effective date, never typed by the clerk
    assert (data["registre_entrada"], data["data_entrada"]) == (entry.number, "2026-03-02")
    assert ready_ids(instance_id) == ["T_admissio"]


def test_granted_access_is_a_signed_decree_notified_to_the_applicant_and_the_expedient_closes(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": True})
    # Art. 33.1: one month from the entry of 2 March 2026 -> Thursday 2 April 2026.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-02T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_resoldre"]
    t.do(instance_id, "T_resoldre", {"sentit": "estimar", "forma_acces": "Enllaç a la carpeta de la seu electrònica.",
                                     "fonaments": "La informació és pública i no hi concorre cap límit."})
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.number == decree_number(1) and decree.status == "signed"
    assert (decree.signed_by_name, decree.attested_by_name) == ("Jordi Mas", "Sandra Roig")
    assert decree.title == "Estimació de la sol·licitud d'accés a la informació pública"
    assert "Els contractes de neteja viària dels anys 2024 i 2025" in decree.text
    assert GAIP in decree.text  # the appeals the resolution must state (art. 88.3 Ley 39/2015)
    note = notifications.list_notifications(t.people["tramitador"], expedient_id)[-1]
    assert note.document_id == t.show(instance_id)["data"]["decret"]["document_id"]  # the signed decree itself
    assert outgoing(expedient_id) == ["Notificació: Estimació de la sol·licitud d'accés a la informació pública"]
    open_notification(t, expedient_id, "2026-03-20")
    assert closed(expedient_id, instance_id)
    assert pending_timers(instance_id) == {}  # resolved in time: the silence timer went with the terminate end
    assert "expedient.silence" not in actions(t.tenant.id, expedient_id)


def test_a_requeriment_answered_online_suspends_the_month(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": False, "mancances": "Concreteu els contractes i el període."})
    assert document_titles(expedient_id) == ["Justificant de presentació E/2026/000001", "Requeriment d'esmena"]
    assert outgoing(expedient_id) == ["Requeriment d'esmena"]
    assert ready_ids(instance_id) == ["T_req_notificat"]
    open_notification(t, expedient_id, "2026-03-05")
    # Art. 68.1 Ley 39/2015 (art. 28 Llei 19/2014): 10 working days from the day after 5 March:
    # 6, 9-13, (16 local holiday), 17-20 -> Friday 20 March (the timer of the wait for the answer).
    assert pending_timers(instance_id) == {"GW_req_espera": "2026-03-20T23:59:59+01:00"}
    answer_online(t, expedient_id, "2026-03-12", "Demano els contractes de neteja viària de 2025.", "Aclariment")
    # Suspended from the notification (5 March) to the answer (12 March), 7 days (art. 22.1.a):
    # 2 April + 7 -> Thursday 9 April.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-09T23:59:59+02:00"}
    data = t.show(instance_id)["data"]
    assert data["resposta_requeriment"]["late"] is False
    assert data["resposta_requeriment"]["registre_entrada"] == incoming(expedient_id)[-1].number
    t.do(instance_id, "T_resoldre", {"sentit": "inadmetre", "causa_inadmissio": "b",
                                     "fonaments": "Es demanen notes internes de treball."})
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Inadmissió de la sol·licitud d'accés a la informació pública"
    assert "article 29.1.b de la Llei 19/2014" in decree.text
    reject_notification(t, expedient_id, "2026-03-30")  # rejected: done all the same (art. 41.5)
    assert closed(expedient_id, instance_id)


def test_the_five_day_extension_then_no_answer_ends_in_a_desistiment_decree(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": False, "mancances": "Concreteu el període."})
    open_notification(t, expedient_id, "2026-03-05")
    ask_extension(t, expedient_id, "2026-03-18")
    # Art. 68.2: five more working days after the original end (Friday 20 March): 23-27 -> Friday 27 March.
    assert pending_timers(instance_id) == {"GW_req_ampliat": "2026-03-27T23:59:59+01:00"}
    with pytest.raises(NotFound):  # no second extension: the wait no longer takes it
        ask_extension(t, expedient_id, "2026-03-19")
    assert t.fire(instance_id, "2026-03-27") == 0  # the last day still runs
    assert t.fire(instance_id, "2026-03-28") == 1
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Desistiment: accés a la informació pública"
    assert "05/03/2026" in decree.text and "27/03/2026" in decree.text and "art" in decree.text
    assert GAIP in decree.text
    assert "T_resoldre" not in ready_ids(instance_id)
    open_notification(t, expedient_id, "2026-04-07")
    assert closed(expedient_id, instance_id)


def test_the_month_extended_for_volume_is_signed_notified_and_moves_the_silence(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": True, "ampliar_termini": True,
                                     "motiu_ampliacio": "Cal revisar 240 contractes."})
    assert document_titles(expedient_id)[-1] == "Ampliació del termini per resoldre"
    t.sign(instance_id, "T_ampliacio_signar")  # the alcalde's signed act, notified before the month ends
    assert outgoing(expedient_id) == ["Ampliació del termini per resoldre"]
    assert ready_ids(instance_id) == ["T_ampliacio_notificada"]
    open_notification(t, expedient_id, "2026-03-10")
    # Art. 33.2 Llei 19/2014: one more month: two months from 2 March = Saturday 2 May -> Monday 4 May.
    assert pending_timers(instance_id) == {"C_silenci": "2026-05-04T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_resoldre"]


def test_positive_silence_is_flagged_when_the_month_runs_out_and_the_duty_to_resolve_stays(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": True})
    assert t.fire(instance_id, "2026-04-02") == 0
    assert t.fire(instance_id, "2026-04-03") == 1
    assert "expedient.silence" in actions(t.tenant.id, expedient_id)
    assert t.show(instance_id)["data"]["silenci"] == "positive"  # art. 35.1 Llei 19/2014
    assert ready_ids(instance_id) == ["T_resoldre"]


def test_the_alcalde_returns_the_decree_and_the_clerk_corrects_it(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": True})
    t.do(instance_id, "T_resoldre", {"sentit": "desestimar", "limits": "Dades personals de treballadors.",
                                     "fonaments": "Art. 23 Llei 19/2014."})
    with pytest.raises(ValidationFailed):  # a sign step is no tick box
        t.do(instance_id, "T_decret_signar", {"conforme": True})
    t.give_back(instance_id, "T_decret_signar", "Cal ponderar l'accés parcial.")
    assert ready_ids(instance_id) == ["T_decret_corregir"]
    data = t.show(instance_id)["data"]
    t.do(instance_id, "T_decret_corregir", {"decret_titol": data["decret_titol"],
                                            "decret_text": data["decret_text"] + " Ponderat l'accés parcial."})
    sign_decree(t, instance_id)
    signed = [d for d in decrees_of(expedient_id) if d.number]
    assert [d.number for d in signed] == [decree_number(1)]  # the returned draft spent no number
    assert "Ponderat l'accés parcial." in signed[0].text


def test_the_resolution_form_asks_what_each_outcome_needs(t: Town) -> None:
    _, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"precisa": True})
    with pytest.raises(ValidationFailed) as refused:
        t.do(instance_id, "T_resoldre", {"sentit": "estimar_parcialment", "fonaments": "Vist l'expedient."})
    assert {d.field for d in refused.value.details} >= {"forma_acces", "limits"}
    with pytest.raises(ValidationFailed):
        t.do(instance_id, "T_resoldre", {"sentit": "inadmetre", "fonaments": "Vist l'expedient."})
    assert ready_ids(instance_id) == ["T_resoldre"]


THIRD_PARTIES = [{"nif": "B58378431", "nom": "Neteges del Segre SL", "email": "info@netegessegre.example"},
                 {"nif": "87654321X", "nom": "Pere Vila Puig", "adreca": "Carrer Major 3, 25001 Lleida"}]
TRASLLAT = "Trasllat de la sol·licitud d'accés a tercers afectats"


def _settle(t: Town, note_id: int, day: str, *, accessed: bool) -> bool:
    """A third party accesses (or rejects) its notification on ``day``; True when the process went on
    (the notification job's own system context, as in production)."""
    settle = notifications.access if accessed else notifications.reject
    settle(t.people["tramitador"], note_id, at=moment(day))
    db.session.commit()
    moved = notifications.continue_process(t.system, note_id)
    db.session.commit()
    return moved


def test_each_third_party_is_notified_and_the_term_waits_for_all_then_is_suspended_for_their_ten_days(
        t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    with registry_day("2026-03-04"):  # the clerk examines the request and sends the transfer on Wednesday 4 March
        t.do(instance_id, "T_admissio", {"precisa": True, "tercers": THIRD_PARTIES})
    # Art. 31 Llei 19/2014: the transfer to each affected third party, an outgoing entry and a notification each.
    assert outgoing(expedient_id) == [TRASLLAT, TRASLLAT]
    assert document_titles(expedient_id)[-1] == TRASLLAT
    links = parties_of(t.people["tramitador"], expedient_id)
    assert [link.party.nif for link in links] == ["12345678Z", "B58378431", "87654321X"]  # interessats (art. 4.1.b)
    sent = notifications.list_notifications(t.people["tramitador"], expedient_id)
    assert sorted(n.party_id for n in sent) == sorted(link.party_id for link in links[1:])
    assert {n.document_id for n in sent} == {t.show(instance_id)["data"]["doc_trasllat_tercers"]["document_id"]}
    # The term to resolve is suspended from the transfer (art. 31.2), shown by the legal-term control.
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and expedient.term_suspended_since == date(2026, 3, 4)
    assert ready_ids(instance_id) == ["T_tercers_notificats"]
    first, second = sorted(sent, key=lambda n: n.id)
    assert _settle(t, first.id, "2026-03-05", accessed=True) is False  # the other one is still pending
    assert ready_ids(instance_id) == ["T_tercers_notificats"]
    assert _settle(t, second.id, "2026-03-09", accessed=False) is True  # rejected counts as made (art. 41.5)
    outcomes = t.show(instance_id)["data"]["tercers_notificats"]["notifications"]
    assert [(o["notification_outcome"], o["notified_on"]) for o in outcomes] == [
        ("accessed", "2026-03-05"), ("rejected", "2026-03-09")]
    # Ten working days from the day after the LAST notification (Monday 9 March): 10-13, (16 local holiday),
    # 17-20, 23, 24 -> Tuesday 24 March; every third party has at least its own ten days.
    assert pending_timers(instance_id) == {"C_tercers_termini": "2026-03-24T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-24") == 0
    assert t.fire(instance_id, "2026-03-25") == 1
    # One month from 2 March (2 April) + the 20 days suspended (4 to 24 March) -> Wednesday 22 April.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-22T23:59:59+02:00"}
    db.session.refresh(expedient)
    assert (expedient.term_suspended_since, expedient.term_due) == (None, date(2026, 4, 22))
    assert ready_ids(instance_id) == ["T_resoldre"]
    t.do(instance_id, "T_resoldre", {"sentit": "estimar", "forma_acces": "Enllaç a la carpeta de la seu electrònica.",
                                     "fonaments": "Les al·legacions dels tercers no acrediten cap límit."})
    sign_decree(t, instance_id)
    decree_note = notifications.list_notifications(t.people["tramitador"], expedient_id)[-1]
    assert decree_note.party_id == links[0].party_id  # the decree goes to the applicant
    open_notification(t, expedient_id, "2026-04-01")
    assert closed(expedient_id, instance_id)


def test_a_third_party_with_a_wrong_nif_is_refused_and_nothing_is_sent(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    with pytest.raises(ValidationFailed):
        t.do(instance_id, "T_admissio", {"precisa": True, "tercers": [{"nif": "12345678A", "nom": "Ningú"}]})
    assert outgoing(expedient_id) == []
    assert ready_ids(instance_id) == ["T_admissio"]
