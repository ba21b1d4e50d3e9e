"""The signature queue page, the certificate page, and the ENI routes."""

from __future__ import annotations

import io
import re

import pytest
from lxml import html as lxml_html
from markupsafe import escape

from engine.base.db import db
from engine.decrees.book import create_draft, get_decree
from engine.expedients.expedients import Expedient, link_party
from engine.expedients.parties import find_or_create_party
from engine.signatures.circuits import pending_count, request_signatures
from engine.signatures.models import SignatureRequest
from tests.conftest import csrf_token, login
from tests.records_helpers import new_expedient
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document, town
from tests.web_clerk import field_error, login_en, token


@pytest.fixture
def people():
    return town()


def _decree(people, title="Concessió de llicència"):
    expedient = new_expedient(people["clerk"])
    decree = create_draft(people["clerk"], title=title, text="RESOLC: concedir.", expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    return decree, request


def test_queue_lists_my_items_with_a_counter_and_reads_the_pdf(client, people):
    _, request = _decree(people)
    login(client, "mayor.ajt-proves")
    html = client.get("/signatures").get_data(as_text=True)
    assert f'data-step-id="{request.steps[0].id}"' in html
    assert 'href="/signatures"' in html and '<span class="badge text-bg-light ms-1">1</span>' in html
    # which expedient each item belongs to: several licence decrees read alike by their titles
    expedient = db.session.get(Expedient, request.expedient_id)
    row = html[html.index(f'data-step-id="{request.steps[0].id}"'):]
    row = row[:row.index("</tr>")]
    subject = str(escape(expedient.subject))
    assert f'href="/expedients/{expedient.id}">{expedient.number}</a>' in row and subject in row
    page = client.get(f"/signatures/{request.steps[0].id}").get_data(as_text=True)
    assert f'href="/expedients/{expedient.id}">{expedient.number}</a> · {subject}' in page
    assert f'src="/signatures/requests/{request.id}/document.pdf"' in page
    pdf = client.get(f"/signatures/requests/{request.id}/document.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in pdf.headers[
        "Content-Security-Policy"]


def test_secretary_does_not_see_the_decree_before_the_mayor_signs(client, people):
    _, request = _decree(people)
    login(client, "secretary.ajt-proves")
    assert f'data-step-id="{request.steps[1].id}"' not in client.get("/signatures").get_data(as_text=True)
    token = csrf_token(client, "/signatures")
    client.post(f"/signatures/{request.steps[1].id}/sign", data={"csrf_token": token, "password": KEY_PASSWORD})
    assert db.session.get(SignatureRequest, request.id).steps[1].state == "pending"


def test_sign_from_the_page_numbers_the_decree(client, people):
    decree, request = _decree(people)
    login(client, "mayor.ajt-proves")
    token = csrf_token(client, "/signatures")
    wrong = client.post(f"/signatures/{request.steps[0].id}/sign", data={"csrf_token": token, "password": "x"})
    assert wrong.status_code == 422 and get_decree(people["clerk"], decree.id).number is None
    assert field_error(wrong.get_data(as_text=True), "password")  # beside the password, on the same page
    done = client.post(f"/signatures/{request.steps[0].id}/sign",
                       data={"csrf_token": token, "password": KEY_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/signatures")
    db.session.expire_all()
    assert get_decree(people["clerk"], decree.id).number.startswith("DEC/")
    assert pending_count(people["mayor"]) == 0 and pending_count(people["secretary"]) == 1


def _three_for_the_mayor(people) -> list[SignatureRequest]:
    """Three PDFs of one expedient, each waiting for the mayor's signature."""
    expedient = new_expedient(people["clerk"])
    requests = [request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id, f"Doc {i}").id,
                                   ["alcalde"]) for i in range(3)]
    db.session.commit()
    return requests


def test_batch_and_return_from_the_page(client, people):
    requests = _three_for_the_mayor(people)
    login(client, "mayor.ajt-proves")
    token = csrf_token(client, "/signatures")
    client.post(f"/signatures/{requests[2].steps[0].id}/return",
                data={"csrf_token": token, "reason": "Cal corregir l'import"})
    client.post("/signatures/batch", data={"csrf_token": token, "password": KEY_PASSWORD,
                                           "step_id": [str(r.steps[0].id) for r in requests[:2]]})
    db.session.expire_all()
    states = [db.session.get(SignatureRequest, r.id) for r in requests]
    assert [s.state for s in states] == ["signed", "signed", "returned"]
    assert states[2].return_reason == "Cal corregir l'import"
    assert 'id="queue-empty"' in client.get("/signatures").get_data(as_text=True)


def test_clerks_have_no_signature_queue(client, people):
    login(client, "clerk.ajt-proves")
    assert client.get("/signatures").status_code == 403


def test_document_signature_check_page(client, people):
    from engine.signatures.circuits import sign

    expedient = new_expedient(people["clerk"])
    request = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id).id, ["alcalde"])
    db.session.commit()
    sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    login(client, "clerk.ajt-proves")
    html = client.get(f"/documents/{request.result_document_id}/signatures").get_data(as_text=True)
    assert 'data-valid="true"' in html and "Joan Batlle" in html


def test_eni_download_and_import_pages(client, people):
    expedient = new_expedient(people["clerk"])
    maria = find_or_create_party(people["clerk"], "12345678Z", "Maria Puig")
    link_party(people["clerk"], expedient.id, maria.id)
    pdf_document(people["clerk"], expedient.id)
    login(client, "clerk.ajt-proves")
    response = client.get(f"/expedients/{expedient.id}/eni.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert expedient.eni_id in response.headers["Content-Disposition"]
    xml = response.data

    other = town("ajt-altre", "L01250002")
    assert other
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "clerk.ajt-altre")
    token = csrf_token(client, "/eni/import")
    bad = client.post("/eni/import", data={"csrf_token": token, "file": (io.BytesIO(b"<x/>"), "x.xml")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and 'id="import-error"' in bad.get_data(as_text=True)
    good = client.post("/eni/import", data={"csrf_token": token, "file": (io.BytesIO(xml), "exp.xml")},
                       content_type="multipart/form-data")
    assert good.status_code == 302 and "/expedients/" in good.headers["Location"]
    # What the sender's file said, on the page: who sent it, and the interested party by NIF (ENI has no names)
    imported = lxml_html.fromstring(client.get(good.headers["Location"]).get_data(as_text=True))
    section = imported.get_element_by_id("eni-import").text_content()
    assert expedient.eni_id.split("_")[1] in section  # the sender's DIR3, as in its identifier
    assert imported.get_element_by_id("eni-interested").text_content() == "12345678Z"

    from tests.eni_builder import Doc, Expedient, make_signer

    remission = Expedient("ES_L01080193_2015_EXP_WEB1", [
        Doc("ES_L01080193_2015_DOC_WEB1", b"%PDF-1.4 web", form="tf05", signer=make_signer())]).zip()
    zipped = client.post("/eni/import", data={"csrf_token": token, "file": (io.BytesIO(remission), "remesa.zip")},
                         content_type="multipart/form-data")
    assert zipped.status_code == 302 and "/expedients/" in zipped.headers["Location"]
    page = client.get(zipped.headers["Location"]).get_data(as_text=True)
    assert "ES_L01080193_2015_EXP_WEB1" in page
    # the CAdES signature that carried the content is shown with its finding (Catalan by default)
    # (its ENI type in words, the code TF05 as the title)
    assert re.search(r'title="TF05" data-signature-type="TF05">[^<]*CAdES[^<]*</span> · '
                     r'<span class="signature-finding">certificat no de confiança</span>', page)


def test_foliated_index_is_sealed_and_verifiable(client, people):
    from engine.documents.documents import verify_by_csv
    from engine.documents.signature_check import verify_pdf
    from tests.test_signatures_helpers import stamp_texts

    expedient = new_expedient(people["clerk"])
    doc = pdf_document(people["clerk"], expedient.id)
    login(client, "clerk.ajt-proves")
    response = client.get(f"/expedients/{expedient.id}/foliated-index.pdf")
    assert response.status_code == 200
    assert verify_pdf(response.data).valid
    csv_line = next(line for line in stamp_texts(response.data) if line.startswith("CSV: "))
    found = verify_by_csv(csv_line.removeprefix("CSV: "))
    assert found.intact and found.document.sha256 != doc.sha256


def test_a_refused_batch_keeps_the_chosen_items_and_says_why_beside_the_password(client, people):
    requests = _three_for_the_mayor(people)
    login_en(client, "mayor.ajt-proves")
    steps = [str(r.steps[0].id) for r in requests]
    wrong = client.post("/signatures/batch", data={"csrf_token": token(client, "/signatures"),
                                                   "password": "not-my-password", "step_id": steps[:2]})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and field_error(html, "batch-password") == "Wrong signing key password."
    assert 'aria-describedby="batch-password-error"' in html and "not-my-password" not in html
    ticked = re.findall(r'name="step_id" value="(\d+)"\s+id="pick-\d+" aria-label="[^"]*" checked>', html)
    assert ticked == steps[:2]  # the two chosen stay chosen, not the third
    none = client.post("/signatures/batch", data={"csrf_token": token(client, "/signatures"),
                                                  "password": KEY_PASSWORD})
    assert none.status_code == 422 and field_error(none.get_data(as_text=True), "batch") == (
        "Choose at least one item to sign.")
    db.session.expire_all()
    assert [db.session.get(SignatureRequest, r.id).state for r in requests] == ["pending"] * 3


def test_a_refused_certificate_says_why_beside_the_field(client, people):
    login_en(client, "mayor.ajt-proves")
    bad = client.post("/signatures/certificate", content_type="multipart/form-data", data={
        "csrf_token": token(client, "/signatures/certificate"), "password": "my-key-password",
        "file": (io.BytesIO(b"not a pkcs12"), "meu.p12")})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert field_error(html, "file") == (
        "The certificate file could not be opened: wrong password or not a PKCS#12 file.")
    assert "my-key-password" not in html  # never sent back
    missing = client.post("/signatures/certificate", data={"csrf_token": token(client, "/signatures/certificate"),
                                                           "password": "x"})
    assert missing.status_code == 422
    assert field_error(missing.get_data(as_text=True), "file") == "Choose a file to upload."
