"""A form field that asks for several documents: the expedient's documents as checkboxes plus new
files, and the engine refusing documents of another expedient or municipality on every path."""

from __future__ import annotations

import io
import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.documents.documents import Document, new_version, read_content, store_document
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.registry.open_expedient import PartyInput, open_and_start
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, make_world, open_case, ready_task, token
from webapp.forms_render import build_fields, parse_submission

SCHEMA = {
    "type": "object",
    "required": ["documents"],
    "properties": {
        "documents": {
            "type": "array", "title": "Documents del projecte", "minItems": 2, "uniqueItems": True,
            "items": {"type": "integer", "format": "document", "minimum": 1},
        },
        "observacions": {"type": "string", "title": "Observacions"},
    },
}

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://gee.example/bpmn">
  <bpmn:process id="aportacio" name="Aportació de documents" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_docs" name="Triar la documentació">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="aportacio.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Task_docs" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_docs" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


def _store(ctx, expedient_id, title, content=b"%PDF-1.4 contingut", from_administration=False):
    return store_document(ctx, expedient_id, f"{title}.pdf", content, title=title, tipo_documental="TD99",
                          from_administration=from_administration)


@pytest.fixture
def case(tmp_path):
    """A task asking for documents, its expedient with two documents (one in two versions), another
    expedient of the same town and one of another town, each with a document."""
    world = make_world()
    (tmp_path / "aportacio.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    result = deploy_process(None, BPMN, tenant_id=world.tenant.id, forms_dir=tmp_path)
    assert result.ok, result.problems
    db.session.commit()
    ctx = ctx_for(world.clerk, world.tenant)
    opened = open_and_start(ctx, process_model_id=result.version.model_id, subject="Obres al carrer Major",
                            party=PartyInput("12345678Z", "Maria Garcia"))
    expedient_id = opened.expedient.id
    plànol = _store(ctx, expedient_id, "Plànol de situació")
    old_memoria = _store(ctx, expedient_id, "Memòria", from_administration=True)  # only its own have versions
    memoria = new_version(ctx, old_memoria.id, b"%PDF-1.4 memoria v2")
    other_case = open_case(world, subject="Un altre expedient")
    elsewhere = _store(ctx, other_case.expedient.id, "Document d'un altre expedient")
    outsider_ctx = ctx_for(world.outsider, world.other_tenant)
    other_town = open_case(world, user=world.outsider, tenant=world.other_tenant)
    foreign = _store(outsider_ctx, other_town.expedient.id, "Document d'un altre ajuntament")
    db.session.commit()
    return {
        "world": world, "ctx": ctx, "task": ready_task(expedient_id), "expedient_id": expedient_id,
        "planol": plànol.id, "old_memoria": old_memoria.id, "memoria": memoria.id,
        "elsewhere": elsewhere.id, "foreign": foreign.id,
    }


def _checkboxes(html: str) -> list[str]:
    return re.findall(r'type="checkbox" id="f-data-documents-\d+" name="data.documents" value="(\d+)"', html)


def _checked(html: str) -> list[str]:
    return re.findall(r'name="data.documents" value="(\d+)"\s+checked', html)


def test_the_field_offers_the_expedients_documents_and_new_files(client, case):
    login_en(client, "anna")
    html = client.get(f"/tasks/{case['task'].id}").get_data(as_text=True)
    # Latest versions of this expedient's documents only: not the old version, not other expedients.
    assert _checkboxes(html) == [str(case["planol"]), str(case["memoria"])]
    assert "Plànol de situació" in html and "TD99" in html
    assert 'type="file" multiple id="f-data-documents-new" name="data.documents__new"' in html
    assert "<legend" in html and "Documents del projecte" in html
    assert 'name="data.documents" type="text"' not in html  # no box to type ids into


def test_upload_two_files_and_tick_one_keeps_the_three_ids(client, case):
    login_en(client, "anna")
    task = case["task"]
    response = client.post(f"/tasks/{task.id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "docs-1",
        "data.documents": str(case["planol"]),
        "data.documents__new": [(io.BytesIO(b"%PDF-1.4 pressupost"), "pressupost.pdf"),
                                (io.BytesIO(b"%PDF-1.4 fotos"), "fotos.pdf")],
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(HumanTask, task.id)
    assert row.state == "completed"
    chosen = instances.show_instance(case["ctx"], row.instance_id)["data"]["documents"]
    assert len(chosen) == 3 and chosen[0] == case["planol"]
    new = [db.session.get(Document, i) for i in chosen[1:]]
    assert [d.expedient_id for d in new] == [case["expedient_id"]] * 2
    assert [d.title for d in new] == ["Documents del projecte: pressupost.pdf", "Documents del projecte: fotos.pdf"]
    assert read_content(case["ctx"], new[0].id)[1] == b"%PDF-1.4 pressupost"


def test_too_few_documents_is_said_next_to_the_field_and_keeps_the_ticks(client, case):
    login_en(client, "anna")
    before = db.session.execute(db.select(db.func.count()).select_from(Document)).scalar_one()
    response = client.post(f"/tasks/{case['task'].id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "docs-2",
        "data.documents": str(case["memoria"]), "data.observacions": "Falta el pressupost",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "f-data-documents") == "Choose or attach more documents: at least 2."
    assert _checked(html) == [str(case["memoria"])]
    assert 'value="Falta el pressupost"' in html
    assert db.session.execute(db.select(db.func.count()).select_from(Document)).scalar_one() == before


def test_nothing_chosen_is_a_required_field(client, case):
    login_en(client, "anna")
    html = client.post(f"/tasks/{case['task'].id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "docs-3",
    }).get_data(as_text=True)
    assert field_error(html, "f-data-documents") == "This field is required."


def test_a_document_of_another_expedient_is_refused_with_a_readable_message(client, case):
    login_en(client, "anna")
    response = client.post(f"/tasks/{case['task'].id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "docs-4",
        "data.documents": [str(case["planol"]), str(case["elsewhere"])],
        "data.documents__new": [(io.BytesIO(b"%PDF-1.4 nou"), "nou.pdf")],
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "f-data-documents") == (
        f"Choose documents of this case file: no. {case['elsewhere']} is not one of them."
    )
    assert _checked(html) == [str(case["planol"])]
    db.session.expire_all()
    assert db.session.get(HumanTask, case["task"].id).state == "ready"
    assert db.session.execute(db.select(Document).where(Document.file_name == "nou.pdf")).first() is None


def test_the_api_refuses_documents_of_another_town(client, case):
    secret = create_token(case["ctx"], "script").secret
    db.session.commit()
    response = client.post(
        f"/api/v1/tasks/{case['task'].id}/complete",
        headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"},
        json={"data": {"documents": [case["planol"], case["foreign"]]}},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["details"] == [{"field": "documents", "message":
                                f"Choose documents of this case file: no. {case['foreign']} is not one of them."}]


def test_the_engine_accepts_own_documents_and_refuses_others(case):
    ctx, task = case["ctx"], case["task"]
    for stranger in ("elsewhere", "foreign"):
        with pytest.raises(ValidationFailed) as refused:
            instances.complete_task(ctx, task.id, {"documents": [case["memoria"], case[stranger]]})
        assert [d.field for d in refused.value.details] == ["documents"]
    # An earlier version still belongs to the expedient.
    done = instances.complete_task(ctx, task.id, {"documents": [case["memoria"], case["old_memoria"]]})
    assert done["status"] == "completed"


def test_parse_and_build_without_a_request():
    stored: list[str] = []

    def store(label, upload):
        stored.append(label)
        return 40 + len(stored)

    class Upload:
        def __init__(self, filename):
            self.filename = filename

    form = MultiDict([("data.documents", "7"), ("data.documents", "7"), ("data.documents", "9")])
    files = MultiDict([("data.documents__new", Upload("a.pdf")), ("data.documents__new", Upload(""))])
    data, errors = parse_submission(SCHEMA, form, files, store)
    assert (data, errors) == ({"documents": [7, 9, 41]}, {})
    assert stored == ["Documents del projecte: a.pdf"]
    _, errors = parse_submission(SCHEMA, MultiDict([("data.documents", "x")]))
    assert errors == {"documents": "Choose documents from the list."}
    field = build_fields(SCHEMA, {"documents": [9]})[0]
    assert field.widget == "documents" and field.value == [9] and field.choices == []
