"""Llicència ambiental, annex II (Llei 20/2009), every path through the real blocks: completeness and
the requeriment, the technical report, public information on the notice board, the informe ambiental
of the ponència requested by registry (suspending the term, three months at most), the legal report,
the audiència, the decree signed and attested, notified, closed; six months and negative silence.

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026 (Good Friday 3 April and Easter Monday 6 April are holidays in Catalonia).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.citizens.procedures import get_procedure
from engine.expedients.expedients import Expedient
from engine.noticeboard.models import Edict
from engine.registry.awaited_entries import awaited_entries, register_awaited_entry
from engine.registry.entries import Upload
from tests.procedures_helpers import Town, document_titles, pending_timers, ready_ids, spiff_clock, town
from tests.test_procedures_obres import (
    _answer_online,
    _citizen_opens,
    _closed,
    _decrees,
    _entries,
    _silence,
    at,
    frozen_clock,
)

__all__ = ["frozen_clock", "spiff_clock"]  # the fixtures, used by name (frozen_clock is autouse)

KEY = "llicencia_ambiental"
PONENCIA = "Ponència ambiental del Consell Comarcal del Segrià"
APPLICATION = {
    "nif": "12345678Z",
    "nom": "Maria Soler Vidal",
    "emplacament": "Polígon Industrial El Segre, parcel·la 7",
    "referencia_cadastral": "4A08169P03PRAT0001LR",
    "activitat": "Taller de reparació de vehicles amb pintura",
    "annex": "12.46",
    "organ_ambiental": PONENCIA,
}


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def _filed(t: Town) -> tuple[int, int]:
    """Filed on Monday 2 March 2026 with the project: the start data of the registry entry."""
    at("2026-03-02", 9)
    expedient_id = t.open_case("Llicència ambiental")
    project = t.attach(expedient_id, "Projecte bàsic de l'activitat")
    instance_id = t.start(KEY, expedient_id, {
        "registre_entrada": "E/2026/000001", "data_entrada": "2026-03-02",
        "interessat": {"nif": "12345678Z", "nom": "Maria Soler Vidal"}, "documents_presentats": [project]})
    return expedient_id, instance_id


def _complete(t: Town, instance_id: int, **changes: object) -> None:
    documents = t.show(instance_id)["data"]["documents_presentats"]
    t.do(instance_id, "T_completesa", {**APPLICATION, "documents": documents, "completa": True, **changes})


def _to_the_ponencia(t: Town, instance_id: int) -> None:
    """Complete on Tuesday 3 March: the edict is on the board from that day; twenty working days from
    the day after (4-6, 9-13, 17-20, 23-27, 30, 31 March, 1 April; 16 March is the local holiday) end on
    Wednesday 1 April; the technician reports with the allegations on Thursday 2 April and the file
    goes to the ponència that day."""
    at("2026-03-03")
    _complete(t, instance_id)
    assert pending_timers(instance_id) == {"C_informacio_publica": "2026-04-01T23:59:59+02:00"}
    assert t.fire(instance_id, "2026-04-01") == 0
    assert t.fire(instance_id, "2026-04-02") == 1
    at("2026-04-02")
    t.do(instance_id, "T_informe_tecnic", {"informe_tecnic_favorable": True,
                                           "condicions": "Cabina de pintura homologada.",
                                           "informe_tecnic": "L'activitat és compatible amb el planejament."})


def test_the_e_office_shows_six_months_and_negative_silence_and_the_code(t: Town) -> None:
    procedure = get_procedure(t.tenant.id, KEY, "ca")
    assert (procedure.online, procedure.max_term, procedure.silence) == (True, {"months": 6}, "negative")
    assert procedure.classification == "L01259999_PRO_LLICENCIA_AMBIENTAL"
    assert get_procedure(t.tenant.id, KEY, "en").name == "Environmental licence (annex II)"


def test_granted_after_public_information_and_the_ponencia_report_which_suspends_the_term(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    _to_the_ponencia(t, instance_id)
    edict = db.session.execute(select(Edict).where(Edict.expedient_id == expedient_id)).scalar_one()
    assert (edict.starts_on, edict.ends_on) == (date(2026, 3, 3), date(2026, 4, 1))
    assert t.show(instance_id)["data"]["alegacions_publiques"]["count"] == 0
    # the request goes by registry to the ponència; nobody is notified
    assert [(e.subject, e.recipient) for e in _entries(expedient_id, "S")] == [
        ("Sol·licitud d'informe ambiental", PONENCIA)]
    # art. 22.1.d Llei 39/2015: three months at most from 2 April -> Thursday 2 July.
    assert pending_timers(instance_id) == {"GW_ponencia_espera": "2026-07-02T23:59:59+02:00"}
    at("2026-04-20")
    [awaited] = awaited_entries(t.people["tramitador"], expedient_id)
    register_awaited_entry(t.people["tramitador"], expedient_id, awaited.id, sender=PONENCIA,
                           subject="Informe ambiental favorable",
                           uploads=[Upload("informe.pdf", b"%PDF-1.4 informe ambiental", title="Informe ambiental")])
    db.session.commit()
    # six months from 2 March (2 September) + 18 days suspended (2 -> 20 April) = Sunday 20 September
    # -> Monday 21 September.
    assert pending_timers(instance_id) == {"C_silenci": "2026-09-21T23:59:59+02:00"}
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and expedient.term_due == date(2026, 9, 21)
    assert ready_ids(instance_id) == ["T_informe_juridic"]
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": True, "informe_juridic": "Procedeix.",
                                            "cal_audiencia": False})
    t.do(instance_id, "T_proposta", {"sentit": "atorgar", "fonaments": "Informes tècnic i ambiental favorables."})
    at("2026-04-27", 9)
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    decree = _decrees(expedient_id)[0]
    assert decree.title == "Atorgament de llicència ambiental" and decree.number == "DEC/2026/0001"
    assert "control inicial" in decree.text and "recurs potestatiu de reposició" in decree.text
    assert ready_ids(instance_id) == ["T_resolucio_notificada"]
    _citizen_opens(t, expedient_id, "2026-04-28")
    assert _closed(instance_id, expedient_id)
    assert {"Informe tècnic", "Sol·licitud d'informe ambiental", "Informe jurídic",
            "Proposta de resolució"} <= set(document_titles(expedient_id))
    assert [e.sender for e in _entries(expedient_id, "E")] == [PONENCIA]  # the report, an incoming entry


def test_without_the_ponencia_report_in_three_months_it_goes_on_and_silence_is_negative(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    _to_the_ponencia(t, instance_id)
    assert t.fire(instance_id, "2026-07-02") == 0
    assert t.fire(instance_id, "2026-07-03") == 1
    # suspended 2 April -> 2 July (91 days): 2 September + 91 = Wednesday 2 December.
    assert pending_timers(instance_id) == {"C_silenci": "2026-12-02T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-12-03") == 1
    assert _silence(t, expedient_id) == "negative"  # environment: art. 24.1 Llei 39/2015
    assert ready_ids(instance_id) == ["T_informe_juridic"]  # the duty to resolve stays


def test_audiencia_with_allegations_online_then_refused(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    _to_the_ponencia(t, instance_id)
    assert t.fire(instance_id, "2026-07-03") == 1
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": False, "cal_audiencia": True,
                                            "informe_juridic": "L'informe ambiental no ha arribat; cal audiència."})
    assert ready_ids(instance_id) == ["T_audiencia_notificada"]
    _citizen_opens(t, expedient_id, "2026-07-06")
    # ten working days from Tuesday 7 July: 7-10, 13-17, 20 -> Monday 20 July.
    assert pending_timers(instance_id) == {"C_silenci": "2026-12-02T23:59:59+01:00",
                                           "GW_audiencia_espera": "2026-07-20T23:59:59+02:00"}
    _answer_online(t, expedient_id, instance_id, "2026-07-10", "Al·legacions a l'audiència")
    t.do(instance_id, "T_alegacions", {"valoracio_alegacions": "No desvirtuen l'informe."})
    t.do(instance_id, "T_proposta", {"sentit": "denegar", "fonaments": "Manca l'informe ambiental favorable."})
    at("2026-07-21", 9)
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    assert _decrees(expedient_id)[0].title == "Denegació de llicència ambiental"
    _citizen_opens(t, expedient_id, "2026-07-22")
    assert _closed(instance_id, expedient_id)


def test_an_unanswered_requeriment_ends_in_a_desistiment_decree(t: Town) -> None:
    expedient_id, instance_id = _filed(t)
    _complete(t, instance_id, completa=False, mancances="Falta l'estudi d'impacte ambiental.")
    _citizen_opens(t, expedient_id, "2026-03-04")
    # ten working days from Thursday 5 March: 5, 6, 9-13, 17-19 -> Thursday 19 March.
    assert pending_timers(instance_id) == {"GW_esmena_espera": "2026-03-19T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-20") == 1
    at("2026-03-23", 9)
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    decree = _decrees(expedient_id)[0]
    assert decree.title == "Desistiment: llicència ambiental" and "04/03/2026" in decree.text
    _citizen_opens(t, expedient_id, "2026-03-24")
    assert _closed(instance_id, expedient_id)


def test_the_completeness_form_asks_for_the_annex_section_and_the_environmental_body(t: Town) -> None:
    _, instance_id = _filed(t)
    with pytest.raises(ValidationFailed) as refused:
        _complete(t, instance_id, annex="dotze", organ_ambiental="")
    assert {d.field for d in refused.value.details} >= {"annex", "organ_ambiental"}
    assert ready_ids(instance_id) == ["T_completesa"]
