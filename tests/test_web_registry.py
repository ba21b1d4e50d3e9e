"""The registry pages: books, a new incoming entry with its receipt, opening an expedient from it."""

from __future__ import annotations

import io

import pytest

from engine.base.db import db
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party
from engine.registry.entries import RegistryEntry
from tests.web_clerk import field_error, login_en, make_world, open_case, ready_task, token


@pytest.fixture
def world():
    return make_world()


#: Where a person on paper is notified (art. 66.1.b Ley 39/2015: a request says where).
WHERE_TO_NOTIFY = {"address": "Carrer Major, 3", "postal_code": "25001", "municipality": "Lleida"}


def _new_entry(client, **extra):
    data = {"csrf_token": token(client), "nif": "12345678Z", "party_name": "Maria Garcia",
            **WHERE_TO_NOTIFY, "subject": "Sol·licitud de certificat d'empadronament", "channel": "in_person",
            "tipo_documental": "TD14", "files": [(io.BytesIO(b"%PDF-1.4 sollicitud"), "sollicitud.pdf")]}
    data.update(extra)
    return client.post("/registry/new", content_type="multipart/form-data", data=data)


def test_new_incoming_entry_with_party_attachment_and_receipt(client, world):
    login_en(client, "anna")
    assert 'name="files"' in client.get("/registry/new").get_data(as_text=True)
    response = _new_entry(client)

    assert response.status_code == 302
    entry = db.session.execute(db.select(RegistryEntry)).scalar_one()
    assert entry.number.startswith("E/") and entry.subject.startswith("Sol·licitud")
    assert db.session.get(Party, entry.party_id).nif == "12345678Z"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert entry.number in page and "sollicitud.pdf" in page

    receipt = client.get(f"/registry/{entry.id}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
    assert receipt.headers["Content-Type"] == "application/pdf"
    assert receipt.headers["Content-Disposition"].startswith("attachment")


def test_invalid_entry_is_explained_and_not_numbered(client, world):
    login_en(client, "anna")
    bad_nif = _new_entry(client, nif="1234", summary="Demana el certificat per a la beca.", sender="Gestoria Puig",
                         channel="postal")
    html = bad_nif.get_data(as_text=True)
    assert bad_nif.status_code == 422
    assert field_error(html, "nif") == "NIF/NIE/CIF 1234 is not a valid Spanish identification number."
    assert 'aria-invalid="true" aria-describedby="nif-error nif-help"' in html
    assert 'value="1234"' in html and 'value="Maria Garcia"' in html and 'value="Gestoria Puig"' in html
    assert ">Demana el certificat per a la beca.</textarea>" in html and 'value="postal" selected' in html
    bad_email = _new_entry(client, email="maria-at-example")
    assert bad_email.status_code == 422
    assert field_error(bad_email.get_data(as_text=True), "email") == "The e-mail address maria-at-example is not valid."
    no_subject = _new_entry(client, subject="")
    assert no_subject.status_code == 422
    assert field_error(no_subject.get_data(as_text=True), "subject") == "This field is required."
    assert db.session.execute(db.select(db.func.count()).select_from(RegistryEntry)).scalar_one() == 0
    assert _new_entry(client).status_code == 302
    assert db.session.execute(db.select(RegistryEntry.number)).scalar_one().endswith("/000001")


def test_book_list_and_search(client, world):
    login_en(client, "anna")
    _new_entry(client)
    _new_entry(client, nif="B12345674", party_name="Construccions Segre SL", subject="Llicència d'obres")
    entries = db.session.execute(db.select(RegistryEntry).order_by(RegistryEntry.seq)).scalars().all()
    listing = client.get("/registry").get_data(as_text=True)
    assert all(e.number in listing for e in entries)
    found = client.get("/registry?q=B12345674").get_data(as_text=True)
    assert entries[1].number in found and entries[0].number not in found
    outgoing = client.get(f"/registry?direction=S&year={entries[0].year}").get_data(as_text=True)
    assert entries[0].number not in outgoing and "No entries in this book." in outgoing


def test_open_an_expedient_from_an_entry(client, world):
    login_en(client, "anna")
    _new_entry(client)
    entry = db.session.execute(db.select(RegistryEntry)).scalar_one()
    html = client.get(f"/registry/{entry.id}").get_data(as_text=True)
    assert "Open a case file from this entry" in html
    assert f'data-channel="{entry.channel}">in person<' in html  # a word, not the stored code

    response = client.post(f"/registry/{entry.id}/open", data={
        "csrf_token": token(client), "process_model_id": world.model.id, "subject": entry.subject})

    assert response.status_code == 302
    db.session.expire_all()
    expedient = db.session.execute(db.select(Expedient)).scalar_one()
    assert db.session.get(RegistryEntry, entry.id).expedient_id == expedient.id
    docs = db.session.execute(db.select(Document).where(Document.expedient_id == expedient.id)).scalars().all()
    assert {d.tipo_documental for d in docs} == {"TD14", "TD09"}  # the attachment and the receipt
    assert ready_task(expedient.id).element_id == "Task_revisar"
    page = client.get(f"/expedients/{expedient.id}").get_data(as_text=True)
    assert "Maria Garcia" in page and entry.number in page
    again = client.post(f"/registry/{entry.id}/open", data={
        "csrf_token": token(client), "process_model_id": world.model.id})
    assert again.status_code == 409 and field_error(again.get_data(as_text=True), "open")


def test_a_refused_opening_from_an_entry_keeps_what_was_typed(client, world):
    login_en(client, "anna")
    _new_entry(client)
    entry = db.session.execute(db.select(RegistryEntry)).scalar_one()
    refused = client.post(f"/registry/{entry.id}/open", data={
        "csrf_token": token(client), "process_model_id": "", "subject": "Certificat per a la beca",
        "responsible_unit": "Secretaria"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_error(html, "process_model_id") == "Choose a procedure from the list."
    assert 'value="Certificat per a la beca"' in html and 'value="Secretaria"' in html
    assert db.session.execute(db.select(db.func.count()).select_from(Expedient)).scalar_one() == 0


def test_other_tenants_entry_is_not_found_and_roles_are_checked(client, world):
    login_en(client, "anna")
    _new_entry(client)
    entry = db.session.execute(db.select(RegistryEntry)).scalar_one()
    client.post("/logout", data={"csrf_token": token(client)})

    login_en(client, "oriol")
    t = token(client)
    assert client.get(f"/registry/{entry.id}").status_code == 404
    assert client.get(f"/registry/{entry.id}/receipt.pdf").status_code == 404
    assert client.post(f"/registry/{entry.id}/open", data={"csrf_token": t,
                                                            "process_model_id": world.model.id}).status_code == 404
    assert entry.number not in client.get("/registry").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": t})

    login_en(client, "toni")  # tècnic: no registry
    assert client.get("/registry").status_code == 403
    assert client.get(f"/registry/{entry.id}").status_code == 403
    assert _new_entry(client).status_code == 403
    assert "/registry" not in client.get("/").get_data(as_text=True)  # not in the top bar either


def test_posts_without_csrf_are_refused(client, world):
    login_en(client, "anna")
    assert client.post("/registry/new", data={"subject": "x", "channel": "in_person"}).status_code == 400
    opened = open_case(world)
    assert opened.expedient.number
    assert db.session.execute(db.select(db.func.count()).select_from(RegistryEntry)).scalar_one() == 0
