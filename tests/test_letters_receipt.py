"""A registry receipt of a filing made by a representative says on whose behalf it was filed."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from engine.base.db import db
from engine.citizens import filing
from engine.citizens.filing import Represented
from engine.documents.documents import read_content
from engine.expedients.parties import find_or_create_party
from engine.registry.entries import RegistryEntry, Upload, register_incoming
from tests.online_helpers import MARIA, PDF, registry_day
from tests.procedures_helpers import Town, spiff_clock, town
from tests.services import run_queued_jobs

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

REQUEST = {"assumpte": "Contractes de neteja viària", "informacio_sollicitada": "Els contractes de neteja viària",
           "forma_acces_preferida": "electronica"}


def _receipt_text(t: Town, entry: RegistryEntry) -> str:
    db.session.refresh(entry)
    assert entry.receipt_document_id is not None
    pdf = read_content(t.people["tramitador"], entry.receipt_document_id)[1]
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _filed_for(t: Town, locale: str) -> RegistryEntry:
    with registry_day("2026-03-02"):
        filed = filing.file_request(t.tenant, MARIA, "acces_informacio_publica", REQUEST,
                                    [Upload("Sol·licitud.pdf", PDF, title="Sol·licitud")],
                                    represented=Represented(nif="B12345674", name="Neteges Soler SL"),
                                    locale=locale)
    db.session.commit()
    run_queued_jobs()
    entry = db.session.get(RegistryEntry, filed.entry_id)
    assert entry is not None
    return entry


def test_a_receipt_filed_by_a_representative_says_on_whose_behalf() -> None:
    t = town("acces_informacio_publica.bpmn")
    text = _receipt_text(t, _filed_for(t, "ca"))
    assert "Remitent Maria Soler Vidal, en nom de Neteges Soler SL (B12345674)" in text
    assert "Persona interessada Neteges Soler SL — B12345674" in text


def test_the_spanish_receipt_says_it_in_spanish() -> None:
    t = town("acces_informacio_publica.bpmn")
    text = _receipt_text(t, _filed_for(t, "es"))
    assert "Remitente Maria Soler Vidal, en nombre de Neteges Soler SL (B12345674)" in text


def test_a_party_filing_for_herself_or_another_administration_is_not_on_anyone_s_behalf() -> None:
    t = town("acces_informacio_publica.bpmn")
    clerk = t.people["tramitador"]
    party = find_or_create_party(clerk, "12345678Z", "Maria Soler Vidal")
    own = register_incoming(clerk, subject="Instància", channel="in_person", party_id=party.id)
    from_body = register_incoming(clerk, subject="Ofici", channel="interadministrative", party_id=party.id,
                                  sender="Consell Comarcal del Vallès")
    db.session.commit()
    assert "en nom de" not in _receipt_text(t, own)
    text = _receipt_text(t, from_body)
    assert "Remitent Consell Comarcal del Vallès" in text and "en nom de" not in text
