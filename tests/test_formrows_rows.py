"""A refused task form comes back with its rows as sent: only those, in their order, with their values
and each error beside its row, even when a row removed in the page left a gap in the indexes."""

from __future__ import annotations

import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from engine.base.db import db
from engine.process.definition.deploy import deploy_process
from engine.registry.open_expedient import PartyInput, open_and_start
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, make_world, ready_task, token
from webapp.forms_render import as_submitted, build_fields, parse_submission

SCHEMA = {
    "type": "object",
    "required": ["acta"],
    "properties": {
        "acta": {"type": "string", "title": "Acta"},
        "punts": {
            "type": "array", "title": "Puntuació",
            "items": {"type": "object", "required": ["criteri"], "properties": {
                "criteri": {"type": "string", "title": "Criteri"},
                "punts": {"type": "integer", "title": "Punts", "minimum": 0, "maximum": 10},
            }},
        },
    },
}

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://gee.example/bpmn">
  <bpmn:process id="valoracio" name="Valoració de prova" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_valorar" name="Valorar">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="valoracio.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Task_valorar" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_valorar" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def task(tmp_path):
    world = make_world()
    (tmp_path / "valoracio.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    result = deploy_process(None, BPMN, tenant_id=world.tenant.id, forms_dir=tmp_path)
    assert result.ok, result.problems
    db.session.commit()
    opened = open_and_start(ctx_for(world.clerk, world.tenant), process_model_id=result.version.model_id,
                            subject="Valoració", party=PartyInput("12345678Z", "Maria Garcia"))
    return ready_task(opened.expedient.id)


def shown_rows(html: str) -> list[tuple[str, str]]:
    """(legend, criterion's value) of each row on the page, the row template left out."""
    page = re.sub(r"<template data-row-template>.*?</template>", "", html, flags=re.S)
    legends = re.findall(r'<legend class="visually-hidden">([^<]*)</legend>', page)
    values = re.findall(r'name="data\.punts\.\d+\.criteri"\s+type="text"\s+value="([^"]*)"', page)
    return list(zip(legends, values, strict=True))


def post(client, task, fields: dict[str, str]):
    return client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "complete", "idem_key": f"rows-{len(fields)}", **fields,
    })


def test_a_fresh_form_offers_blank_rows(client, task):
    login_en(client, "anna")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert shown_rows(html) == [("Row 1", ""), ("Row 2", "")]


def test_a_removed_row_does_not_come_back(client, task):
    """The tester's case: row 2 removed in the page, row 1 filled, the form refused (the minutes missing)."""
    login_en(client, "anna")
    response = post(client, task, {"data.punts.0.criteri": "Impacte social", "data.punts.0.punts": "7"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "f-data-acta") == "This field is required."
    assert shown_rows(html) == [("Row 1", "Impacte social")]
    assert 'name="data.punts.0.punts"' in html and 'value="7"' in html


def test_rows_with_gaps_come_back_in_order_with_the_error_beside_its_row(client, task):
    login_en(client, "anna")
    response = post(client, task, {
        "data.acta": "Acta 1/2027",
        "data.punts.0.criteri": "Impacte", "data.punts.0.punts": "3",
        "data.punts.2.criteri": "", "data.punts.2.punts": "",  # a blank row sent (no JavaScript)
        "data.punts.5.criteri": "Viabilitat", "data.punts.5.punts": "99",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown_rows(html) == [("Row 1", "Impacte"), ("Row 2", ""), ("Row 3", "Viabilitat")]
    assert field_error(html, "f-data-punts-2-punts") == "Enter 10 or less."
    assert field_error(html, "f-data-punts-1-punts") is None and field_error(html, "f-data-punts-0-punts") is None


def test_a_row_missing_its_criterion_is_pointed_at(client, task):
    login_en(client, "anna")
    response = post(client, task, {
        "data.acta": "Acta 1/2027",
        "data.punts.1.criteri": "", "data.punts.1.punts": "",
        "data.punts.3.punts": "4",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown_rows(html) == [("Row 1", ""), ("Row 2", "")]
    assert field_error(html, "f-data-punts-1-criteri") == "This field is required."
    assert field_error(html, "f-data-punts-0-criteri") is None


def test_a_number_that_is_not_one_is_shown_beside_its_row(client, task):
    login_en(client, "anna")
    response = post(client, task, {
        "data.acta": "Acta 1/2027",
        "data.punts.0.criteri": "", "data.punts.4.criteri": "Impacte", "data.punts.4.punts": "set",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown_rows(html) == [("Row 1", ""), ("Row 2", "Impacte")]
    assert field_error(html, "f-data-punts-1-punts") == "Enter a whole number."


def test_the_data_keeps_only_the_filled_rows_in_order(client, task):
    form = MultiDict({"data.acta": "x", "data.punts.7.criteri": "C", "data.punts.2.criteri": "A",
                      "data.punts.4.criteri": "", "data.punts.10.criteri": "D"})
    data, errors = parse_submission(SCHEMA, form)
    assert errors == {}
    assert data["punts"] == [{"criteri": "A"}, {"criteri": "C"}, {"criteri": "D"}]


def test_as_submitted_moves_the_errors_of_the_data_to_the_rows_shown(app):
    form = MultiDict({"f_acta": "", "f_punts.0.criteri": "", "f_punts.3.criteri": "B", "f_punts.3.punts": "11"})
    values, errors = as_submitted(SCHEMA, form, {"punts/0/punts": "too much", "acta": "missing", "": "general"},
                                  name_prefix="f", separator="_")
    assert values["punts"] == [{}, {"criteri": "B", "punts": 11}]
    assert errors == {"punts/1/punts": "too much", "acta": "missing", "": "general"}
    with app.test_request_context():
        (_acta, punts) = build_fields(SCHEMA, values, errors, name_prefix="f", separator="_", spare_rows=0)
    assert len(punts.rows) == 2
    assert [f.error for f in punts.rows[1]] == [None, "too much"]
