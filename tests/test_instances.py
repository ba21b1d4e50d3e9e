"""Running instances through the services: projection, forms, authorisation, idempotency,
assignment, incidents and timers (on the configured database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent, verify_chain
from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.process.instances import tasks as instances
from engine.process.models import CompletedStep, HumanTask, Incident, ProcessInstance, Timer
from engine.tenancy.models import Tenant
from tests.conftest import ctx_for, make_tenant, make_user
from tests.engine_helpers import make_version


def _ready(instance_id: int) -> list[HumanTask]:
    return list(
        db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
        ).scalars()
    )


def _only_ready(instance_id: int) -> HumanTask:
    rows = _ready(instance_id)
    assert len(rows) == 1, rows
    return rows[0]


def _actions(tenant_id: int) -> list[str]:
    return list(
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
        ).scalars()
    )


@pytest.fixture
def people(tenant: Tenant) -> dict[str, Context]:
    users = {
        "anna": make_user("anna", tenant, ("tramitador",), full_name="Anna Puig"),
        "bernat": make_user("bernat", tenant, ("tramitador",), full_name="Bernat Soler"),
        "teresa": make_user("teresa", tenant, ("tecnic",), full_name="Teresa Vila"),
        "sandra": make_user("sandra", tenant, ("secretari",), full_name="Sandra Roig"),
        "admin": make_user("adm", tenant, ("admin",), full_name="Admin Istrador"),
    }
    db.session.commit()
    return {name: ctx_for(user, tenant) for name, user in users.items()}


def test_start_projects_the_first_human_task(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", expedient_id=7, data={"rounds": 0})

    instance = db.session.get(ProcessInstance, started["instance_id"])
    assert instance is not None and instance.status == "waiting" and instance.expedient_id == 7
    task = _only_ready(instance.id)
    assert (task.element_id, task.name, task.lane, task.role) == ("review", "Review the request", "Tramitador",
                                                                  "tramitador")
    assert task.potential_owners == ["tramitador"] and task.form_key == "review.schema.json"
    assert task.expedient_id == 7
    assert started["ready_tasks"][0]["id"] == task.id
    assert "instance.started" in _actions(tenant.id)
    stored = json.loads(instance.state_json)  # the spec is stored once per version, not per instance
    assert "spec" not in stored and "subprocess_specs" not in stored


def test_unknown_process_is_not_found(people: dict[str, Context]) -> None:
    with pytest.raises(NotFound):
        instances.start_instance(people["anna"], "no_such_process")


def test_completing_runs_the_loop_and_logs_steps(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", data={"rounds": 0})
    first = _only_ready(started["instance_id"])

    answer = instances.complete_task(people["anna"], first.id, {"approved": False, "notes": "Falta plànol"})

    db.session.refresh(first)
    assert first.state == "completed" and first.completed_by_id == people["anna"].user_id
    second = _only_ready(started["instance_id"])
    assert second.id != first.id and second.element_id == "review"
    assert answer["ready_tasks"] == [instances._human_task_dict(second)]
    shown = instances.show_instance(people["anna"], started["instance_id"])
    assert shown["data"]["rounds"] == 1 and shown["data"]["notes"] == "Falta plànol"
    steps = [s["element_id"] for s in shown["completed_steps"]]
    assert steps == ["start", "review", "count", "decide"]

    instances.complete_task(people["bernat"], second.id, {"approved": True})
    shown = instances.show_instance(people["anna"], started["instance_id"])
    assert shown["status"] == "completed" and shown["completed_at"] is not None
    assert shown["ready_tasks"] == [] and shown["data"]["rounds"] == 2
    assert [s["element_id"] for s in shown["completed_steps"]][-4:] == ["review", "count", "decide", "end"]
    assert verify_chain(tenant.id) is None


def test_form_errors_name_the_field_and_change_nothing(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", data={"rounds": 0})
    task = _only_ready(started["instance_id"])
    version_before = db.session.get(ProcessInstance, started["instance_id"]).version

    with pytest.raises(ValidationFailed) as missing:
        instances.complete_task(people["anna"], task.id, {"notes": "ok"})
    assert [d.to_dict() for d in missing.value.details] == [
        {"field": "approved", "message": "This field is required."}
    ]
    with pytest.raises(ValidationFailed) as wrong:
        instances.complete_task(people["anna"], task.id, {"approved": "yes", "email": "not-an-email"})
    assert {d.field: d.message for d in wrong.value.details} == {
        "approved": "Tick or untick the box.",
        "email": "Enter a valid e-mail address.",
    }
    db.session.refresh(task)
    assert task.state == "ready"
    assert db.session.get(ProcessInstance, started["instance_id"]).version == version_before


def test_wrong_role_is_forbidden_and_other_tenant_not_found(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", data={"rounds": 0})
    task = _only_ready(started["instance_id"])
    other = make_tenant("ajt-altre", "Ajuntament d'Altre", dir3="L01250000")
    outsider = make_user("oriol", other, ("tramitador", "admin"))
    db.session.commit()

    with pytest.raises(Forbidden):
        instances.complete_task(people["teresa"], task.id, {"approved": True})
    with pytest.raises(NotFound):
        instances.complete_task(ctx_for(outsider, other), task.id, {"approved": True})
    with pytest.raises(NotFound):
        instances.show_instance(ctx_for(outsider, other), started["instance_id"])
    db.session.refresh(task)
    assert task.state == "ready"


def test_a_retried_submit_with_the_same_key_changes_nothing(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", data={"rounds": 0})
    task = _only_ready(started["instance_id"])

    first = instances.complete_task(people["anna"], task.id, {"approved": False}, idem_key="submit-1")
    again = instances.complete_task(people["anna"], task.id, {"approved": False}, idem_key="submit-1")

    assert again == first
    assert instances.show_instance(people["anna"], started["instance_id"])["data"]["rounds"] == 1
    assert _actions(tenant.id).count("task.completed") == 1


def test_second_completion_is_a_conflict_naming_the_winner(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", data={"rounds": 0})
    task = _only_ready(started["instance_id"])
    instances.complete_task(people["anna"], task.id, {"approved": False})

    with pytest.raises(Conflict, match="already completed by Anna Puig"):
        instances.complete_task(people["bernat"], task.id, {"approved": True})


def test_claim_release_reassign_are_audited(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(people["anna"], "exec_loop", data={"rounds": 0})
    task = _only_ready(started["instance_id"])
    anna, bernat = people["anna"], people["bernat"]

    instances.claim(anna, task.id)
    with pytest.raises(Conflict, match="claimed by Anna Puig"):
        instances.claim(bernat, task.id)
    with pytest.raises(Forbidden, match="assigned to Anna Puig"):
        instances.complete_task(bernat, task.id, {"approved": True})
    with pytest.raises(Forbidden):
        instances.release(bernat, task.id)
    instances.release(anna, task.id)
    with pytest.raises(ValidationFailed):
        instances.reassign(people["admin"], task.id, people["teresa"].user_id)  # not a tramitador
    instances.reassign(people["admin"], task.id, bernat.user_id)
    db.session.refresh(task)
    assert task.assignee_id == bernat.user_id
    instances.complete_task(bernat, task.id, {"approved": True})

    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "human_task").order_by(AuditEvent.seq)
    ).scalars().all()
    assert [(e.action, e.actor, e.before, e.after.get("assignee_id") if e.after else None) for e in events[:3]] == [
        ("task.claimed", "anna", {"assignee_id": None}, anna.user_id),
        ("task.released", "anna", {"assignee_id": anna.user_id}, None),
        ("task.reassigned", "adm", {"assignee_id": None}, bernat.user_id),
    ]
    assert events[3].action == "task.completed" and events[3].actor == "bernat"


def test_failing_script_opens_an_incident_then_retry_and_skip(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_incident")
    started = instances.start_instance(people["anna"], "exec_incident", data={"divisor": 0})
    enter = _only_ready(started["instance_id"])

    answer = instances.complete_task(people["anna"], enter.id, {"amount": 5})

    assert answer["status"] == "incident" and answer["ready_tasks"] == []
    incident = db.session.execute(select(Incident)).scalar_one()
    assert (incident.element_id, incident.line, incident.state) == ("compute", 2, "open")
    assert "division" in incident.message.lower() and "fee_base / divisor" in incident.message
    shown = instances.show_instance(people["anna"], started["instance_id"])
    assert "fee_base" not in shown["data"]  # line 1 ran, but the failed step left nothing behind
    assert [s["element_id"] for s in shown["completed_steps"]] == ["start", "enter"]

    with pytest.raises(Forbidden):
        instances.retry_incident(people["anna"], incident.id)
    retried = instances.retry_incident(people["admin"], incident.id)  # still failing: a new incident
    db.session.refresh(incident)
    assert incident.state == "retried" and incident.resolved_by == "adm"
    assert retried["status"] == "incident" and len(retried["incidents"]) == 1
    second_id = retried["incidents"][0]["id"]

    with pytest.raises(ValidationFailed):
        instances.skip_incident(people["admin"], second_id, "  ")
    skipped = instances.skip_incident(people["admin"], second_id, "Fee waived by decree 12/2026")
    assert skipped["status"] == "waiting" and [t["element_id"] for t in skipped["ready_tasks"]] == ["check"]
    assert "fee" not in instances.show_instance(people["anna"], started["instance_id"])["data"]
    with pytest.raises(Conflict):
        instances.skip_incident(people["admin"], second_id, "again")
    actions = _actions(tenant.id)
    assert actions.count("incident.opened") == 2
    assert "incident.retried" in actions and "incident.skipped" in actions
    skip_event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "incident.skipped")).scalar_one()
    assert skip_event.after["reason"] == "Fee waived by decree 12/2026"


def test_boundary_timer_is_projected_and_fires_once(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_timer")
    before = datetime.now(UTC)
    started = instances.start_instance(people["anna"], "exec_timer")
    after = datetime.now(UTC)

    timer = db.session.execute(select(Timer)).scalar_one()
    due = as_utc(timer.due_at)
    assert due is not None and before + timedelta(days=10) <= due <= after + timedelta(days=10)
    assert (timer.element_id, timer.state) == ("deadline", "pending")
    answer = _only_ready(started["instance_id"])
    assert answer.element_id == "answer" and as_utc(answer.due_at) == due

    system = Context.system(tenant.id, "timer-sweeper")
    with pytest.raises(Forbidden):
        instances.fire_timers(people["anna"], started["instance_id"], due)
    assert instances.fire_timers(system, started["instance_id"], due - timedelta(minutes=1)) == 0
    assert instances.fire_timers(system, started["instance_id"], due + timedelta(seconds=1)) == 1
    assert instances.fire_timers(system, started["instance_id"], due + timedelta(seconds=2)) == 0

    db.session.refresh(timer)
    db.session.refresh(answer)
    assert timer.state == "fired" and answer.state == "cancelled"
    assert _only_ready(started["instance_id"]).element_id == "expired"
    steps = db.session.execute(select(CompletedStep.element_id).order_by(CompletedStep.id)).scalars().all()
    assert steps == ["start", "deadline"]


def test_completing_before_the_deadline_cancels_the_timer(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_timer")
    started = instances.start_instance(people["anna"], "exec_timer")
    instances.complete_task(people["anna"], _only_ready(started["instance_id"]).id, {})

    assert db.session.execute(select(Timer.state)).scalar_one() == "cancelled"
    assert instances.show_instance(people["anna"], started["instance_id"])["status"] == "completed"


def test_parallel_reports_by_three_roles(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_parallel")
    started = instances.start_instance(people["anna"], "exec_parallel")
    by_element = {t.element_id: t for t in _ready(started["instance_id"])}
    assert {e: t.role for e, t in by_element.items()} == {
        "task_a": "tramitador", "task_b": "tecnic", "task_c": "secretari"
    }

    instances.complete_task(people["teresa"], by_element["task_b"].id, {"b": "favorable"})
    instances.complete_task(people["sandra"], by_element["task_c"].id, {"c": "conforme"})
    assert {t.element_id for t in _ready(started["instance_id"])} == {"task_a"}
    instances.complete_task(people["anna"], by_element["task_a"].id, {"a": "complet"})

    final = _only_ready(started["instance_id"])
    assert final.element_id == "final"
    data = instances.show_instance(people["anna"], started["instance_id"])["data"]
    assert data["summary"] == ["complet", "favorable", "conforme"]


def test_subprocess_call_activity_and_multi_instance(tenant: Tenant, people: dict[str, Context]) -> None:
    make_version(tenant.id, "exec_nested")
    started = instances.start_instance(people["anna"], "exec_nested", data={"items": ["A-1", "B-2"]})
    instance_id = started["instance_id"]

    instances.complete_task(people["anna"], _only_ready(instance_id).id, {"documents": 3})
    report = _only_ready(instance_id)
    assert report.element_id == "c_report"
    instances.complete_task(people["anna"], report.id, {"report": "ok"})
    signs = _ready(instance_id)
    assert [t.element_id for t in signs] == ["sign", "sign"]
    for row in signs:
        instances.complete_task(people["anna"], row.id, {"signature": f"signed-{row.id}"})

    shown = instances.show_instance(people["anna"], instance_id)
    assert shown["status"] == "completed"
    assert shown["data"]["report_stamped"] is True and shown["data"]["documents"] == 3
    assert shown["data"]["signed"] == [f"signed-{signs[0].id}", f"signed-{signs[1].id}"]


def test_cli_start_complete_show(tenant: Tenant, people: dict[str, Context]) -> None:
    from click.testing import CliRunner

    from webapp.commands import instances as cli

    make_version(tenant.id, "exec_loop")
    runner = CliRunner()

    started = runner.invoke(cli.start_command, ["exec_loop", "--tenant", tenant.code, "--as", "anna",
                                                "--data", '{"rounds": 0}'])
    assert started.exit_code == 0, started.stderr
    out = json.loads(started.stdout)
    task_id = out["ready_tasks"][0]["id"]
    assert out["status"] == "waiting" and out["ready_tasks"][0]["element_id"] == "review"

    invalid = runner.invoke(cli.complete_command, [str(task_id), "--as", "anna", "--data", '{"approved": 1}'])
    assert invalid.exit_code == 1
    assert "Some fields are not valid." in invalid.stderr and "approved: Tick or untick the box." in invalid.stderr
    wrong_role = runner.invoke(cli.complete_command, [str(task_id), "--as", "teresa", "--data", "{}"])
    assert wrong_role.exit_code == 1 and "for the role tramitador" in wrong_role.stderr

    done = runner.invoke(cli.complete_command, [str(task_id), "--as", "anna", "--data", '{"approved": true}'])
    assert done.exit_code == 0, done.stderr
    shown = runner.invoke(cli.show_command, [str(out["instance_id"])])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["status"] == "completed"
    assert runner.invoke(cli.show_command, ["999"]).exit_code == 1


def test_deployed_generic_procedure_runs_with_its_pinned_forms(tenant: Tenant, people: dict[str, Context]) -> None:
    from engine.process.definition.deploy import deploy_process

    source = Path(__file__).resolve().parent.parent / "processes" / "instancia_generica.bpmn"
    deployed = deploy_process(None, source, tenant_id=tenant.id)
    assert deployed.problems == []
    db.session.commit()
    started = instances.start_instance(people["anna"], "instancia_generica", data={"data_entrada": "2026-03-02"})
    review = _only_ready(started["instance_id"])
    assert (review.role, review.form_key) == ("tramitador", "instancia_generica_revisar.json")

    with pytest.raises(ValidationFailed) as bad:
        instances.complete_task(people["anna"], review.id, {"unitat_responsable": "Bombers", "completa": True})
    assert [d.field for d in bad.value.details] == ["unitat_responsable"]
    instances.complete_task(people["anna"], review.id, {"unitat_responsable": "Urbanisme", "completa": True})
    assert _only_ready(started["instance_id"]).element_id == "Task_tramitar"
