"""Test-running a draft: the real services run the version along a chosen path in a throwaway
municipality, and nothing of it is kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.decrees.book import Decree
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.process.definition.deploy import deploy_process
from engine.process.models import ProcessInstance
from engine.simulation.runner import Plan, simulate
from engine.tenancy.models import Tenant, User
from tests.conftest import ctx_for, make_user

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sol-licitud-de-prova"


def _designer(tenant):
    return ctx_for(make_user(f"dis-{tenant.code}", tenant, roles=("dissenyador",)), tenant)


def _example_draft(tenant, ctx):
    result = deploy_process(ctx, EXAMPLE / "sollicitud_de_prova.bpmn", forms_dir=EXAMPLE / "forms",
                            templates_dir=EXAMPLE / "templates", draft=True)
    assert result.problems == []
    db.session.commit()
    return result.version


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Tenant, User, Expedient, Document, Decree, ProcessInstance, AuditEvent)}


def test_the_example_runs_to_its_end_and_nothing_is_kept(tenant):
    ctx = _designer(tenant)
    version = _example_draft(tenant, ctx)
    before = _counts()
    report = simulate(ctx, version)
    assert report.outcome == "completed", (report.stopped_at, report.message)
    path = report.path()
    assert path.index("T_dades") < path.index("T_resposta") < path.index("S_notificar")
    assert [a.element_id for a in report.actions] == ["T_dades", "T_resposta"]
    kinds = {(p.kind, p.title) for p in report.produced}
    assert ("document", "Resposta a la sol·licitud de prova") in kinds
    assert any(p.kind == "notification" for p in report.produced)
    assert any(p.kind == "registry" and p.detail.startswith("S") for p in report.produced)
    db.session.rollback()
    assert _counts() == before  # not a row of it stayed


def test_the_designer_data_overrides_the_sample(tenant):
    ctx = _designer(tenant)
    version = _example_draft(tenant, ctx)
    report = simulate(ctx, version, Plan(task_data={"T_dades": {"nom": "Joana Vidal", "idioma": "es"}}))
    first = report.actions[0]
    assert first.element_id == "T_dades" and first.detail["nom"] == "Joana Vidal"
    assert first.detail["nif"] == "12345678Z"  # the rest is sample data the form accepts


def test_bad_override_stops_with_the_form_error(tenant):
    ctx = _designer(tenant)
    version = _example_draft(tenant, ctx)
    report = simulate(ctx, version, Plan(task_data={"T_dades": {"nif": "123"}}))
    assert report.outcome == "invalid" and report.stopped_at == "T_dades" and "nif" in (report.message or "")


def _shipped(name):
    result = deploy_process(None, ROOT / "processes" / f"{name}.bpmn", shared=True)
    assert result.problems == []
    db.session.commit()
    return result.version


def test_the_decree_path_is_signed_attested_and_notified(tenant):
    ctx = _designer(tenant)
    version = _shipped("instancia_generica")
    report = simulate(ctx, version, Plan(task_data={"Task_tramitar": {"cal_resolucio": True}}))
    assert report.outcome == "completed", (report.stopped_at, report.message)
    assert [(a.element_id, a.what) for a in report.actions if a.what in ("sign", "return")] == [
        ("Task_decret", "sign"), ("Task_fe", "sign")]
    assert "EndEvent_tancat" in report.path()
    decree = [p for p in report.produced if p.kind == "decree"]
    documents = [p for p in report.produced if p.kind == "document"]
    assert len(decree) == 1 and decree[0].detail.startswith("DEC/")  # numbered at the mayor's signature
    assert [d.detail for d in documents] == ["TD01"]  # one decree PDF, signed twice: one document


def test_a_returned_decree_goes_back_to_the_proposal_once(tenant):
    ctx = _designer(tenant)
    version = _shipped("instancia_generica")
    plan = Plan(task_data={"Task_tramitar": {"cal_resolucio": True}}, outcomes={"Task_decret": "returned"})
    report = simulate(ctx, version, plan)
    assert report.outcome == "completed"
    done = [(a.element_id, a.what) for a in report.actions]
    assert done.index(("Task_decret", "return")) < done.index(("Task_decret", "sign"))
    assert report.path().count("Task_proposta") == 2


def test_without_a_decree_the_answer_path_is_taken(tenant):
    ctx = _designer(tenant)
    version = _shipped("instancia_generica")
    report = simulate(ctx, version, Plan(task_data={"Task_tramitar": {"cal_resolucio": False}}))
    assert report.outcome == "completed"
    assert "Task_respondre" in report.path() and "Task_decret" not in report.path()


def test_every_path_of_the_instancia_generica_is_found(tenant):
    from engine.simulation.paths import run_every_path

    ctx = _designer(tenant)
    version = _shipped("instancia_generica")
    found = run_every_path(ctx, version, max_runs=10)
    paths = [report.path() for _plan, report in found.ends]
    assert len(set(paths)) == len(paths) >= 3
    assert any("Task_respondre" in p for p in paths)  # no decree: an answer
    assert any("Task_decret" in p and p.count("Task_proposta") == 1 for p in paths)  # decree signed at once
    assert any(p.count("Task_proposta") == 2 for p in paths)  # decree returned, then signed
    assert found.runs <= 10


FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"


def _esmena(tenant, ctx):
    from engine.process.definition.deploy import deploy_uploaded
    from tests.test_seu import FORMS

    text = (FIXTURES / "seu_instancia_esmena.bpmn").read_text(encoding="utf-8")
    # the fixture's last flow (Task_resoldre -> End_resolt) is referenced but not declared: add it
    text = text.replace("</bpmn:process>", '<bpmn:sequenceFlow id="F9" sourceRef="Task_resoldre" '
                        'targetRef="End_resolt" /></bpmn:process>')
    result = deploy_uploaded(ctx, text, forms=FORMS, draft=True)
    assert result.problems == []
    db.session.commit()
    return result.version


def test_a_requeriment_answered_resumes_the_process(tenant):
    ctx = _designer(tenant)
    report = simulate(ctx, _esmena(tenant, ctx), Plan(task_data={"Task_revisar": {"completa": False}}))
    assert report.outcome == "completed"
    assert "answer" in [a.what for a in report.actions]
    assert "Task_resoldre" in report.path() and report.path()[-1] == "End_resolt"


def test_a_requeriment_not_answered_runs_out_its_term(tenant):
    from datetime import datetime, time, timedelta

    from engine.base.clock import MADRID, local_date, utcnow
    from engine.calendar.working_days import TenantCalendar

    ctx = _designer(tenant)
    plan = Plan(task_data={"Task_revisar": {"completa": False}}, outcomes={"resposta_requeriment": "not_answered"})
    report = simulate(ctx, _esmena(tenant, ctx), plan)
    assert report.outcome == "completed", (report.stopped_at, report.message)
    clock = [a for a in report.actions if a.what == "clock"]
    assert len(clock) == 1
    # the clock moved to the first moment after the term: its last day is 10 working days after today
    # (art. 30 Ley 39/2015, the municipality's calendar), and the term runs to the end of that day
    moved_to = datetime.fromisoformat(clock[0].detail["now"]).astimezone(MADRID)
    last_day = TenantCalendar.for_tenant(tenant).add_working_days(local_date(utcnow()), 10)
    assert (moved_to.date(), moved_to.time()) == (last_day + timedelta(days=1), time(0, 0, 0))
    assert "Task_desistiment" in report.path() and report.path()[-1] == "End_desistit"
    assert "Catch_resposta" not in report.path()


def test_every_path_finds_complete_answered_and_withdrawn(tenant):
    from engine.simulation.paths import run_every_path

    ctx = _designer(tenant)
    found = run_every_path(ctx, _esmena(tenant, ctx), max_runs=6)
    ends = {report.path()[-1] for _plan, report in found.ends}
    assert ends == {"End_resolt", "End_desistit"} and len(found.ends) == 3


def test_a_flow_that_leads_nowhere_stops_the_run_where_it_stands(tenant):
    from engine.process.definition.deploy import deploy_uploaded
    from tests.test_seu import FORMS

    ctx = _designer(tenant)
    text = (FIXTURES / "seu_instancia_esmena.bpmn").read_text(encoding="utf-8")  # F9 referenced, never declared
    version = deploy_uploaded(ctx, text, forms=FORMS, draft=True).version
    report = simulate(ctx, version)
    assert report.outcome == "waiting" and report.stopped_at == "Task_resoldre"


AWAIT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="http://gee.example/bpmn">
  <bpmn:process id="espera_notificacio" name="Espera de notificació" isExecutable="true">
    <bpmn:laneSet id="LS"><bpmn:lane id="L" name="tramitador">
      <bpmn:flowNodeRef>S</bpmn:flowNodeRef><bpmn:flowNodeRef>SC</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>T_espera</bpmn:flowNodeRef><bpmn:flowNodeRef>G</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>E_oberta</bpmn:flowNodeRef><bpmn:flowNodeRef>E_rebutjada</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="S"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="SC" name="Notificació feta"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:script>tramesa = {"notification_id": 7}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="T_espera" name="Esperar la notificació">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="gee:await-notification" value="tramesa" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="G" default="F_rebutjada"><bpmn:incoming>F3</bpmn:incoming>
      <bpmn:outgoing>F_oberta</bpmn:outgoing><bpmn:outgoing>F_rebutjada</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="E_oberta"><bpmn:incoming>F_oberta</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="E_rebutjada"><bpmn:incoming>F_rebutjada</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="SC" />
    <bpmn:sequenceFlow id="F2" sourceRef="SC" targetRef="T_espera" />
    <bpmn:sequenceFlow id="F3" sourceRef="T_espera" targetRef="G" />
    <bpmn:sequenceFlow id="F_oberta" sourceRef="G" targetRef="E_oberta">
      <bpmn:conditionExpression>notification_outcome == 'accessed'</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F_rebutjada" sourceRef="G" targetRef="E_rebutjada" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_notification_wait_settles_as_accessed_today_or_as_chosen(tenant):
    from engine.base.clock import local_date, utcnow
    from engine.process.definition.deploy import deploy_uploaded

    ctx = _designer(tenant)
    version = deploy_uploaded(ctx, AWAIT, draft=True).version
    assert version is not None
    db.session.commit()
    report = simulate(ctx, version)
    assert report.outcome == "completed" and report.path()[-1] == "E_oberta"
    settled = [a for a in report.actions if a.what == "notification"]
    assert [a.detail for a in settled] == [{"notification_outcome": "accessed", "notification_id": 7,
                                           "notified_on": local_date(utcnow()).isoformat()}]
    expired = simulate(ctx, version, Plan(outcomes={"T_espera": "expired"}))
    assert expired.path()[-1] == "E_rebutjada"
