"""Padró municipal d'habitants (LBRL arts. 15-17; RD 1690/1986, RPDTEL): the certificate or volant
signed for real by the secretary and delivered, every path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.documents.documents import Document
from engine.expedients import expedients, parties
from engine.expedients.expedients import Expedient
from engine.process.models import ProcessInstance
from engine.registry.entries import RegistryAttachment, RegistryEntry
from tests.procedures_acts import delivered_by_post, notification_opened, pending_notification
from tests.procedures_helpers import Town, document_titles, ready_ids, spiff_clock, town

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
