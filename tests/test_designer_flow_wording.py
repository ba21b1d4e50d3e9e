"""What a process designer and a platform administrator read along their flows: a test-run names
data it cannot use and speaks the reader's language, a broken DMN brought with a model is reported,
a tenant code is refused for what is really wrong with it, the modeler's own words are translated."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from pathlib import Path

import pytest

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.process.definition.deploy import deploy_process, deploy_uploaded
from engine.simulation.report import Action, Produced, Step
from engine.simulation.runner import Plan, data_task_ids, simulate
from engine.tenancy.admin import CODE_MAX_LENGTH, NewUser, create_tenant
from tests.conftest import PASSWORD, csrf_token, ctx_for, login, make_tenant, make_user

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sol-licitud-de-prova"
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"


def _designer_ctx(tenant):
    return ctx_for(make_user(f"dis-{tenant.code}", tenant, roles=("dissenyador",)), tenant)


def _example_draft(ctx):
    result = deploy_process(ctx, EXAMPLE / "sollicitud_de_prova.bpmn", forms_dir=EXAMPLE / "forms",
                            templates_dir=EXAMPLE / "templates", draft=True)
    assert result.problems == []
    db.session.commit()
    return result.version


# --- 2. data for a task the model does not have -------------------------------------------------


def test_data_for_an_unknown_task_is_refused_naming_it_and_the_model_s_tasks(tenant):
    ctx = _designer_ctx(tenant)
    version = _example_draft(ctx)
    assert data_task_ids(version) == ["T_dades", "T_resposta"]
    report = simulate(ctx, version, Plan(task_data={"T_nope": {"nom": "X"}, "T_dades": {"nom": "Joana"}}))
    assert report.outcome == "invalid" and report.steps == [] and report.actions == []
    assert "T_nope" in report.message and "T_dades, T_resposta" in report.message
    assert "T_dades," not in report.message.split("T_nope")[0]  # only the unknown id is blamed


def test_known_task_data_still_runs(tenant):
    ctx = _designer_ctx(tenant)
    version = _example_draft(ctx)
    report = simulate(ctx, version, Plan(task_data={"T_dades": {"nom": "Joana Vidal"}}))
    assert report.outcome == "completed", report.message


def test_an_outcome_for_no_step_of_the_model_is_refused_naming_it(tenant):
    """A typo in ``outcomes`` would test the usual path and look like the other one was tested."""
    ctx = _designer_ctx(tenant)
    version = _example_draft(ctx)
    report = simulate(ctx, version, Plan(outcomes={"Nope_1": "signed"}))
    assert report.outcome == "invalid" and report.steps == []
    assert report.message == "The test data gives an outcome for Nope_1, which is no step or message of this model."
    assert simulate(ctx, version, Plan(outcomes={"S_notificar": "accessed"})).outcome == "completed"


# --- 3. a malformed DMN brought with a model -----------------------------------------------------


def test_an_unreferenced_malformed_dmn_uploaded_with_a_model_is_reported(tenant):
    ctx = _designer_ctx(tenant)
    bpmn = (EXAMPLE / "sollicitud_de_prova.bpmn").read_text(encoding="utf-8")
    forms = {f.name: f.read_bytes() for f in (EXAMPLE / "forms").glob("*.json")}
    templates = {f.name: f.read_bytes() for f in (EXAMPLE / "templates").glob("*.html")}
    result = deploy_uploaded(ctx, bpmn, forms=forms, templates=templates,
                             dmn_files={"taxes.dmn": b"<definitions><decision id='x'>"}, draft=True)
    assert result.version is None
    problems = {p.element_id: str(p.message) for p in result.problems}
    assert "taxes.dmn" in problems and "not well-formed" in problems["taxes.dmn"]


def test_a_good_unreferenced_dmn_does_not_block_the_upload(tenant):
    ctx = _designer_ctx(tenant)
    bpmn = (EXAMPLE / "sollicitud_de_prova.bpmn").read_text(encoding="utf-8")
    forms = {f.name: f.read_bytes() for f in (EXAMPLE / "forms").glob("*.json")}
    templates = {f.name: f.read_bytes() for f in (EXAMPLE / "templates").glob("*.html")}
    result = deploy_uploaded(ctx, bpmn, forms=forms, templates=templates,
                             dmn_files={"fee.dmn": (FIXTURES / "fee.dmn").read_bytes()}, draft=True)
    assert result.problems == []


# --- 4. tenant codes -----------------------------------------------------------------------------


def _create(platform, code):
    return create_tenant(platform, code=code, name="Ajuntament de Sant", dir3="L01250019", ine_code="250019",
                         first_admin=NewUser("admin.sant", "Admin Sant", PASSWORD, "admin@sant.cat"))


@pytest.mark.parametrize(("code", "says"), [
    ("", "The code is required."),
    ("   ", "The code is required."),
    ("a" * (CODE_MAX_LENGTH + 1), f"has {CODE_MAX_LENGTH + 1} characters and at most {CODE_MAX_LENGTH}"),
    ("-sant", "cannot start or end with a dash"),
    ("sant-", "cannot start or end with a dash"),
    ("sant_vicenç", "lower-case letters, digits and dashes"),
])
def test_a_wrong_tenant_code_is_refused_for_what_is_wrong(platform, code, says):
    with pytest.raises(ValidationFailed) as err:
        _create(platform, code)
    assert err.value.field == "code" and says in str(err.value)


def test_a_code_of_the_longest_length_is_accepted(platform):
    assert _create(platform, "a" * CODE_MAX_LENGTH).code == "a" * CODE_MAX_LENGTH


# --- 5. the modeler's own words ------------------------------------------------------------------


def test_the_modeler_gets_its_headers_and_context_pad_in_the_page_s_language(client):
    tenant = make_tenant()
    ctx = ctx_for(make_user("dissenyadora", tenant, roles=("dissenyador",)), tenant)
    version = _example_draft(ctx)
    login(client, "dissenyadora")
    page = client.get(f"/catalogue/{version.model_id}/modeler").get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="modeler-config">(.*?)</script>', page, re.S)[1])
    for shown in ("Start Event", "Exclusive Gateway", "Terminate End Event", "Sequence Flow", "Collaboration",
                  "Change element", "Delete", "Add text annotation"):
        assert shown in config["builtin"], shown
    assert config["builtin"]["Exclusive Gateway"] == "Porta exclusiva"  # the page is in Catalan
    assert config["builtin"]["Change element"] == "Canvia l'element"
    # bpmn-js asks for a non-interrupting boundary event's header in this spelling.
    assert "Timer Boundary Event (Non Interrupting)" in config["builtin"]


# --- 6. the test-run report in the reader's words ------------------------------------------------


def test_the_report_s_codes_have_words():
    assert Step("T", "", "UserTask").kind_label == "User task"
    assert Step("S", "", "StartEvent").kind_label == "Start event"
    assert Step("X", "", "SomethingNew").kind_label == "SomethingNew"
    assert Action("T", "sign", {"role": "alcalde"}).summary == "Signed by the Mayor."
    assert Action("T", "notification", {"notification_outcome": "expired"}).summary == (
        "The notification expired without being opened.")
    assert "2026-03-02" in Action("T", "clock", {"now": "2026-03-02T10:00:01+00:00"}).summary
    notification = Produced("notification", "#10", "electronic pending", {"channel": "electronic", "state": "pending"})
    assert notification.kind_label == "Notification" and notification.detail_label == "electronic, pending"
    registry = Produced("registry", "Resposta", "S S/2026/000001", {"direction": "S", "number": "S/2026/000001"})
    assert registry.kind_label == "Registry entry" and registry.detail_label.endswith(" S/2026/000001")
    assert Produced("decree", "Decret", "signed", {"number": "", "status": "signed"}).detail_label == "signed"


def _upload(client, bpmn: bytes, forms: list[Path], templates: list[Path]) -> str:
    files = {"bpmn": (io.BytesIO(bpmn), "model.bpmn"),
             "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in forms],
             "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in templates],
             "csrf_token": csrf_token(client, "/catalogue/")}
    response = client.post("/catalogue/deploy", data=files, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.location


def _test_run(client, location: str, plan: dict) -> str:
    token = csrf_token(client, location)
    response = client.post(location.replace("/preview", "/test-run"),
                           data={"plan": json.dumps(plan), "mode": "one", "csrf_token": token})
    assert response.status_code == 200
    report = response.get_data(as_text=True).split('id="run-report"', 1)[1].split("</section>", 1)[0]
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", report)).split())


def test_the_web_report_speaks_the_reader_s_language(client, designer):
    location = _upload(client, (EXAMPLE / "sollicitud_de_prova.bpmn").read_bytes(),
                       sorted((EXAMPLE / "forms").glob("*.json")), sorted((EXAMPLE / "templates").glob("*.html")))
    text = _test_run(client, location, {"tasks": {"T_dades": {"nom": "Joana Prova"}}})
    assert "(User task)" in text and "(Start event)" in text
    assert "(UserTask)" not in text and "(StartEvent)" not in text
    assert "T_dades Register the application: Completed with this data:" in text and "Joana Prova" in text
    assert "complete {" not in text
    assert "Document: " in text and "document:" not in text
    assert "Notification: #" in text and "pending" in text and "electronic pending" not in text


def test_the_web_report_names_an_unknown_task(client, designer):
    location = _upload(client, (EXAMPLE / "sollicitud_de_prova.bpmn").read_bytes(),
                       sorted((EXAMPLE / "forms").glob("*.json")), sorted((EXAMPLE / "templates").glob("*.html")))
    text = _test_run(client, location, {"tasks": {"T_nope": {"nom": "X"}}})
    assert "the test data was refused" in text and "T_nope" in text and "T_dades, T_resposta" in text
    assert "What it would produce" not in text  # nothing ran


FAILING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
  targetNamespace="http://gee.example/bpmn">
  <bpmn:process id="falla_prova" name="Failing script" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute" name="Compute the fee"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>base = 0
fee = 10 / base</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_incident_is_reported_as_one_sentence(client, designer):
    location = _upload(client, FAILING.encode(), [], [])
    text = _test_run(client, location, {})
    assert "stopped by an incident at compute (Compute the fee):" in text, text
    assert " :" not in text and ".." not in text, text
