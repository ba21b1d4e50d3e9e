"""What testers walking the clerk's day noticed: the deadline marker of tasks without a due date,
the steps that only wait for a notification, the registry's expedient numbers, NIFs and
attachments, the signatures in words, and a draft with an impossible date."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.base.clock import utcnow
from engine.base.db import db
from engine.documents.documents import issue_document, record_signature, store_document
from engine.expedients.expedients import Expedient
from engine.notifications import notifications as n
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.registry.entries import RegistryEntry
from tests.conftest import csrf_token, ctx_for, login
from tests.engine_helpers import REVIEW_FORM, make_version
from tests.procedures_helpers import ready, town
from tests.test_web_registry import WHERE_TO_NOTIFY
from tests.web_clerk import World, field_error, login_en, make_world, open_case, ready_task, token
from webapp.forms_render import parse_submission


@pytest.fixture
def world() -> World:
    return make_world()


def _row(html: str, task_id: int) -> str:
    match = re.search(rf'<tr data-task-id="{task_id}".*?</tr>', html, re.S)
    assert match, f"task {task_id} is not listed"
    return match.group(0)


# -- 1. the deadline marker ------------------------------------------------------------------------


def test_a_task_without_a_due_date_does_not_claim_to_be_on_time(client, world):
    dated, undated = open_case(world, nif="00000000T"), open_case(world, nif="00000001R")
    ready_task(dated.expedient.id).due_at = utcnow() + timedelta(days=30)
    db.session.commit()
    with_due, without_due = ready_task(dated.expedient.id).id, ready_task(undated.expedient.id).id
    login_en(client, "anna")

    html = client.get("/tasks").get_data(as_text=True)

    assert "On time" in _row(html, with_due)
    assert "On time" not in _row(html, without_due) and "No due date" in _row(html, without_due)
    page = client.get(f"/tasks/{without_due}").get_data(as_text=True)
    assert "No due date" in page and "On time" not in page


def test_a_completed_task_shows_no_deadline_marker(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    task.due_at = utcnow() + timedelta(days=30)
    task_id = task.id
    db.session.commit()
    login_en(client, "anna")
    assert "On time" in client.get(f"/tasks/{task_id}").get_data(as_text=True)

    done = client.post(f"/tasks/{task_id}", data={"csrf_token": token(client), "action": "complete",
                                                  "data.completa": "1", "data.unitat_responsable": "Secretaria"})
    assert done.status_code == 302, done.get_data(as_text=True)

    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "This task is no longer pending." in page
    assert not re.search(r'class="badge[^"]*deadline', page)
    assert "On time" not in page and "No due date" not in page


# -- 2. steps that only wait for a notification ---------------------------------------------------


def test_a_step_waiting_for_a_notification_is_marked_so_in_the_inbox(client: FlaskClient) -> None:
    t = town()
    assert deploy_process(None, Path(__file__).parent / "fixtures" / "bpmn" / "notify_block.bpmn",
                          shared=True, created_by="tests").ok
    db.session.commit()
    expedient_id = t.open_case("Llicència d'obres menors")
    instance_id = t.start("notify_block", expedient_id,
                          {"documents_presentats": [t.attach(expedient_id, "Decret de concessió")],
                           "sollicitud": {"canal": "electronic"}})
    db.session.commit()
    (waiting,) = ready(instance_id)
    assert n.awaited_by(t.people["tramitador"], waiting.id) is not None
    login(client, "tramitador.proves")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/"), "next": "/"})

    html = client.get("/tasks").get_data(as_text=True)

    row = _row(html, waiting.id)  # still listed: it can be looked at
    assert "data-waiting" in row and "waiting for the notification" in row

    # once the party opens it, the process goes on and the next step is real work again
    (note,) = n.list_notifications(t.people["tramitador"], expedient_id)
    n.access(t.people["tramitador"], note.id)
    db.session.commit()
    n.continue_process(t.people["tramitador"], note.id)
    db.session.commit()
    (following,) = ready(instance_id)
    html = client.get("/tasks").get_data(as_text=True)
    assert f'data-task-id="{waiting.id}"' not in html
    if f'data-task-id="{following.id}"' in html:
        assert "data-waiting" not in _row(html, following.id)


def test_ordinary_tasks_are_not_marked_as_waiting(client, world):
    task_id = ready_task(open_case(world).expedient.id).id
    login_en(client, "anna")
    html = client.get("/tasks").get_data(as_text=True)
    assert "data-waiting" not in _row(html, task_id) and "waiting for the notification" not in html


# -- 3. the registry -------------------------------------------------------------------------------


def _new_entry(client: FlaskClient, content: bytes = b"%PDF-1.4 sollicitud") -> RegistryEntry:
    response = client.post("/registry/new", content_type="multipart/form-data", data={
        "csrf_token": token(client), "nif": "12345678Z", "party_name": "Maria Garcia", **WHERE_TO_NOTIFY,
        "subject": "Sol·licitud de certificat", "channel": "in_person", "tipo_documental": "TD14",
        "files": [(io.BytesIO(content), "sollicitud.pdf")]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.execute(db.select(RegistryEntry).order_by(RegistryEntry.id.desc()).limit(1)).scalar_one()


def test_the_registry_shows_expedient_numbers_the_nif_and_opens_attachments(client, world):
    login_en(client, "anna")
    entry = _new_entry(client)
    entry_id, document_id = entry.id, entry.attachments[0].document_id

    page = client.get(f"/registry/{entry_id}").get_data(as_text=True)
    assert "Maria Garcia <span" in page and "(12345678Z)" in page
    link = f'href="/registry/{entry_id}/documents/{document_id}"'
    assert link in page
    download = client.get(f"/registry/{entry_id}/documents/{document_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 sollicitud"
    assert download.headers["Content-Disposition"].startswith("attachment")

    opened = client.post(f"/registry/{entry_id}/open",
                         data={"csrf_token": token(client), "process_model_id": str(world.model.id)})
    assert opened.status_code == 302
    joined = db.select(Expedient.number).join(RegistryEntry, RegistryEntry.expedient_id == Expedient.id)
    number = db.session.execute(joined.where(RegistryEntry.id == entry_id)).scalar_one()

    listing = client.get("/registry").get_data(as_text=True)
    assert f">{number}</a>" in listing and ">open</a>" not in listing
    assert f">{number}</a>" in client.get(f"/registry/{entry_id}").get_data(as_text=True)
    # the attachment is the expedient's now, and still opens from the entry
    assert client.get(f"/registry/{entry_id}/documents/{document_id}").status_code == 200


def test_a_registry_attachment_opens_only_from_its_own_entry_and_municipality(client, world):
    login_en(client, "anna")
    first, second = _new_entry(client), _new_entry(client, b"%PDF-1.4 una altra")
    first_id, second_doc = first.id, second.attachments[0].document_id
    assert client.get(f"/registry/{first_id}/documents/{second_doc}").status_code == 404
    client.post("/logout", data={"csrf_token": token(client)})
    login_en(client, "oriol")  # the neighbouring town's clerk
    assert client.get(f"/registry/{second.id}/documents/{second_doc}").status_code == 404


# -- 4. signatures in words ------------------------------------------------------------------------


def test_the_signature_column_says_what_kind_of_signature_in_words(client, world):
    opened = open_case(world)
    ctx = ctx_for(world.clerk, world.tenant)
    issued = store_document(ctx, opened.expedient.id, "r.pdf", b"%PDF-1.4 resolucio", title="Resolució",
                            tipo_documental="TD01", from_administration=True)
    issue_document(ctx, issued.id)
    signed = store_document(ctx, opened.expedient.id, "d.pdf", b"%PDF-1.4 decret", title="Decret",
                            tipo_documental="TD01", from_administration=True)
    record_signature(ctx, signed.id, signature_type="TF06", signer="Alba Mas")
    db.session.commit()
    login_en(client, "anna")

    page = client.get(f"/expedients/{opened.expedient.id}").get_data(as_text=True)

    assert re.search(r'title="TF01"[^>]*>CSV</span>', page)
    assert re.search(r'title="TF06"[^>]*>PAdES signature</span> · Alba Mas', page)
    assert not re.search(r">\s*TF0\d\b", page)


# -- 6. a draft with an impossible date -------------------------------------------------------------

DATED_FORM: dict[str, Any] = {
    **REVIEW_FORM,
    "properties": {**REVIEW_FORM["properties"], "decided_on": {"type": "string", "format": "date"}},  # type: ignore[dict-item]
}


def _dated_task(world: World) -> int:
    ctx = ctx_for(world.clerk, world.tenant)
    version = make_version(world.tenant.id, "exec_loop", forms={"review.schema.json": DATED_FORM})
    task_id = int(instances.start_instance(ctx, version, data={"rounds": 0})["ready_tasks"][0]["id"])
    db.session.commit()
    return task_id


def _draft(task_id: int) -> dict[str, Any] | None:
    return db.session.execute(db.select(HumanTask.draft_data).where(HumanTask.id == task_id)).scalar_one()


def test_a_draft_with_an_impossible_date_is_refused_beside_the_field(client, world):
    task_id = _dated_task(world)
    login_en(client, "anna")

    refused = client.post(f"/tasks/{task_id}", data={"csrf_token": token(client), "action": "draft",
                                                     "data.notes": "Revisat", "data.decided_on": "31/02/2027"})

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Draft saved." not in html
    assert field_error(html, "f-data-decided_on") == "Enter a valid date (day, month and year)."
    db.session.expire_all()
    assert _draft(task_id) is None

    kept = client.post(f"/tasks/{task_id}", data={"csrf_token": token(client), "action": "draft",
                                                  "data.notes": "Revisat", "data.decided_on": "2027-02-28"})
    assert kept.status_code == 302
    db.session.expire_all()
    assert (_draft(task_id) or {}).get("decided_on") == "2027-02-28"


def test_the_form_reading_refuses_a_day_that_does_not_exist():
    schema = {"type": "object", "properties": {"on": {"type": "string", "format": "date"}}}
    for wrong in ("31/02/2027", "2027-02-31", "20270228", "demà"):
        assert parse_submission(schema, {"data.on": wrong})[1] == {"on": "Enter a valid date (day, month and year)."}
    assert parse_submission(schema, {"data.on": "2027-02-28"}) == ({"on": "2027-02-28"}, {})
    assert parse_submission(schema, {"data.on": ""}) == ({}, {})
