"""Llicències d'obres menors i majors and the comunicació prèvia d'obres driven through the real
blocks: PAdES signatures (Town.sign), decrees numbered at the alcalde's signature, notifications
that take effect when the citizen opens them in the e-office (or expire), answers and allegations
filed online as registry entries, and timers fired by the sweep (Town.fire).

Dates checked by hand against the 2026 Catalan calendar plus the town's local holiday of Monday
16 March 2026: Good Friday 3 April and Easter Monday 6 April are holidays. The clock every
service reads is pinned to the tests' moment (``frozen_clock``), so registry entries and
notifications carry the dates the comments work out.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base import clock
from engine.base.clock import MADRID
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.citizens.filing import answer_requeriment, request_extension
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.citizens.notices import open_notification
from engine.decrees.book import Decree
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient
from engine.notifications import notifications
from engine.notifications.alerts import expire_notification
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import ProcessInstance
from engine.registry.awaited_entries import awaited_entries, register_awaited_entry
from engine.registry.entries import RegistryEntry, Upload
from tests.conftest import csrf_token, login
from tests.procedures_helpers import (
    SpiffClock,
    Town,
    document_titles,
    pending_timers,
    ready_ids,
    spiff_clock,
    steps,
    town,
)
from tests.test_signatures_helpers import valid_signers

__all__ = ["spiff_clock"]  # the fixture, used by name
MENORS = "llicencia_obres_menors"
MAJORS = "llicencia_obres_majors"
COMUNICACIO = "comunicacio_previa_obres"
MARIA = CitizenIdentity("12345678Z", "Maria Soler Vidal")

#: What the clerk checks on the completeness task, prefilled from the e-office filing.
APPLICATION = {
    "nif": "12345678Z",
    "nom": "Maria Soler Vidal",
    "emplacament": "Carrer Major, 12",
    "referencia_cadastral": "4A08169P03PRAT0001LR",
    "descripcio_obres": "Substitució de rajoles de la cuina",
    "tipus_obra": "reforma_interior",
    "pressupost": 12500.50,
}


@pytest.fixture(autouse=True)
def frozen_clock(spiff_clock: type[SpiffClock], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every engine service reads the moment SpiffWorkflow's timers read (moved by Town.fire and at())."""
    real = clock.utcnow

    def pinned() -> datetime:
        return SpiffClock.moment.astimezone(UTC)

    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "") or ""
        if name.startswith("engine") and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", pinned)
    yield


def at(day: str, hour: int = 10) -> datetime:
    """Move the clock to ``day`` at ``hour`` (Spain), as the days pass."""
    SpiffClock.moment = datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=MADRID)
    return SpiffClock.moment


def _filed(t: Town, key: str, **changes: Any) -> tuple[int, int]:
    """An application filed on Monday 2 March 2026: the start data an e-office filing or the
    registry entry gives (registre_entrada, data_entrada, interessat, documents presentats)."""
    at("2026-03-02", 9)
    expedient_id = t.open_case("Llicència d'obres")
    memory = t.attach(expedient_id, "Memòria")
    instance_id = t.start(key, expedient_id, {
        "registre_entrada": "E/2026/000001", "data_entrada": "2026-03-02",
        "interessat": {"nif": "12345678Z", "nom": "Maria Soler Vidal"}, "documents_presentats": [memory],
        **{k: v for k, v in APPLICATION.items() if k not in ("nif", "nom")}, **changes,
    })
    return expedient_id, instance_id


def _check(t: Town, instance_id: int, expedient_id: int, **changes: Any) -> None:
    documents = t.show(instance_id)["data"]["documents_presentats"]
    t.do(instance_id, "T_completesa", {**APPLICATION, "documents": documents, "completa": True, **changes})


def _notes(t: Town, expedient_id: int) -> list[notifications.Notification]:
    return notifications.list_notifications(t.people["tramitador"], expedient_id)


def _citizen_opens(t: Town, expedient_id: int, day: str) -> None:
    """Maria opens in the e-office the notification still pending in her expedient."""
    at(day)
    pending = [n for n in _notes(t, expedient_id) if n.state == "pending"]
    assert len(pending) == 1, [(n.id, n.state) for n in _notes(t, expedient_id)]
    open_notification(citizen_context(t.tenant, MARIA, "ca"), MARIA, pending[0].id)
    db.session.commit()


def _awaited(instance_id: int, message: str) -> AwaitedMessage:
    rows = [a for a in db.session.execute(select(AwaitedMessage).where(
        AwaitedMessage.instance_id == instance_id, AwaitedMessage.state == "waiting")).scalars()
        if a.accepts(message)]
    assert rows, f"the procedure is not waiting for {message}"
    return rows[0]


def _answer_online(t: Town, expedient_id: int, instance_id: int, day: str, title: str) -> None:
    at(day)
    awaited = _awaited(instance_id, "resposta_requeriment")
    answer_requeriment(t.tenant, MARIA, expedient_id, awaited.id,
                       [Upload(f"{title}.pdf", b"%PDF-1.4 " + title.encode(), title=title)], text=title)
    db.session.commit()


def _request_extension(t: Town, expedient_id: int, instance_id: int, day: str) -> None:
    """Maria presses "Request five more working days" in the e-office (art. 68.2): an incoming
    entry delivered as the message ``ampliacio_termini``."""
    at(day)
    request_extension(t.tenant, MARIA, expedient_id, _awaited(instance_id, "ampliacio_termini").id)
    db.session.commit()


def _instruct(t: Town, instance_id: int, *, audiencia: bool = False, sentit: str = "atorgar") -> None:
    t.do(instance_id, "T_informe_tecnic", {"informe_tecnic_favorable": sentit == "atorgar",
                                           "informe_tecnic": "Les obres s'ajusten al POUM.", "condicions": ""})
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": sentit == "atorgar",
                                            "informe_juridic": "Procedeix.", "cal_audiencia": audiencia})
    if not audiencia:
        t.do(instance_id, "T_proposta", {"sentit": sentit, "fonaments": "Vistos els informes."})


def _decree_signed_and_notified(t: Town, instance_id: int, expedient_id: int, opened_on: str) -> None:
    """Signed, attested and notified on ``opened_on``; Maria opens it an hour later."""
    at(opened_on, 9)
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    assert ready_ids(instance_id) == ["T_resolucio_notificada"]  # waits on the notification itself
    _citizen_opens(t, expedient_id, opened_on)


def _decrees(expedient_id: int) -> list[Decree]:
    stmt = select(Decree).where(Decree.expedient_id == expedient_id).order_by(Decree.id)
    return list(db.session.execute(stmt).scalars())


def _entries(expedient_id: int, direction: str) -> list[RegistryEntry]:
    stmt = select(RegistryEntry).where(RegistryEntry.expedient_id == expedient_id,
                                       RegistryEntry.direction == direction).order_by(RegistryEntry.id)
    return list(db.session.execute(stmt).scalars())


def _closed(instance_id: int, expedient_id: int) -> bool:
    instance = db.session.get(ProcessInstance, instance_id)
    expedient = db.session.get(Expedient, expedient_id)
    return (instance is not None and instance.status == "completed"
            and expedient is not None and expedient.state == "E02")


def _silence(t: Town, expedient_id: int) -> str:
    """The effect of silence the expedient's history shows."""
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == t.tenant.id, AuditEvent.expedient_id == expedient_id,
                                    AuditEvent.action == "expedient.silence")
    return str(db.session.execute(stmt).scalar_one().after["effect"])


def _pdf_text(t: Town, document_id: int) -> str:
    pdf = read_content(t.people["tramitador"], document_id)[1]
    return " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


# --------------------------------------------------------------------------- obres menors


def test_granted_licence_is_a_signed_decree_with_the_appeals_notified_and_closed() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id)
    # Maximum term 1 month (ROAS art. 81) from the registry entry of 2 March 2026: Thursday 2 April.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-02T23:59:59+02:00"}
    _instruct(t, instance_id)
    assert ready_ids(instance_id) == ["T_resolucio_signar"]
    with pytest.raises(ValidationFailed):  # a sign step is no tick box
        t.do(instance_id, "T_resolucio_signar", {"conforme": True})
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-20")

    decree = _decrees(expedient_id)[0]
    assert (decree.number, decree.signed_by_name, decree.attested_by_name) == ("DEC/2026/0001", "Jordi Mas",
                                                                               "Sandra Roig")
    assert decree.title == "Atorgament de llicència d'obres menors"
    # DMN: reforma interior -> taxa 40 EUR; ICIO 4 % (TRLRHL art. 102.3 max.) of 12,500.50 = 500.02, provisional
    # on the budget (art. 103.1); the decree approves the liquidation.
    assert "taxa (40,00 €)" in decree.text and "ICIO (500,02 €)" in decree.text and "540,02 €" in decree.text
    notes = _notes(t, expedient_id)
    assert len(notes) == 1 and notes[0].state == "accessed"
    signed = db.session.get(Document, notes[0].document_id)
    assert signed is not None and signed.title == "DEC/2026/0001 Atorgament de llicència d'obres menors"
    assert valid_signers(read_content(t.people["tramitador"], signed.id)[1]) == ["Jordi Mas", "Sandra Roig"]
    text = _pdf_text(t, signed.id)
    # the decree itself states the appeals (art. 88.3 Llei 39/2015): reposició 1 month, contenciós 2 months
    assert "recurs potestatiu de reposició" in text and "dos mesos" in text and signed.csv in text
    assert [e.subject for e in _entries(expedient_id, "S")] == [
        "Notificació: Atorgament de llicència d'obres menors"]
    assert document_titles(expedient_id) == ["Informe tècnic", "Informe jurídic",
                                             "Liquidació provisional de la taxa i l'ICIO", "Proposta de resolució",
                                             "DEC/2026/0001 Atorgament de llicència d'obres menors"]
    assert _closed(instance_id, expedient_id)
    assert pending_timers(instance_id) == {}  # the silence timer went with the terminate end


def test_esmena_answered_online_suspends_the_maximum_term() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id, completa=False, mancances="Falta el pressupost detallat.")
    assert document_titles(expedient_id) == ["Requeriment d'esmena"]
    assert ready_ids(instance_id) == ["T_requeriment_notificat"]
    _citizen_opens(t, expedient_id, "2026-03-05")
    # art. 68.1: 10 working days from the day after 5 March: 6, 9-13, (16 local holiday), 17-20 -> Friday 20 March.
    assert pending_timers(instance_id) == {"GW_esmena_espera": "2026-03-20T23:59:59+01:00"}
    _answer_online(t, expedient_id, instance_id, "2026-03-12", "Pressupost detallat")
    assert len(_entries(expedient_id, "E")) == 1  # the answer is an incoming registry entry
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": True})
    data = t.show(instance_id)["data"]
    assert data["suspensions"] == [["2026-03-05", data["resposta_requeriment"]["received_at"]]]
    # art. 22.1.a: suspended 5 -> 12 March (7 days): 2 April + 7 = Thursday 9 April.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-09T23:59:59+02:00"}
    _instruct(t, instance_id, sentit="denegar")
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-25")
    assert _decrees(expedient_id)[0].title == "Denegació de llicència d'obres menors"
    assert "R_tributs" not in steps(instance_id)  # nothing to liquidate on a refusal
    assert _closed(instance_id, expedient_id)


def test_five_day_extension_then_no_answer_ends_in_a_desistiment_decree() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id, completa=False, mancances="Falta la memòria.")
    _citizen_opens(t, expedient_id, "2026-03-05")
    _request_extension(t, expedient_id, instance_id, "2026-03-18")
    # art. 68.2: five more working days after the end of 20 March: 23-27 -> Friday 27 March.
    assert pending_timers(instance_id) == {"GW_esmena_espera_ampliat": "2026-03-27T23:59:59+01:00"}
    assert t.show(instance_id)["data"]["ampliacio_termini"]["requested_on"] == "2026-03-18"
    awaited = _awaited(instance_id, "resposta_requeriment")
    assert not awaited.accepts("ampliacio_termini")  # one extension only: the e-office no longer offers it
    with pytest.raises(NotFound):
        request_extension(t.tenant, MARIA, expedient_id, awaited.id)
    assert t.fire(instance_id, "2026-03-27") == 0  # the last day is still running
    assert t.fire(instance_id, "2026-03-28") == 1
    assert ready_ids(instance_id) == ["T_resolucio_signar"]
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-31")
    decree = _decrees(expedient_id)[0]
    assert decree.title == "Desistiment: llicència d'obres menors" and decree.number == "DEC/2026/0001"
    assert "05/03/2026" in decree.text and "arts. 68.1 i 21.1" in decree.text and "reposició" in decree.text
    assert "T_informe_tecnic" not in steps(instance_id)
    assert _closed(instance_id, expedient_id)


def test_requeriment_never_opened_runs_from_its_expiry_then_desistiment() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id, completa=False, mancances="Falta la memòria.")
    note = _notes(t, expedient_id)[0]
    # art. 43.2: made available on 2 March, not opened in 10 natural days -> rejected on 12 March.
    at("2026-03-13", 0)
    assert expire_notification(t.tenant.id, note.id) is True
    db.session.commit()
    assert t.show(instance_id)["data"]["requeriment_notificat"] == "2026-03-12"
    # 10 working days from 13 March: 13, (16 holiday), 17-20, 23-27 -> Friday 27 March.
    assert pending_timers(instance_id) == {"GW_esmena_espera": "2026-03-27T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-28") == 1
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    decree_note = next(n for n in _notes(t, expedient_id) if n.state == "pending")
    at("2026-04-15", 0)  # the decree's notification expires too: the procedure still closes
    assert expire_notification(t.tenant.id, decree_note.id) is True
    db.session.commit()
    assert "12/03/2026" in _decrees(expedient_id)[0].text
    assert _closed(instance_id, expedient_id)


def test_an_esmena_that_does_not_remedy_ends_in_desistiment() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id, completa=False, mancances="Falta la memòria.")
    _citizen_opens(t, expedient_id, "2026-03-05")
    _answer_online(t, expedient_id, instance_id, "2026-03-10", "Fotografies")
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": False, "observacions": "No aporta la memòria."})
    assert ready_ids(instance_id) == ["T_resolucio_signar"]
    assert _decrees(expedient_id)[0].title == "Desistiment: llicència d'obres menors"


def test_positive_silence_is_flagged_when_the_month_runs_out() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id)
    assert t.fire(instance_id, "2026-04-02") == 0
    assert t.fire(instance_id, "2026-04-03") == 1
    # TRLUC art. 187 and ROAS: minor works licences are granted by silence (never against planning law).
    assert _silence(t, expedient_id) == "positive"
    assert ready_ids(instance_id) == ["T_informe_tecnic"]  # the ajuntament must still resolve


def test_audiencia_notified_and_allegations_filed_online() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id)
    at("2026-03-18")
    _instruct(t, instance_id, audiencia=True, sentit="denegar")
    assert ready_ids(instance_id) == ["T_audiencia_notificada"]
    _citizen_opens(t, expedient_id, "2026-03-20")
    # art. 82.2: 10 working days from 23 March: 23-27, 30, 31, 1, 2 April, (3 and 6 Easter), 7 -> Tuesday 7 April.
    assert pending_timers(instance_id)["GW_audiencia_espera"] == "2026-04-07T23:59:59+02:00"
    _answer_online(t, expedient_id, instance_id, "2026-03-27", "Al·legacions")
    assert ready_ids(instance_id) == ["T_alegacions"]
    t.do(instance_id, "T_alegacions", {"valoracio_alegacions": "No desvirtuen l'informe tècnic."})
    t.do(instance_id, "T_proposta", {"sentit": "denegar", "fonaments": "Vistes les al·legacions."})
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-31")
    assert "Tràmit d'audiència" in document_titles(expedient_id)
    assert [n.state for n in _notes(t, expedient_id)] == ["accessed", "accessed"]
    assert _closed(instance_id, expedient_id)


def test_audiencia_without_allegations_goes_on_when_the_term_ends() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id)
    at("2026-03-18")
    _instruct(t, instance_id, audiencia=True)
    _citizen_opens(t, expedient_id, "2026-03-20")
    t.fire(instance_id, "2026-04-07")  # only the month's positive silence (2 April) is flagged meanwhile
    assert "GW_audiencia_espera" in pending_timers(instance_id) and ready_ids(instance_id) == []
    assert t.fire(instance_id, "2026-04-08") == 1
    assert ready_ids(instance_id) == ["T_proposta"] and "T_alegacions" not in steps(instance_id)


def test_the_alcalde_returns_the_decree_with_a_reason_and_it_goes_back_to_the_proposal() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id)
    _instruct(t, instance_id)
    t.give_back(instance_id, "T_resolucio_signar", "Cal citar l'article del POUM.")
    assert ready_ids(instance_id) == ["T_proposta"]
    assert [d.number for d in _decrees(expedient_id)] == [None]  # returned unsigned: no number spent
    t.do(instance_id, "T_proposta", {"sentit": "atorgar", "fonaments": "Vistos els informes i l'art. 12 del POUM."})
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-20")
    signed = [d for d in _decrees(expedient_id) if d.number]
    assert [d.number for d in signed] == ["DEC/2026/0001"] and "art. 12 del POUM" in signed[0].text
    assert _closed(instance_id, expedient_id)


def test_the_applicant_withdraws_and_the_decree_accepts_it() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id)
    t.do(instance_id, "T_informe_tecnic", {"informe_tecnic_favorable": True, "informe_tecnic": "Conforme."})
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": True, "informe_juridic": "Procedeix.",
                                            "cal_audiencia": False})
    t.do(instance_id, "T_proposta", {"sentit": "desistiment", "fonaments": "Escrit de desistiment de 10/03/2026."})
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-20")
    decree = _decrees(expedient_id)[0]
    # art. 94 Llei 39/2015: the applicant may withdraw; the resolution accepts it and closes the procedure
    assert decree.title == "Desistiment: llicència d'obres menors" and "arts. 94 i 21.1" in decree.text
    assert "Escrit de desistiment" in decree.text and "R_tributs" not in steps(instance_id)
    assert _closed(instance_id, expedient_id)


def test_completeness_form_checks_nif_cadastral_reference_amounts_and_what_is_missing() -> None:
    t = town(f"{MENORS}.bpmn")
    _expedient_id, instance_id = _filed(t, MENORS)
    bad = {**APPLICATION, "nif": "12345678A", "referencia_cadastral": "4A08169P03PRAT0001LX",
           "pressupost": 10.005, "documents": [], "completa": False}
    with pytest.raises(ValidationFailed) as caught:
        t.do(instance_id, "T_completesa", bad)
    fields = {d.field for d in caught.value.details}
    assert {"nif", "referencia_cadastral", "pressupost", "documents", "mancances"} <= fields
    assert ready_ids(instance_id) == ["T_completesa"]  # nothing was lost or moved


def test_spanish_requeriment_when_the_applicant_asks_for_spanish() -> None:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id, idioma="es", completa=False, mancances="Falta la memoria.")
    data = t.show(instance_id)["data"]
    assert data["doc_requeriment"]["template"] == "requeriment_esmena.es.html"
    assert "cinco días hábiles" in _pdf_text(t, data["doc_requeriment"]["document_id"])


# --------------------------------------------------------------------------- obres majors


def _majors(**changes: Any) -> tuple[Town, int, int]:
    t = town(f"{MAJORS}.bpmn")
    expedient_id, instance_id = _filed(t, MAJORS, tipus_obra="rehabilitacio", pressupost=200000)
    _check(t, instance_id, expedient_id, tipus_obra="rehabilitacio", pressupost=200000,
           **{"cal_informe_sectorial": False, "cal_informacio_publica": False, **changes})
    return t, expedient_id, instance_id


def test_majors_two_months_rehabilitation_granted_with_its_liquidation() -> None:
    t, expedient_id, instance_id = _majors()
    # 2 months from 2 March = Saturday 2 May -> Monday 4 May (art. 30.5).
    assert pending_timers(instance_id) == {"C_silenci": "2026-05-04T23:59:59+02:00"}
    _instruct(t, instance_id)
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-20")
    data = t.show(instance_id)["data"]
    # DMN: rehabilitació -> taxa 150 EUR, ICIO 3 % of 200,000 = 6,000.
    assert (data["taxa"], data["icio_quota"], data["total_liquidacio"]) == (150, 6000.0, 6150.0)
    assert _closed(instance_id, expedient_id)


@pytest.mark.parametrize(("tipus_obra", "effect"), [("nova_planta", "negative"), ("ampliacio", "positive")])
def test_majors_silence_is_negative_for_new_buildings_only(tipus_obra: str, effect: str) -> None:
    t = town(f"{MAJORS}.bpmn")
    expedient_id, instance_id = _filed(t, MAJORS, tipus_obra=tipus_obra, pressupost=300000)
    _check(t, instance_id, expedient_id, tipus_obra=tipus_obra, pressupost=300000, cal_informe_sectorial=False,
           cal_informacio_publica=False)
    assert t.fire(instance_id, "2026-05-05") == 1
    # RDL 7/2015 (TRLSRU) art. 11.4.b: works of new buildings are never acquired by silence; otherwise
    # TRLUC art. 187 and ROAS: positive.
    assert _silence(t, expedient_id) == effect


def test_sector_report_requested_by_registry_suspends_the_term_until_it_arrives() -> None:
    t, expedient_id, instance_id = _majors(cal_informe_sectorial=True,
                                           organisme_sectorial="Servei Territorial de Carreteres de Lleida")
    # dispatched by registry to the body: an outgoing entry, no notification to the applicant
    assert [(e.subject, e.recipient) for e in _entries(expedient_id, "S")] == [
        ("Sol·licitud d'informe sectorial", "Servei Territorial de Carreteres de Lleida")]
    assert _notes(t, expedient_id) == []
    # art. 22.1.d: at most three months from 2 March: Tuesday 2 June.
    assert pending_timers(instance_id) == {"GW_sectorial_espera": "2026-06-02T23:59:59+02:00"}
    at("2026-03-20")
    [awaited] = awaited_entries(t.people["tramitador"], expedient_id)
    register_awaited_entry(t.people["tramitador"], expedient_id, awaited.id,
                           sender="Servei Territorial de Carreteres de Lleida",
                           subject="Informe sectorial de carreteres",
                           uploads=[Upload("informe.pdf", b"%PDF-1.4 informe", title="Informe de carreteres")])
    db.session.commit()
    # suspended 2 -> 20 March (18 days): 2 May + 18 = Wednesday 20 May.
    assert pending_timers(instance_id) == {"C_silenci": "2026-05-20T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_informe_tecnic"]
    assert [e.sender for e in _entries(expedient_id, "E")] == ["Servei Territorial de Carreteres de Lleida"]


def test_the_clerk_registers_the_sector_report_from_the_expedient_page(client: FlaskClient) -> None:
    aca = "Agència Catalana de l'Aigua"
    t, expedient_id, instance_id = _majors(cal_informe_sectorial=True, organisme_sectorial=aca)
    login(client, "tramitador.proves")
    page = client.get(f"/expedients/{expedient_id}").get_data(as_text=True)
    [awaited] = awaited_entries(t.people["tramitador"], expedient_id)
    assert f'id="awaited-{awaited.id}"' in page
    path = f"/expedients/{expedient_id}/awaited/{awaited.id}/entry"
    refused = client.post(path, data={"csrf_token": csrf_token(client, f"/expedients/{expedient_id}"),
                                      "sender": "", "files": (io.BytesIO(b"%PDF-1.4 x"), "informe.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and ready_ids(instance_id) == []  # nothing registered, still waiting
    assert "Indiqueu qui ho tramet." in refused.get_data(as_text=True)
    at("2026-03-25")
    done = client.post(path, data={"csrf_token": csrf_token(client, f"/expedients/{expedient_id}"),
                                   "sender": "Agència Catalana de l'Aigua", "subject": "Informe de l'ACA",
                                   "files": (io.BytesIO(b"%PDF-1.4 informe"), "informe-aca.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    db.session.expire_all()
    assert ready_ids(instance_id) == ["T_informe_tecnic"]
    # suspended 2 -> 25 March (23 days): 2 May + 23 = Monday 25 May.
    assert pending_timers(instance_id) == {"C_silenci": "2026-05-25T23:59:59+02:00"}


def test_sector_report_not_received_in_three_months_the_procedure_goes_on() -> None:
    t, _, instance_id = _majors(cal_informe_sectorial=True, organisme_sectorial="Agència Catalana de l'Aigua")
    assert t.fire(instance_id, "2026-06-03") == 1
    # suspended 2 March -> 2 June (92 days): 2 May + 92 = Sunday 2 August -> Monday 3 August.
    assert pending_timers(instance_id) == {"C_silenci": "2026-08-03T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_informe_tecnic"]


def test_sector_report_needs_the_body_that_reports() -> None:
    t = town(f"{MAJORS}.bpmn")
    expedient_id, instance_id = _filed(t, MAJORS, tipus_obra="ampliacio")
    with pytest.raises(ValidationFailed) as caught:
        _check(t, instance_id, expedient_id, tipus_obra="ampliacio", cal_informe_sectorial=True,
               cal_informacio_publica=False)
    assert "organisme_sectorial" in {d.field for d in caught.value.details}


def test_public_information_runs_twenty_working_days_from_the_announcement() -> None:
    t, _expedient_id, instance_id = _majors(cal_informacio_publica=True)
    t.do(instance_id, "T_informe_tecnic", {"informe_tecnic_favorable": True, "informe_tecnic": "Conforme."})
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": True, "informe_juridic": "Procedeix.",
                                            "cal_audiencia": False})
    t.do(instance_id, "T_informacio_publica", {"data_publicacio": "2026-03-10", "butlleti": "BOP de Lleida núm. 48"})
    # art. 83.2: 20 working days from 11 March: 11-13 (3), (16 holiday), 17-20 (7), 23-27 (12), 30, 31, 1, 2 April
    # (16), (3 and 6 April Easter), 7-10 April (20) -> Friday 10 April.
    assert pending_timers(instance_id)["C_informacio_publica"] == "2026-04-10T23:59:59+02:00"
    assert t.fire(instance_id, "2026-04-10") == 0
    assert t.fire(instance_id, "2026-04-11") == 1
    t.do(instance_id, "T_alegacions_publiques", {"hi_ha_alegacions_publiques": False})
    assert ready_ids(instance_id) == ["T_proposta"]


# --------------------------------------------------------------------------- comunicació prèvia


def _communicated() -> tuple[Town, int, int]:
    t = town(f"{COMUNICACIO}.bpmn")
    expedient_id, instance_id = _filed(t, COMUNICACIO, tipus_obra="tanca", pressupost=3000)
    return t, expedient_id, instance_id


def _comprovar(t: Town, instance_id: int, **changes: Any) -> None:
    documents = t.show(instance_id)["data"]["documents_presentats"]
    t.do(instance_id, "T_comprovar", {**APPLICATION, "tipus_obra": "tanca", "pressupost": 3000,
                                      "documents": documents, **changes})


def test_comunicacio_conforme_liquidates_the_icio_signed_and_notified() -> None:
    t, expedient_id, instance_id = _communicated()
    _comprovar(t, instance_id, resultat="conforme")
    data = t.show(instance_id)["data"]
    # TRLRHL art. 100-103: the ICIO is due on works under comunicació prèvia too. DMN: tanca -> taxa 40 EUR,
    # ICIO 4 % of 3,000 = 120; total 160.
    assert (data["taxa"], data["icio_quota"], data["total_liquidacio"]) == (40, 120.0, 160.0)
    assert ready_ids(instance_id) == ["T_conformitat_signar"]
    t.sign(instance_id, "T_conformitat_signar")
    _citizen_opens(t, expedient_id, "2026-03-04")
    doc = db.session.get(Document, _notes(t, expedient_id)[0].document_id)
    assert doc is not None and doc.title == "Conformitat de la comunicació prèvia"
    assert valid_signers(read_content(t.people["tramitador"], doc.id)[1]) == ["Sandra Roig"]
    text = _pdf_text(t, doc.id)
    assert "120,00 €" in text and "160,00 €" in text and "reposició" in text
    assert _closed(instance_id, expedient_id)


def test_comunicacio_requeriment_answered_online_then_conforme() -> None:
    t, expedient_id, instance_id = _communicated()
    _comprovar(t, instance_id, resultat="requeriment", mancances="Falta el croquis de situació.")
    _citizen_opens(t, expedient_id, "2026-03-05")
    _answer_online(t, expedient_id, instance_id, "2026-03-09", "Croquis")
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": True})
    t.sign(instance_id, "T_conformitat_signar")
    _citizen_opens(t, expedient_id, "2026-03-12")
    assert _closed(instance_id, expedient_id)


def test_comunicacio_unanswered_requeriment_ends_in_a_stop_order_decree() -> None:
    t, expedient_id, instance_id = _communicated()
    _comprovar(t, instance_id, resultat="requeriment", mancances="Falta el croquis de situació.")
    _citizen_opens(t, expedient_id, "2026-03-05")
    assert t.fire(instance_id, "2026-03-21") == 1
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-24")
    decree = _decrees(expedient_id)[0]
    assert decree.title == "Ordre d'aturada de les obres comunicades" and "art. 69.4" in decree.text
    assert _closed(instance_id, expedient_id)


def test_comunicacio_stop_order_straight_away() -> None:
    t, expedient_id, instance_id = _communicated()
    _comprovar(t, instance_id, resultat="aturada", observacions="Les obres afecten l'estructura.")
    assert ready_ids(instance_id) == ["T_resolucio_signar"]
    _decree_signed_and_notified(t, instance_id, expedient_id, "2026-03-04")
    assert _decrees(expedient_id)[0].number == "DEC/2026/0001"
    assert _closed(instance_id, expedient_id)

