"""Every PDF GEE issues prints its CSV and the verification address on EVERY page (Ley 40/2015,
art. 27.3.c and 42.b: a paper copy of an electronic document is authentic when it carries the code
that lets anyone check it against the original at the e-office). A code printed only on the last
page would leave the other pages unverifiable once printed and separated.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.documents.documents import Document, read_content
from engine.documents.verification_codes import normalize_csv, verify_url
from engine.eni.index_pdf import foliated_index
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from engine.notifications.notifications import access, continue_process, list_notifications
from engine.registry.entries import Channel, register_incoming
from tests.procedures_helpers import Town, spiff_clock, town
from tests.test_signatures_helpers import pdf_document
from tests.test_signatures_helpers import town as signing_town

__all__ = ["spiff_clock"]
pytestmark = pytest.mark.usefixtures("spiff_clock")
LONG = "\n".join(f"{n}. Consideració jurídica sobre l'expedient, amb prou text per omplir la línia sencera."
                 for n in range(1, 90))


def _pages(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _assert_every_page_carries(doc: Document, pdf: bytes) -> int:
    assert doc.csv and normalize_csv(doc.csv) == doc.csv
    pages = _pages(pdf)
    for number, text in enumerate(pages, start=1):
        # "CSV: <code>" in the shared footer; the decree's own footer reads "… · CSV <code> · …"
        assert f"CSV: {doc.csv}" in text or f"CSV {doc.csv}" in text, f"{doc.title}: page {number} has no CSV"
        assert verify_url() in text.replace(" ", ""), f"{doc.title}: page {number} has no verification address"
    return len(pages)


def test_procedure_documents_print_their_csv_on_every_page() -> None:
    t: Town = town("llicencia_obres_menors.bpmn")
    expedient_id = t.open_case("Llicència d'obres")
    memory = t.attach(expedient_id, "Memòria")
    instance_id = t.start("llicencia_obres_menors", expedient_id, {
        "registre_entrada": "E/2026/000001", "data_entrada": "2026-03-02", "documents_presentats": [memory],
        "interessat": {"nif": "12345678Z", "nom": "Maria Soler Vidal"}})
    t.do(instance_id, "T_completesa", {
        "nif": "12345678-Z", "nom": "Maria Soler Vidal", "emplacament": "Carrer Major, 12",
        "referencia_cadastral": "4A08169P03PRAT0001LR", "descripcio_obres": "Substitució de rajoles",
        "tipus_obra": "reforma_interior", "pressupost": 12500.50, "documents": [memory], "completa": True})
    t.do(instance_id, "T_informe_tecnic", {"informe_tecnic_favorable": True, "informe_tecnic": LONG,
                                           "condicions": ""})
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": True, "informe_juridic": LONG,
                                            "cal_audiencia": False})
    t.do(instance_id, "T_proposta", {"sentit": "atorgar", "fonaments": LONG})
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    note = list_notifications(t.people["tramitador"], expedient_id)[0]
    access(t.people["tramitador"], note.id)  # the notify block goes on when the party opens it
    db.session.commit()
    continue_process(t.people["tramitador"], note.id)
    db.session.commit()
    issued = db.session.execute(select(Document).where(Document.expedient_id == expedient_id,
                                                       Document.from_administration.is_(True),
                                                       Document.issued.is_(True))  # superseded versions are not
                                .order_by(Document.id)).scalars().all()
    titles = [d.title for d in issued]
    year = local_date(utcnow()).year
    assert {"Informe tècnic", "Informe jurídic", "Proposta de resolució",
            f"DEC/{year}/0001 Atorgament de llicència d'obres menors",
            "Liquidació provisional de la taxa i l'ICIO"} <= set(titles), titles
    page_counts = {}
    for doc in issued:
        stored, pdf = read_content(t.people["tramitador"], doc.id)
        page_counts[doc.title] = _assert_every_page_carries(stored, pdf)
    # the long reports and the proposal run over several pages: the code is on each of them
    assert page_counts["Informe tècnic"] > 1 and page_counts["Proposta de resolució"] > 1


def test_registry_receipt_and_foliated_index_print_their_csv_on_every_page() -> None:
    people = signing_town()
    clerk = people["clerk"]
    party = find_or_create_party(clerk, "12345678Z", "Pere Interessat")
    expedient = open_expedient(clerk, "Llicència d'obres menors", party_ids=[party.id])
    entry = register_incoming(clerk, subject="Sol·licitud de llicència", channel=Channel.IN_PERSON,
                              party_id=party.id, summary=LONG[:3900], expedient_id=expedient.id)
    db.session.commit()
    receipt, pdf = read_content(clerk, entry.receipt_document_id)
    _assert_every_page_carries(receipt, pdf)
    for n in range(45):  # an index of 45+ documents runs over several pages
        pdf_document(clerk, expedient.id, f"Document {n}", title=f"Document annex número {n}")
    index = foliated_index(clerk, expedient.id)
    db.session.commit()
    stored, pdf = read_content(clerk, index.id)
    assert _assert_every_page_carries(stored, pdf) > 1
