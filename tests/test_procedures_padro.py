"""Padró municipal d'habitants (LBRL arts. 15-17; RD 1690/1986, RPDTEL): the certificate or volant
signed for real by the secretary and delivered, every path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.citizens import filing
from engine.decrees.book import Decree
from engine.documents.documents import Document
from engine.expedients import expedients, parties
from engine.expedients.expedients import Expedient
from engine.process.models import ProcessInstance
from engine.registry.entries import RegistryAttachment, RegistryEntry, Upload
from tests.procedures_acts import (
    MARIA as MARIA_CITIZEN,
)
from tests.procedures_acts import (
    PDF,
    delivered_by_post,
    notification_expired,
    notification_opened,
    pending_notification,
    registry_day,
)
from tests.procedures_helpers import (
    Town,
    document_titles,
    pending_timers,
    ready_ids,
    spiff_clock,
    town,
)

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

MARIA = {"tipus": "certificat", "nif": "X1234567L", "nom": "Maria Soler Vidal", "adreca": "Carrer Major, 12",
         "data_alta": "2019-05-14", "finalitat": "tràmits d'estrangeria"}


def _closed(instance_id: int, expedient_id: int) -> bool:
    instance = db.session.get(ProcessInstance, instance_id)
    expedient = db.session.get(Expedient, expedient_id)
    return instance is not None and expedient is not None and instance.status == "completed" \
        and expedient.state == "E02"


def _postal_case(t: Town, subject: str) -> int:
    """An applicant who asked to be answered by post (no e-office)."""
    clerk = t.people["tramitador"]
    party = parties.find_or_create_party(clerk, "12345678Z", "Joan Pi", address="Carrer Nou, 1",
                                         preferred_channel="postal")
    expedient = expedients.open_expedient(clerk, subject, party_ids=[party.id])
    db.session.commit()
    return expedient.id


def test_certificat_signed_by_the_secretary_and_delivered_in_the_e_office() -> None:
    t = town("certificat_empadronament.bpmn")
    expedient_id = t.open_case("Certificat d'empadronament")
    instance_id = t.start("certificat_empadronament", expedient_id, {"data_entrada": "2026-03-02"})
    t.do(instance_id, "T_sollicitud", {**MARIA, "adreca": "Carrer Majo, 12"})
    assert ready_ids(instance_id) == ["T_signar"]
    t.give_back(instance_id, "T_signar", "L'adreça no coincideix amb el padró.")
    assert ready_ids(instance_id) == ["T_sollicitud"]
    t.do(instance_id, "T_sollicitud", MARIA)
    t.sign(instance_id, "T_signar")
    assert ready_ids(instance_id) == ["T_lliurat"]  # waits for the delivery, nobody ticks it
    signed_id = t.show(instance_id)["data"]["signatura"]["document_id"]
    doc = db.session.get(Document, signed_id)
    assert doc is not None and doc.title == "Certificat d'empadronament" and doc.tipo_documental == "TD11"
    assert [s["signer"] for s in doc.signatures if s["type"] == "TF06"] == ["Sandra Roig"]
    assert pending_notification(t, expedient_id).document_id == doc.id
    sent = db.session.execute(select(RegistryAttachment.document_id).join(
        RegistryEntry, RegistryEntry.id == RegistryAttachment.entry_id).where(
        RegistryEntry.expedient_id == expedient_id, RegistryEntry.direction == "S")).scalars().all()
    assert sent == [doc.id]  # what left by the registry is the signed certificate
    notification_opened(t, expedient_id, available="2026-03-03", opened="2026-03-03")
    assert _closed(instance_id, expedient_id)
    # the returned draft and the signed one: the certificate the citizen got is the signed one
    assert document_titles(expedient_id) == ["Certificat d'empadronament", "Certificat d'empadronament"]


def test_volant_in_spanish_delivered_by_post() -> None:
    t = town("certificat_empadronament.bpmn")
    expedient_id = _postal_case(t, "Volant d'empadronament")
    instance_id = t.start("certificat_empadronament", expedient_id, {"data_entrada": "2026-03-02"})
    t.do(instance_id, "T_sollicitud", {**MARIA, "tipus": "volant", "nif": "12345678Z", "nom": "Joan Pi",
                                       "adreca": "Carrer Nou, 1", "finalitat": "escolarització", "idioma": "es"})
    t.sign(instance_id, "T_signar")
    assert t.show(instance_id)["data"]["doc_padro"]["template"] == "certificat_empadronament.es.html"
    delivered_by_post(t, expedient_id, sent="2026-03-03", delivered="2026-03-05")
    assert _closed(instance_id, expedient_id)
    assert document_titles(expedient_id) == ["Volant d'empadronament"]
    assert t.show(instance_id)["data"]["notification_outcome"] == "accessed"


# --------------------------------------------------------------------------- alta / canvi de domicili
# The application is filed in the e-office on Monday 2 March 2026: three months to resolve and notify
# (art. 21.3 Ley 39/2015) end on Tuesday 2 June 2026, and the silence is positive (art. 24.1; the 2020
# technical instructions of the padró, BOE-A-2020-4784).

ALTA = {"tipus_moviment": "alta", "adreca": "Carrer del Riu, 4, 2n", "municipi_procedencia": "Lleida",
        "persones": "Maria Soler Vidal (12345678Z)\nPau Serra Soler (menor)"}


def _filed(monkeypatch: pytest.MonkeyPatch) -> tuple[Town, int, int]:
    t = town("padro_alta_canvi_domicili.bpmn")
    with registry_day(monkeypatch, "2026-03-02"):
        done = filing.file_request(t.tenant, MARIA_CITIZEN, "padro_alta_canvi_domicili", dict(ALTA),
                                   [Upload("dni.pdf", PDF, "DNI")])
    db.session.commit()
    assert done.expedient_id is not None and done.instance_id is not None
    return t, done.expedient_id, done.instance_id


def test_alta_inscribed_and_the_signed_volant_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _filed(monkeypatch)
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and expedient.classification == f"{t.tenant.dir3}_PRO_PADRO_ALTA"
    # the subject tells this application from the town's other ones (the sidecar's subject_fields)
    subject = "Alta o canvi de domicili al padró: Alta — Carrer del Riu, 4, 2n"
    entry = db.session.execute(select(RegistryEntry).where(RegistryEntry.expedient_id == expedient_id)).scalar_one()
    assert expedient.subject == subject and entry.subject == subject
    data = t.show(instance_id)["data"]
    assert data["data_entrada"] == "2026-03-02"  # the registry entry's date, typed by nobody
    t.do(instance_id, "Task_revisar", {"completa": True})
    assert pending_timers(instance_id) == {"Timer_silenci": "2026-06-02T23:59:59+02:00"}
    t.do(instance_id, "Task_tramitar", {"resum": "Contracte de lloguer vigent.", "inscriure": True})
    t.do(instance_id, "Task_respondre", {"adreca": ALTA["adreca"], "persones": ALTA["persones"]})
    assert ready_ids(instance_id) == ["Task_resposta_signar"]
    t.sign(instance_id, "Task_resposta_signar")
    volant = db.session.get(Document, t.show(instance_id)["data"]["signatura"]["document_id"])
    assert volant is not None and volant.title == "Volant d'empadronament" and volant.tipo_documental == "TD11"
    assert [s["signer"] for s in volant.signatures if s["type"] == "TF06"] == ["Sandra Roig"]
    assert pending_notification(t, expedient_id).document_id == volant.id
    notification_opened(t, expedient_id, available="2026-03-09", opened="2026-03-10")
    assert _closed(instance_id, expedient_id)


def test_a_change_of_address_filed_in_spanish_is_worded_in_spanish() -> None:
    t = town("padro_alta_canvi_domicili.bpmn")
    done = filing.file_request(t.tenant, MARIA_CITIZEN, "padro_alta_canvi_domicili",
                               {**ALTA, "tipus_moviment": "canvi_domicili", "adreca": "  Plaça   Major, 1 "},
                               [Upload("dni.pdf", PDF, "DNI")], locale="es")
    expedient = db.session.get(Expedient, done.expedient_id)
    assert expedient is not None
    assert expedient.subject == "Alta o cambio de domicilio en el padrón: Cambio de domicilio — Plaça Major, 1"


def test_alta_refused_by_a_decree_notified(monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _filed(monkeypatch)
    t.do(instance_id, "Task_revisar", {"completa": True})
    t.do(instance_id, "Task_tramitar", {"resum": "La policia local no hi ha trobat ningú en dues visites.",
                                        "inscriure": False})
    t.do(instance_id, "Task_proposta", {"fonaments": "No s'acredita la residència al domicili declarat."})
    t.sign(instance_id, "Task_decret")
    t.sign(instance_id, "Task_fe")
    decree = db.session.execute(select(Decree).where(Decree.expedient_id == expedient_id)).scalar_one()
    assert decree.title == "Denegació de la inscripció al padró municipal d'habitants"
    assert "resolc denegar la inscripció" in decree.text and decree.attested_by_name == "Sandra Roig"
    notification_opened(t, expedient_id, available="2026-03-16", opened="2026-03-17")
    assert _closed(instance_id, expedient_id)
    assert "Volant d'empadronament" not in document_titles(expedient_id)


def test_alta_not_resolved_in_three_months_is_granted_by_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _filed(monkeypatch)
    t.do(instance_id, "Task_revisar", {"completa": True})
    assert t.fire(instance_id, "2026-06-02") == 0
    assert t.fire(instance_id, "2026-06-03") == 1
    silence = db.session.execute(select(AuditEvent.after).where(
        AuditEvent.expedient_id == expedient_id, AuditEvent.action == "expedient.silence")).scalars().all()
    assert [event["effect"] for event in silence if event] == ["positive"]
    assert ready_ids(instance_id) == ["Task_tramitar"]  # the inscription is still to be made and delivered


def test_alta_with_documents_missing_and_no_answer_ends_in_withdrawal(monkeypatch: pytest.MonkeyPatch) -> None:
    t, expedient_id, instance_id = _filed(monkeypatch)
    t.do(instance_id, "Task_revisar", {"completa": False, "mancances": "Falta el contracte de lloguer."})
    assert document_titles(expedient_id)[-1] == "Requeriment d'esmena"
    notification_opened(t, expedient_id, available="2026-03-03", opened="2026-03-04")
    # 10 working days from Thursday 5 March (16 March local holiday): 5, 6, 9-13, 17, 18, 19 -> 19 March.
    assert pending_timers(instance_id) == {"GW_espera": "2026-03-19T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-20") == 1
    t.do(instance_id, "Task_desistiment", {"fonaments": "No ha aportat el títol d'ocupació de l'habitatge."})
    t.sign(instance_id, "Task_decret")
    t.sign(instance_id, "Task_fe")
    notification_expired(t, expedient_id, available="2026-03-23")
    assert _closed(instance_id, expedient_id)
