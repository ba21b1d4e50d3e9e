"""Ocupació de la via pública (ús comú especial del domini públic, Decret 336/1988 arts. 56-61) with the
fee liquidation (TRLRHL arts. 20.3 and 24.1.a), every path through the real blocks: filed in the
e-office, the technical report, the authorisation with its fee or the refusal by a signed and
attested decree, notified, closed; the requeriment extended and answered, or unanswered; and the
negative silence (Ley 39/2015 art. 24.1: faculties over the public domain).

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026; summer time from Sunday 29 March (+02:00).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.citizens.procedures import get_procedure
from engine.notifications import notifications
from tests.online_helpers import (
    answer_online,
    ask_extension,
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

KEY = "ocupacio_via_publica"
REQUEST = {"assumpte": "Contenidor per a obres", "emplacament": "Carrer Major, 12", "motiu": "contenidor_bastida",
           "superficie_m2": 6, "data_inici": "2026-04-13", "dies_ocupacio": 10}
REPORT = {"informe_tecnic": "Queda un pas lliure de vianants d'1,5 m.", "informe_tecnic_favorable": True,
          "condicions": "Senyalització nocturna"}
APPEALS = "recurs potestatiu de reposició davant l'alcaldia en el termini d'un mes"


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def _filed(t: Town, **changes: Any) -> tuple[int, int]:
    return file_online(t, KEY, {**REQUEST, **changes}, "2026-03-02", "Croquis")


def test_the_e_office_shows_three_months_and_negative_silence(t: Town) -> None:
    procedure = get_procedure(t.tenant.id, KEY, "ca")
    # Art. 21.3 Ley 39/2015: three months when no rule says otherwise; art. 24.1: negative silence
    # when it would transfer faculties over the public domain.
    assert (procedure.online, procedure.max_term, procedure.silence) == (True, {"months": 3}, "negative")
    assert procedure.classification == "L01259999_PRO_OCUPACIO_VIA_PUBLICA"


def test_the_authorisation_liquidates_the_fee_in_the_signed_decree(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": True})
    # Three months from the entry of 2 March -> Tuesday 2 June 2026.
    assert pending_timers(instance_id) == {"C_silenci": "2026-06-02T23:59:59+02:00"}
    t.do(instance_id, "T_informe_tecnic", REPORT)
    assert document_titles(expedient_id)[-1] == "Informe tècnic d'ocupació de la via pública"
    data = t.show(instance_id)["data"]
    # Ordinance: skip or scaffolding 0.60 EUR per m2 and day: 6 m2 x 10 days x 0.60 = 36.00 EUR;
    # 10 days from Monday 13 April end on Wednesday 22 April.
    assert (data["tarifa"], data["taxa"], data["data_fi"]) == (0.6, 36.0, "2026-04-22")
    t.do(instance_id, "T_proposta", {"sentit": "atorgar", "fonaments": "L'ocupació és compatible amb el pas."})
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert (decree.number, decree.title) == (decree_number(1), "Autorització d'ocupació de la via pública")
    assert "6 m2 x 10 dies x 0,60 € = 36,00 €" in decree.text
    assert "del 13/04/2026 al 22/04/2026" in decree.text and "Senyalització nocturna" in decree.text
    assert APPEALS in decree.text
    note = notifications.list_notifications(t.people["tramitador"], expedient_id)[-1]
    assert note.document_id == t.show(instance_id)["data"]["decret"]["document_id"]
    assert outgoing(expedient_id) == ["Notificació: Autorització d'ocupació de la via pública"]
    open_notification(t, expedient_id, "2026-03-25")
    assert closed(expedient_id, instance_id)


def test_a_small_occupation_pays_the_minimum_quota() -> None:
    t = town(f"{KEY}.bpmn")
    _, instance_id = _filed(t, motiu="mudanca", superficie_m2=2, dies_ocupacio=1)
    t.do(instance_id, "T_admissio", {"completa": True})
    t.do(instance_id, "T_informe_tecnic", REPORT)
    # 2 m2 x 1 day x 0.40 = 0.80 EUR, below the ordinance's minimum quota of 10 EUR.
    assert t.show(instance_id)["data"]["taxa"] == 10


def test_a_refusal_is_a_decree_too(t: Town) -> None:
    expedient_id, instance_id = _filed(t, motiu="terrassa")
    t.do(instance_id, "T_admissio", {"completa": True})
    t.do(instance_id, "T_informe_tecnic", {**REPORT, "informe_tecnic_favorable": False})
    t.do(instance_id, "T_proposta", {"sentit": "denegar", "fonaments": "La vorera fa menys de 2 m d'amplada."})
    sign_decree(t, instance_id)
    decree = decrees_of(expedient_id)[0]
    assert decree.title == "Denegació de l'ocupació de la via pública" and "taxa" not in decree.text
    open_notification(t, expedient_id, "2026-03-25")
    assert closed(expedient_id, instance_id)


def test_a_requeriment_extended_then_answered_suspends_the_term(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": False, "mancances": "Manca el croquis amb la superfície."})
    open_notification(t, expedient_id, "2026-03-05")
    assert pending_timers(instance_id) == {"GW_req_espera": "2026-03-20T23:59:59+01:00"}
    ask_extension(t, expedient_id, "2026-03-19")
    # Art. 68.2: five more working days after Friday 20 March -> Friday 27 March.
    assert pending_timers(instance_id) == {"GW_req_ampliat": "2026-03-27T23:59:59+01:00"}
    answer_online(t, expedient_id, "2026-03-25", "Adjunto el croquis.", "Croquis amb superfície")
    # Suspended 5 -> 25 March, 20 days (art. 22.1.a): 2 June + 20 -> Monday 22 June.
    assert pending_timers(instance_id) == {"C_silenci": "2026-06-22T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_informe_tecnic"]


def test_an_unanswered_requeriment_ends_in_desistiment(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": False, "mancances": "Manca el croquis."})
    open_notification(t, expedient_id, "2026-03-05")
    assert t.fire(instance_id, "2026-03-20") == 0
    assert t.fire(instance_id, "2026-03-21") == 1
    sign_decree(t, instance_id)
    assert decrees_of(expedient_id)[0].title == "Desistiment: ocupació de la via pública"
    open_notification(t, expedient_id, "2026-03-30")
    assert closed(expedient_id, instance_id)


def test_the_negative_silence_is_flagged_after_three_months(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    t.do(instance_id, "T_admissio", {"completa": True})
    assert t.fire(instance_id, "2026-06-02") == 0
    assert t.fire(instance_id, "2026-06-03") == 1
    assert "expedient.silence" in actions(t.tenant.id, expedient_id)
    assert t.show(instance_id)["data"]["silenci"] == "negative"
    assert ready_ids(instance_id) == ["T_informe_tecnic"]
