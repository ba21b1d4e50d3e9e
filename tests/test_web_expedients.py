"""Opening expedients, their page, documents, diagram, close and reopen, through the test client."""

from __future__ import annotations

import io

import pytest

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.decrees.book import create_draft
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party
from engine.process.models import HumanTask, ProcessInstance, ProcessModel, ProcessVersion
from engine.registry.open_expedient import PartyInput, open_and_start
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login, login_en, make_world, open_case, ready_task, token


@pytest.fixture
def world():
    return make_world()


def _count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_open_form_lists_published_procedures(client, world):
    login_en(client, "anna")
    html = client.get("/expedients/new").get_data(as_text=True)
    assert f'<option value="{world.model.id}"' in html and "General request" in html
    assert 'hx-get="/parties/lookup"' in html


def test_open_an_expedient_starts_its_procedure(client, world):
    login_en(client, "anna")
    response = client.post("/expedients/new", data={
        "csrf_token": token(client), "process_model_id": world.model.id, "nif": "12345678-z",
        "party_name": "Maria Garcia", "email": "maria@example.org", "subject": "Certificat de convivència",
        "responsible_unit": "Secretaria"})

    assert response.status_code == 302
    expedient = db.session.execute(db.select(Expedient)).scalar_one()
    assert response.headers["Location"].endswith(f"/expedients/{expedient.id}")
    assert expedient.subject == "Certificat de convivència" and expedient.responsible_unit == "Secretaria"
    assert expedient.process_model_id == world.model.id
    party = db.session.execute(db.select(Party)).scalar_one()
    assert (party.nif, party.name, party.email) == ("12345678Z", "Maria Garcia", "maria@example.org")
    assert ready_task(expedient.id).element_id == "Task_revisar"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Case file {expedient.number} opened and its procedure started." in page


def test_invalid_nif_is_explained_and_nothing_is_created(client, world):
    login_en(client, "anna")
    response = client.post("/expedients/new", data={
        "csrf_token": token(client), "process_model_id": world.model.id, "nif": "12345678A",
        "party_name": "Maria", "subject": "Certificat"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "nif") == "NIF/NIE/CIF 12345678A: the check letter or digit is wrong."
    assert 'value="Maria"' in html and 'value="Certificat"' in html  # what was typed stays
    assert _count(Expedient) == _count(Party) == _count(ProcessInstance) == 0


def test_missing_procedure_or_subject_is_explained(client, world):
    login_en(client, "anna")
    no_procedure = client.post("/expedients/new", data={"csrf_token": token(client), "subject": "x"})
    assert no_procedure.status_code == 422
    assert field_error(no_procedure.get_data(as_text=True), "process_model_id") == "Choose a procedure from the list."
    no_subject = client.post("/expedients/new", data={"csrf_token": token(client),
                                                      "process_model_id": world.model.id, "subject": " "})
    assert no_subject.status_code == 422
    assert field_error(no_subject.get_data(as_text=True), "subject") == "The subject is required."
    assert _count(Expedient) == 0


def test_a_start_that_fails_leaves_nothing_behind(world):
    broken = ProcessModel(tenant_id=world.tenant.id, key="trencat", name="Trencat", published=True)
    db.session.add(broken)
    db.session.flush()
    db.session.add(ProcessVersion(model_id=broken.id, number=1, content_hash="0" * 64, bpmn_xml="<x/>",
                                  spec_json="{}", forms={}, templates={}, dmn_files={}, lanes={}))
    db.session.commit()
    ctx = ctx_for(world.clerk, world.tenant)
    with pytest.raises(Exception):
        open_and_start(ctx, process_model_id=broken.id, subject="Prova", party=PartyInput("12345678Z", "Maria"))
    assert _count(Expedient) == _count(Party) == _count(ProcessInstance) == 0
    # The expedient number was given back: the next one is the first.
    assert open_case(world).expedient.number.endswith("/000001")


def test_unpublished_procedure_cannot_be_opened(world):
    world.model.published = False
    db.session.commit()
    with pytest.raises(Exception):
        open_case(world)
    assert _count(Expedient) == 0


def test_party_lookup_shows_existing_party_new_fields_or_error(client, world):
    open_case(world, nif="12345678Z", name="Maria Garcia")
    login_en(client, "anna")
    existing = client.get("/parties/lookup?nif=12345678z").get_data(as_text=True)
    assert "Maria Garcia" in existing and "data-party-id" in existing
    new = client.get("/parties/lookup?nif=00000000T").get_data(as_text=True)
    assert 'id="party_name"' in new
    bad = client.get("/parties/lookup?nif=123").get_data(as_text=True)
    assert "is not a valid Spanish identification number" in bad and 'role="alert"' in bad


def test_expedient_page_shows_everything(client, world):
    opened = open_case(world)
    login_en(client, "anna")
    html = client.get(f"/expedients/{opened.expedient.id}").get_data(as_text=True)
    assert opened.expedient.number in html and opened.expedient.eni_id in html
    assert "Maria Garcia" in html and "12345678Z" in html
    assert 'id="diagram"' in html and "bpmn-navigated-viewer.production.min.js" in html
    assert "Review and assign the application" in html  # pending task, in the page's language
    assert "case file opened" in html and "procedure started" in html  # history
    for section in ("Documents", "Registry entries", "Decrees", "Notifications", "History"):
        assert f">{section}</h2>" in html


def test_a_draft_decree_is_listed_with_its_state_in_words(client, world):
    opened = open_case(world)
    create_draft(ctx_for(world.clerk, world.tenant), title="Atorgar el certificat", text="Es resol atorgar-lo.",
                 expedient_id=opened.expedient.id)
    db.session.commit()
    login(client, "anna")  # Catalan, the default: the stored code "draft" must not show
    html = client.get(f"/expedients/{opened.expedient.id}").get_data(as_text=True)
    assert 'data-status="draft">esborrany</span>' in html


def test_diagram_json_marks_completed_and_current_elements(client, world):
    opened = open_case(world)
    login_en(client, "anna")
    data = client.get(f"/expedients/{opened.expedient.id}/diagram.json").get_json()
    assert "bpmndi:BPMNDiagram" in data["xml"]
    assert data["current"] == ["Task_revisar"]
    assert "StartEvent_entrada" in data["completed"]

    task = ready_task(opened.expedient.id)
    client.post(f"/tasks/{task.id}", data={"csrf_token": token(client), "action": "complete", "idem_key": "d1",
                                           "data.unitat_responsable": "Secretaria", "data.completa": "1"})
    data = client.get(f"/expedients/{opened.expedient.id}/diagram.json").get_json()
    assert data["current"] == ["Task_tramitar"]
    assert "Task_revisar" in data["completed"]


def test_upload_and_download_a_document(client, world):
    opened = open_case(world)
    login_en(client, "anna")
    content = b"%PDF-1.4\n informe tecnic \n%%EOF"
    response = client.post(f"/expedients/{opened.expedient.id}/documents", content_type="multipart/form-data",
                           data={"csrf_token": token(client), "file": (io.BytesIO(content), "informe.pdf"),
                                 "title": "Informe tècnic", "tipo_documental": "TD13", "origin": "administration"})
    assert response.status_code == 302
    doc = db.session.execute(db.select(Document)).scalar_one()
    assert (doc.title, doc.tipo_documental, doc.from_administration) == ("Informe tècnic", "TD13", True)
    html = client.get(f"/expedients/{opened.expedient.id}").get_data(as_text=True)
    assert "Informe tècnic" in html and "TD13" in html
    # The ENI type in the reader's words, in the table and in the upload form's list (not ENI's Spanish).
    assert 'TD13 <span class="small text-body-secondary">Report</span>' in html
    assert '<option value="TD99" selected>TD99 · Other</option>' in html and "Otros" not in html

    download = client.get(f"/expedients/{opened.expedient.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_new_version_by_upload_and_an_uploaded_document_issued_with_a_csv(client, world):
    opened = open_case(world)
    eid = opened.expedient.id
    login_en(client, "anna")
    client.post(f"/expedients/{eid}/documents", content_type="multipart/form-data",
                data={"csrf_token": token(client), "file": (io.BytesIO(b"%PDF-1.4\n v1 \n%%EOF"), "informe.pdf"),
                      "title": "Informe", "tipo_documental": "TD13", "origin": "administration"})
    first = db.session.execute(db.select(Document)).scalar_one()
    page = client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert "Upload a new version" in page and "Issue with a CSV" in page

    corrected = b"%PDF-1.4\n v2 corregida \n%%EOF"
    response = client.post(f"/expedients/{eid}/documents/{first.id}/versions", content_type="multipart/form-data",
                           data={"csrf_token": token(client), "file": (io.BytesIO(corrected), "informe-v2.pdf")})
    assert response.status_code == 302
    latest = db.session.execute(db.select(Document).where(Document.previous_version_id == first.id)).scalar_one()
    assert latest.version == 2
    page = client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert "Version 2 of Informe added." in page and "version 2" in page
    assert client.get(f"/expedients/{eid}/documents/{latest.id}").data == corrected

    issued = client.post(f"/expedients/{eid}/documents/{latest.id}/issue", data={"csrf_token": token(client)})
    assert issued.status_code == 302
    db.session.expire_all()
    csv = db.session.get(Document, latest.id).csv
    assert csv and f"issued with the CSV {csv}." in client.get(f"/expedients/{eid}").get_data(as_text=True)
    # The first version is no longer the latest: a version of it is refused beside its form.
    again = client.post(f"/expedients/{eid}/documents/{first.id}/versions", content_type="multipart/form-data",
                        data={"csrf_token": token(client), "file": (io.BytesIO(b"x"), "x.pdf")})
    assert again.status_code == 409 and "not the latest version" in again.get_data(as_text=True)


def test_upload_errors_are_readable(client, world):
    opened = open_case(world)
    login_en(client, "anna")
    response = client.post(f"/expedients/{opened.expedient.id}/documents", content_type="multipart/form-data",
                           data={"csrf_token": token(client), "file": (io.BytesIO(b"x"), "a.txt"),
                                 "title": "Plànol de situació", "tipo_documental": "TD77", "origin": "citizen"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422  # the case file's page, the form as typed, the reason over it
    assert "Unknown document type TD77" in (field_error(html, "upload") or "")
    assert 'id="title" name="title" value="Plànol de situació"' in html and 'value="citizen" selected' in html
    assert _count(Document) == 0


def test_document_of_another_expedient_is_not_served_through_this_one(client, world):
    one, two = open_case(world), open_case(world, nif="00000000T")
    login_en(client, "anna")
    client.post(f"/expedients/{two.expedient.id}/documents", content_type="multipart/form-data",
                data={"csrf_token": token(client), "file": (io.BytesIO(b"secret"), "a.txt"), "title": "A"})
    doc = db.session.execute(db.select(Document)).scalar_one()
    assert client.get(f"/expedients/{one.expedient.id}/documents/{doc.id}").status_code == 404


def test_close_and_reopen_by_the_allowed_roles(client, world):
    opened = open_case(world)
    eid = opened.expedient.id
    login_en(client, "toni")  # tècnic: may neither close nor reopen
    assert client.post(f"/expedients/{eid}/close", data={"csrf_token": token(client)}).status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})

    login_en(client, "anna")
    assert "Close the case file" in client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert client.post(f"/expedients/{eid}/close", data={"csrf_token": token(client)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Expedient, eid).state == "E02"
    page = client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert "Reopen" not in page  # a tramitador cannot reopen
    assert client.post(f"/expedients/{eid}/reopen", data={"csrf_token": token(client),
                                                          "reason": "Error material"}).status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})

    login_en(client, "sergi")
    short = client.post(f"/expedients/{eid}/reopen", data={"csrf_token": token(client), "reason": "no"})
    html = short.get_data(as_text=True)
    assert short.status_code == 422 and "Give the reason for reopening" in (field_error(html, "reopen") or "")
    assert 'aria-describedby="reopen-error" id="reason" name="reason" required minlength="5" value="no"' in html
    ok = client.post(f"/expedients/{eid}/reopen", data={"csrf_token": token(client),
                                                         "reason": "Cal afegir l'informe que faltava"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(Expedient, eid).state == "E01"
    assert "Cal afegir l&#39;informe que faltava" in client.get(f"/expedients/{eid}").get_data(as_text=True)


def test_list_and_search(client, world):
    one = open_case(world, subject="Llicència de gual", nif="12345678Z", name="Maria Garcia")
    two = open_case(world, subject="Certificat", nif="B12345674", name="Construccions Segre SL")
    login_en(client, "anna")
    listing = client.get("/expedients").get_data(as_text=True)
    assert one.expedient.number in listing and two.expedient.number in listing
    assert 'id="import-eni" href="/eni/import">Import an ENI case file</a>' in listing  # another tool's export
    found = client.get("/expedients?q=B12345674").get_data(as_text=True)
    assert two.expedient.number in found and one.expedient.number not in found
    partial = client.get("/expedients?q=gual", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert one.expedient.number in partial and "<html" not in partial


def _numbers(html: str) -> list[str]:
    import re

    return re.findall(r'<a href="/expedients/\d+">(\d{4}/\d{6})</a>', html)


def test_the_list_filters_by_state_and_procedure_and_pages_older_ones(client, world):
    from engine.documents.closing import close_expedient
    from engine.expedients.expedients import open_expedient

    ctx = ctx_for(world.clerk, world.tenant)
    gual = open_case(world, subject="Llicència de gual").expedient  # of the INSTANCIA procedure
    older = [open_expedient(ctx, f"Petició {n}") for n in range(51)]  # opened by hand, no procedure
    close_expedient(ctx, older[-1].id)
    db.session.commit()
    login_en(client, "anna")

    first = client.get("/expedients").get_data(as_text=True)
    assert _numbers(first) == [e.number for e in reversed(older)][:50]  # newest first, 50 a page
    assert 'id="newest-page"' not in first and 'id="older-page"' in first
    after = client.get(f"/expedients?after={older[1].id}").get_data(as_text=True)
    assert _numbers(after) == [older[0].number, gual.number] and 'id="older-page"' not in after
    assert 'id="newest-page"' in after

    closed = client.get("/expedients?state=closed").get_data(as_text=True)
    assert _numbers(closed) == [older[-1].number]
    assert '<option value="closed" selected>' in closed
    by_procedure = client.get(f"/expedients?procedure={world.model.key}", headers={"HX-Request": "true"})
    assert _numbers(by_procedure.get_data(as_text=True)) == [gual.number]
    nothing = client.get(f"/expedients?procedure={world.model.key}&state=closed").get_data(as_text=True)
    assert _numbers(nothing) == [] and "No case file matches." in nothing
    # A state or page the list does not know is not an error: all states, from the newest.
    assert _numbers(client.get("/expedients?state=archived").get_data(as_text=True))[:1] == [older[-1].number]
    broken = client.get("/expedients?after=x")
    assert broken.status_code == 422 and "Enter a whole number between 1 and" in broken.get_data(as_text=True)


def test_other_tenants_expedient_is_not_found_on_every_route(client, world):
    opened = open_case(world)
    eid = opened.expedient.id
    login_en(client, "anna")
    client.post(f"/expedients/{eid}/documents", content_type="multipart/form-data",
                data={"csrf_token": token(client), "file": (io.BytesIO(b"x"), "a.txt"), "title": "A"})
    doc = db.session.execute(db.select(Document)).scalar_one()
    client.post("/logout", data={"csrf_token": token(client)})

    login_en(client, "oriol")
    t = token(client)
    for path in (f"/expedients/{eid}", f"/expedients/{eid}/diagram.json", f"/expedients/{eid}/documents/{doc.id}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/expedients/{eid}/close", f"/expedients/{eid}/reopen"):
        assert client.post(path, data={"csrf_token": t, "reason": "Per provar-ho"}).status_code == 404, path
    upload = client.post(f"/expedients/{eid}/documents", content_type="multipart/form-data",
                         data={"csrf_token": t, "file": (io.BytesIO(b"x"), "b.txt"), "title": "B"})
    assert upload.status_code == 404
    # Nor can another tenant's procedure be used to open one here.
    assert client.post("/expedients/new", data={"csrf_token": t, "process_model_id": 999999,
                                                "subject": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Expedient, eid).state == "E01" and _count(Document) == 1


def test_opening_needs_an_opener_role(client, world):
    login_en(client, "toni")
    assert client.get("/expedients/new").status_code == 403
    assert client.post("/expedients/new", data={"csrf_token": token(client), "subject": "x",
                                                "process_model_id": world.model.id}).status_code == 403


def test_posts_without_csrf_are_refused(client, world):
    opened = open_case(world)
    login_en(client, "anna")
    assert client.post(f"/expedients/{opened.expedient.id}/close").status_code == 400
    assert client.post("/expedients/new", data={"process_model_id": world.model.id, "subject": "x"}).status_code == 400
    assert _count(Expedient) == 1 and db.session.get(Expedient, opened.expedient.id).state == "E01"


def test_validation_failed_is_not_a_crash_for_unknown_ids(client, world):
    login_en(client, "anna")
    assert client.get("/expedients/999999").status_code == 404
    assert ValidationFailed  # imported for readers: engine errors render as pages
    assert _count(HumanTask) == 0
