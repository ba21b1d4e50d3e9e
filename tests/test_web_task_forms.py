"""Task forms rendered from JSON Schema: every widget, typed data back, files into the document
store, repeatable rows, and validation messages in the user's words."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from engine.base.db import db
from engine.documents.documents import Document, read_content
from engine.process.definition.deploy import deploy_process
from engine.process.forms.errors import field_errors
from engine.process.models import HumanTask
from engine.registry.open_expedient import PartyInput, open_and_start
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, make_world, ready_task, token
from webapp.forms_render import build_fields, parse_submission

SCHEMA = {
    "type": "object",
    "title": "Dades de la liquidació",
    "required": ["nom", "quantitat", "data", "informe"],
    "properties": {
        "nom": {"type": "string", "title": "Nom", "description": "Com consta al DNI", "maxLength": 80},
        "motiu": {"type": "string", "title": "Motiu", "format": "textarea"},
        "import": {"type": "number", "title": "Import", "minimum": 0},
        "quantitat": {"type": "integer", "title": "Quantitat", "minimum": 1, "maximum": 10},
        "data": {"type": "string", "format": "date", "title": "Data"},
        "correu": {"type": "string", "format": "email", "title": "Correu"},
        "tipus": {"type": "string", "enum": ["A", "B"], "title": "Tipus"},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "informe": {"type": "integer", "format": "document", "title": "Informe signat"},
        "linies": {
            "type": "array", "title": "Línies",
            "items": {"type": "object", "required": ["concepte"], "properties": {
                "concepte": {"type": "string", "title": "Concepte"},
                "unitats": {"type": "integer", "title": "Unitats"},
            }},
        },
    },
}

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://gee.example/bpmn">
  <bpmn:process id="liquidacio" name="Liquidació de prova" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_dades" name="Omplir les dades">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="liquidacio.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Task_dades" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_dades" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def task(tmp_path):
    world = make_world()
    (tmp_path / "liquidacio.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    result = deploy_process(None, BPMN, tenant_id=world.tenant.id, forms_dir=tmp_path)
    assert result.ok, result.problems
    db.session.commit()
    opened = open_and_start(ctx_for(world.clerk, world.tenant), process_model_id=result.version.model_id,
                            subject="Liquidació", party=PartyInput("12345678Z", "Maria Garcia"))
    return ready_task(opened.expedient.id)


def test_widgets_by_schema():
    fields = {f.path: f for f in build_fields(SCHEMA, {"linies": [{"concepte": "x"}]})}
    assert {p: f.widget for p, f in fields.items()} == {
        "nom": "text", "motiu": "textarea", "import": "number", "quantitat": "integer", "data": "date",
        "correu": "email", "tipus": "select", "urgent": "checkbox", "informe": "file", "linies": "array",
    }
    assert fields["nom"].help == "Com consta al DNI" and fields["nom"].required
    assert fields["quantitat"].attrs == {"step": "1", "min": 1, "max": 10}
    # One filled row plus blank ones, so rows can be added without JavaScript.
    assert len(fields["linies"].rows) == 3
    assert fields["linies"].rows[0][0].name == "data.linies.0.concepte"
    assert fields["linies"].template[0].name == "data.linies.__row__.concepte"


def test_a_field_a_condition_asks_for_names_the_fields_the_condition_reads():
    """"Mancances" is required while "completa" is false (instancia genèrica); in an ``allOf``, each
    rule's fields depend on their own condition only (sol·licitud d'accés a la informació)."""
    forms = Path(__file__).resolve().parent.parent / "forms"
    review = {f.path: f for f in build_fields(json.loads((forms / "instancia_generica_revisar.json").read_text()), {})}
    assert review["mancances"].depends_on == ["data.completa"]
    assert review["completa"].depends_on == [] and review["observacions"].depends_on == []
    admission = {f.path: f for f in build_fields(json.loads((forms / "acces_admissio.json").read_text()), {})}
    assert admission["mancances"].depends_on == ["data.precisa"]
    assert admission["motiu_ampliacio"].depends_on == ["data.ampliar_termini"]


def test_submitted_strings_become_the_schema_types():
    form = MultiDict({
        "data.nom": " Maria ", "data.import": "12,50", "data.quantitat": "3", "data.data": "2026-03-02",
        "data.tipus": "B", "data.urgent": "1", "data.linies.0.concepte": "Taxa", "data.linies.0.unitats": "2",
        "data.linies.1.concepte": "", "data.linies.1.unitats": "", "data.linies.5.concepte": "ICIO",
        "data.informe__existing": "7",
    })
    data, errors = parse_submission(SCHEMA, form)
    assert errors == {}
    assert data == {
        "nom": "Maria", "import": 12.5, "quantitat": 3, "data": "2026-03-02", "tipus": "B", "urgent": True,
        "informe": 7, "linies": [{"concepte": "Taxa", "unitats": 2}, {"concepte": "ICIO"}],
    }


def test_values_that_cannot_be_converted_are_reported_per_field():
    form = MultiDict({"data.quantitat": "tres", "data.import": "molt", "data.tipus": "Z",
                      "data.linies.0.unitats": "1.5", "data.linies.0.concepte": "x"})
    _, errors = parse_submission(SCHEMA, form)
    assert errors == {"quantitat": "Enter a whole number.", "import": "Enter a number.",
                      "tipus": "Choose one of the options.", "linies/0/unitats": "Enter a whole number."}


def test_validation_messages_in_plain_words():
    found = field_errors(SCHEMA, {"nom": "x" * 81, "quantitat": 11, "data": "2026-02-30",
                                  "correu": "no-és-correu", "import": -1, "linies": [{}]})
    assert {e.field: e.message for e in found} == {
        "nom": "Write at most 80 characters.",
        "quantitat": "Enter 10 or less.",
        "data": "Enter a valid date (day, month and year).",
        "correu": "Enter a valid e-mail address.",
        "import": "Enter 0 or more.",
        "informe": "This field is required.",
        "linies/0/concepte": "This field is required.",
    }


def test_complete_with_upload_and_rows(client, task):
    login_en(client, "anna")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'type="file" id="f-data-informe" name="data.informe"' in html
    assert "data-add-row" in html and "<template data-row-template>" in html

    response = client.post(f"/tasks/{task.id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "up-1",
        "data.nom": "Maria", "data.quantitat": "2", "data.data": "2026-03-02",
        "data.informe": (io.BytesIO(b"%PDF-1.4 informe signat"), "informe.pdf"),
        "data.linies.0.concepte": "Taxa", "data.linies.0.unitats": "1",
    })

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(HumanTask, task.id)
    assert row.state == "completed"
    doc = db.session.execute(db.select(Document).where(Document.expedient_id == row.expedient_id)).scalar_one()
    assert doc.title == "Informe signat"
    _, content = read_content(ctx_for(row_user(), row_tenant(row)), doc.id)
    assert content == b"%PDF-1.4 informe signat"


def row_user():
    from engine.tenancy.models import User

    return db.session.execute(db.select(User).where(User.username == "anna")).scalar_one()


def row_tenant(row):
    from engine.tenancy.models import Tenant

    return db.session.get(Tenant, row.tenant_id)


def test_errors_inline_and_no_document_kept(client, task):
    login_en(client, "anna")
    response = client.post(f"/tasks/{task.id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "up-2",
        "data.nom": "Maria", "data.quantitat": "20", "data.data": "2026-03-02",
        "data.informe": (io.BytesIO(b"contingut"), "informe.txt"),
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "f-data-quantitat") == "Enter 10 or less."
    assert 'value="Maria"' in html
    assert db.session.execute(db.select(db.func.count()).select_from(Document)).scalar_one() == 0


def test_a_refused_submit_does_not_offer_the_rolled_back_upload(client, task):
    login_en(client, "anna")
    html = client.post(f"/tasks/{task.id}", content_type="multipart/form-data", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "up-3", "data.quantitat": "2",
        "data.informe": (io.BytesIO(b"contingut"), "informe.txt"),
    }).get_data(as_text=True)
    assert field_error(html, "f-data-nom") == "This field is required."
    assert 'name="data.informe__existing"' not in html
