"""A registry receipt prints the full address where anyone checks it, with its own code
(``…/verify?csv=…``), as a decree does: following the printed link opens its verification."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from engine.base.db import db
from engine.citizens import filing
from engine.documents.documents import Document, read_content
from engine.documents.verification_codes import verify_url
from engine.registry.entries import RegistryEntry, Upload
from tests.online_helpers import MARIA, PDF, registry_day
from tests.procedures_helpers import spiff_clock, town
from tests.services import run_queued_jobs

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

REQUEST = {"assumpte": "Contractes de neteja viària", "informacio_sollicitada": "Els contractes de neteja viària",
           "forma_acces_preferida": "electronica"}


def test_the_receipt_prints_its_own_verify_link(client: FlaskClient) -> None:
    t = town("acces_informacio_publica.bpmn")
    with registry_day("2026-03-02"):
        filed = filing.file_request(t.tenant, MARIA, "acces_informacio_publica", REQUEST,
                                    [Upload("Sol·licitud.pdf", PDF, title="Sol·licitud")])
    db.session.commit()
    run_queued_jobs()
    entry = db.session.get(RegistryEntry, filed.entry_id)
    assert entry is not None and entry.receipt_document_id is not None
    receipt = db.session.get(Document, entry.receipt_document_id)
    assert receipt is not None and receipt.csv
    pdf = read_content(t.people["tramitador"], receipt.id)[1]
    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())

    link = verify_url(receipt.csv)
    assert link.endswith(f"/verify?csv={receipt.csv}")
    assert link in text
    path = link[link.index("/verify"):]
    assert client.get(path).status_code == 200
