"""Staff open an expedient of a chosen procedure from a registry entry, which carries its text and
documents into the procedure; the task page then shows the expedient's context beside the form
(what was asked, the documents with their signatures, earlier reports, the deadlines) and the
form starts with what GEE already knows."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest

from engine.base.clock import local_date
from engine.base.db import db
from engine.expedients.expedients import Expedient
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import ProcessModel
from engine.registry.entries import RegistryEntry
from tests.conftest import ctx_for
from tests.procedures_helpers import PROCESSES
from tests.test_web_registry import WHERE_TO_NOTIFY
from tests.web_clerk import login_en, make_world, ready_task, token

SUMMARY = "Vull canviar les rajoles de la cuina del pis del carrer Major, 12."


@pytest.fixture
def world():
    world = make_world()
    result = deploy_process(None, PROCESSES / "llicencia_obres_menors.bpmn", shared=True, created_by="tests")
    assert result.ok, result.problems
    db.session.commit()
    return world


def _value(html: str, name: str) -> str | None:
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else None


def _open_from_entry(client, world) -> tuple[RegistryEntry, Expedient]:
    login_en(client, "anna")
    client.post("/registry/new", content_type="multipart/form-data", data={
        "csrf_token": token(client), "nif": "12345678Z", "party_name": "Maria Garcia", **WHERE_TO_NOTIFY,
        "subject": "Llicència d'obres menors", "summary": SUMMARY, "channel": "in_person",
        "tipo_documental": "TD14", "files": [(io.BytesIO(b"%PDF-1.4 memoria"), "memoria.pdf")]})
    entry = db.session.execute(db.select(RegistryEntry)).scalar_one()
    menors = db.session.execute(db.select(ProcessModel).where(ProcessModel.key == "llicencia_obres_menors")
                                ).scalar_one()
    page = client.get(f"/registry/{entry.id}").get_data(as_text=True)
    assert f'<option value="{menors.id}">' in page  # the procedure chooser offers the shipped procedures
    answer = client.post(f"/registry/{entry.id}/open", data={"csrf_token": token(client),
                                                             "process_model_id": menors.id})
    assert answer.status_code == 302
    expedient = db.session.execute(db.select(Expedient)).scalar_one()
    return entry, expedient


def test_opening_a_chosen_procedure_from_an_entry_carries_its_text_and_documents(client, world):
    entry, expedient = _open_from_entry(client, world)
    assert expedient.subject == "Llicència d'obres menors"
    task = ready_task(expedient.id)
    assert task.element_id == "T_completesa"
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    text = " ".join(unescape(html).split())
    # what was asked: the entry, its text
    request = text[text.index("What was asked"):]
    assert entry.number in request and SUMMARY in request
    # the documents presented, and the receipt sealed with its CSV
    documents = text[text.index('id="task-documents"'):]
    assert "memoria.pdf" in documents and "Not signed" in documents
    assert "Sealed with its CSV" in documents
    card = documents[:documents.index("</section>")]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", card)  # its day in words, not an ISO date
    # the day the application counts from is the entry's effective date (art. 31 Ley 39/2015), never typed;
    # the form starts with what the registry already knows: the applicant, the documents presented
    assert 'name="data.data_entrada"' not in html
    data = instances.show_instance(ctx_for(world.clerk, world.tenant), task.instance_id)["data"]
    assert data["data_entrada"] == local_date(entry.effective_at).isoformat()
    assert _value(html, "data.nif") == "12345678Z" and _value(html, "data.nom") == "Maria Garcia"
    attachment = entry.attachments[0].document_id
    assert re.search(rf'name="data.documents"[^>]*value="{attachment}"[^>]*checked', html) or \
        re.search(rf'value="{attachment}"[^>]*name="data.documents"[^>]*checked', html)


def test_a_later_task_shows_earlier_reports_and_the_running_deadline(client, world):
    entry, expedient = _open_from_entry(client, world)
    clerk = ctx_for(world.clerk, world.tenant)
    task = ready_task(expedient.id)
    instances.complete_task(clerk, task.id, {
        "nif": "12345678Z", "nom": "Maria Garcia", "emplacament": "Carrer Major, 12",
        "referencia_cadastral": "4A08169P03PRAT0001LR", "descripcio_obres": "Rajoles de la cuina",
        "tipus_obra": "reforma_interior", "pressupost": 3000,
        "documents": [entry.attachments[0].document_id], "completa": True})
    instances.complete_task(ctx_for(world.technician, world.tenant), ready_task(expedient.id).id, {
        "informe_tecnic_favorable": True, "informe_tecnic": "Les obres s'ajusten al POUM.", "condicions": ""})
    db.session.commit()
    task = ready_task(expedient.id)
    assert task.element_id == "T_informe_juridic"
    client.post("/logout", data={"csrf_token": token(client)})
    login_en(client, "sergi")
    text = " ".join(unescape(client.get(f"/tasks/{task.id}").get_data(as_text=True)).split())
    reports = text[text.index("Earlier reports"):]
    assert "Informe tècnic" in reports
    deadlines = text[text.index('id="task-deadlines"'):]
    # the maximum term of a minor works licence (one month, positive silence) is running
    assert "Maximum term expired" in deadlines and "Termini màxim exhaurit" not in deadlines  # its name_en
