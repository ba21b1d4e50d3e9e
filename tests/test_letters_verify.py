"""The public /verify page of a document that carries no electronic signature (a registry receipt,
a letter issued with its CSV only): it is authenticated by its code (art. 27.3.c Ley 39/2015, art.
42.b Ley 40/2015), not "not valid"; a signature that is present and fails still says so. The law
under which codes are generated is cited in the reader's language."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from lxml import html as lxml_html

from engine.base.db import db
from engine.demo import ca as test_ca
from engine.documents.documents import Document, issue_document, store_document
from engine.registry.entries import register_incoming
from engine.signatures.credentials import UnlockedCredential
from engine.signatures.pades import Stamp, sign_pdf
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token
from tests.test_signatures_helpers import pdf_document, report_pdf, town
from webapp.views.verify import limiter


@pytest.fixture(autouse=True)
def _fresh_limiter():
    limiter.reset()
    limiter.clock = lambda: 1_800_000_000.0
    yield
    limiter.reset()
    limiter.clock = time.time


def _page(client: FlaskClient, csv: str) -> lxml_html.HtmlElement:
    response = client.get(f"/verify?csv={csv}")
    assert response.status_code == 200
    return lxml_html.fromstring(response.get_data(as_text=True))


def _english(client: FlaskClient) -> None:
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/verify")})


def test_a_letter_issued_with_its_csv_only_is_authenticated_by_it_not_invalid(client: FlaskClient) -> None:
    people = town()
    doc = issue_document(people["clerk"], pdf_document(people["clerk"], None, title="Requeriment d'esmena").id)
    db.session.commit()
    page = _page(client, str(doc.csv))
    assert page.get_element_by_id("verify-result").get("data-intact") == "true"
    assert not page.xpath('//*[@id="signature-verdict"]')  # no "the signatures are not valid"
    assert page.xpath('//*[@id="verify-csv-only"]')
    # the law is cited in the page's language, not in Spanish on a Catalan page
    assert "Ley 40/2015, de 1 de octubre" not in page.get_element_by_id("verify-regulation").text_content()
    _english(client)
    page = _page(client, str(doc.csv))
    assert page.get_element_by_id("verify-csv-only").text_content() == (
        "This document is authenticated by its secure verification code (art. 27.3.c Law 39/2015, "
        "art. 42.b Law 40/2015); it carries no electronic signature.")
    assert page.get_element_by_id("verify-regulation").text_content() == "Law 40/2015 of 1 October, art. 42.b"
    assert page.xpath('//*[@id="verify-download"]')


def test_a_registry_receipt_is_authenticated_by_its_csv(client: FlaskClient) -> None:
    people = town()
    entry = register_incoming(people["clerk"], subject="Instància", channel="electronic", sender="Joan Veí Garcia")
    db.session.commit()
    receipt = db.session.get(Document, entry.receipt_document_id)
    assert receipt is not None and receipt.csv
    _english(client)
    page = _page(client, receipt.csv)
    assert page.xpath('//*[@id="verify-csv-only"]') and not page.xpath('//*[@id="signature-verdict"]')


def test_a_signature_that_is_present_and_fails_is_still_not_valid(client: FlaskClient) -> None:
    people = town()
    other_key, other_ca = test_ca.make_ca("Unknown CA")
    key, cert = test_ca.issue_certificate(other_key, other_ca, "Impostor")
    stamp = Stamp("Impostor", "Alcalde", "21/11/2026", "ABCDE-FGHJK-MNPQR-STVWX", "http://x/verify",
                  {"signed_by": "Signed by", "role": "Role", "date": "Date"})
    signed = sign_pdf(report_pdf(), UnlockedCredential(key, cert, [other_ca]), stamp, reason="x")
    doc = store_document(people["clerk"], None, "decret.pdf", signed, title="Decret", tipo_documental="TD01",
                         from_administration=True)
    issue_document(people["clerk"], doc.id)
    db.session.commit()
    _english(client)
    page = _page(client, str(doc.csv))
    verdict = page.get_element_by_id("signature-verdict")
    assert verdict.get("data-valid") == "false"
    assert "The electronic signatures are not valid." in verdict.text_content()
    assert not page.xpath('//*[@id="verify-csv-only"]')


def test_the_municipality_s_own_act_is_cited_as_named(client: FlaskClient) -> None:
    people = town()
    tenant = db.session.get(Tenant, people["clerk"].tenant_id)
    assert tenant is not None
    act = "Decret d'alcaldia 15/2026, de 3 de febrer, de creació del sistema de codi segur de verificació"
    tenant.csv_regulation = act
    doc = issue_document(people["clerk"], pdf_document(people["clerk"], None).id)
    db.session.commit()
    _english(client)
    assert _page(client, str(doc.csv)).get_element_by_id("verify-regulation").text_content() == act
