"""The incidents on Administració as the administrator reads them: newest first and paged, the expedient a
link, the step's name from the model, the kind of failure in words and the technical detail folded."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.base.clock import utcnow
from engine.base.db import db
from engine.expedients.expedients import open_expedient
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask, Incident
from engine.tenancy.models import User
from tests.conftest import ctx_for, make_tenant, make_user
from tests.engine_helpers import make_version
from tests.test_procedures_engine import _model as service_model
from tests.web_clerk import login_en


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    tenant = make_tenant()
    make_user("admina", tenant, roles=("admin", "tramitador"))
    db.session.commit()
    login_en(client, "admina")
    admin = db.session.execute(select(User).where(User.username == "admina")).scalar_one()
    return client, ctx_for(admin, tenant)


def _fail(ctx, process: str, expedient_id: int | None = None, data: dict | None = None) -> Incident:  # type: ignore[no-untyped-def, type-arg]
    started = instances.start_instance(ctx, process, expedient_id=expedient_id, data=data)
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == started["instance_id"])).scalar_one()
    assert instances.complete_task(ctx, task.id, {"amount": 5})["status"] == "incident"
    db.session.commit()
    return db.session.execute(select(Incident).order_by(Incident.id.desc()).limit(1)).scalar_one()


def _row(html: str, incident: Incident) -> str:
    match = re.search(rf'<tr data-incident-id="{incident.id}".*?</tr>', html, re.S)
    assert match, f"incident {incident.id} is not listed"
    return match.group(0)


def test_a_script_error_names_the_step_and_folds_pythons_words(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, ctx = admin_client
    make_version(ctx.tenant_id, "exec_incident")
    expedient = open_expedient(ctx, "Taxa")
    incident = _fail(ctx, "exec_incident", expedient.id, {"divisor": 0})
    row = _row(client.get("/admin/").get_data(as_text=True), incident)
    assert f'<a href="/expedients/{expedient.id}">{expedient.number}</a>' in row
    assert '<td data-step>Compute the fee</td>' in row
    assert 'data-kind="script"' in row and "The step's script stopped on an error (line 2)." in row
    details = row[row.index("<details"):]
    assert "division by zero" in details and "<code>compute</code>" in details
    assert "division by zero" not in row[:row.index("<details")]  # Python's words only in the detail
    assert f'action="/admin/incidents/{incident.id}/retry"' in row and "Skip" in row


def test_a_refused_service_call_reads_without_the_operators_id(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, ctx = admin_client
    numero = '<spiffworkflow:parameter id="numero" type="any" value="\'2026/404\'" />'
    assert deploy_process(ctx, service_model("gee.relate_expedient", numero)).ok
    expedient = open_expedient(ctx, "Sol·licitud")
    incident = _fail(ctx, "servei_prova", expedient.id)
    assert incident.message.startswith("gee.relate_expedient: ")
    row = _row(client.get("/admin/").get_data(as_text=True), incident)
    assert '<td data-step>Generate the document</td>' in row  # the step's English name from the model
    assert 'data-kind="service"' in row  # the block in words, not its id:
    assert "The step's call to «Relate to another case file» was refused." in html_lib.unescape(row)
    reason = re.search(r"<p class=\"mb-1\" data-reason>([^<]*)</p>", row)
    assert reason and "2026/404" in reason.group(1) and "gee.relate_expedient" not in reason.group(1)
    assert "<code>gee.relate_expedient</code>" in row[row.index("<details"):]


def test_a_block_designers_know_is_named_and_a_template_failure_says_so(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, ctx = admin_client
    assert deploy_process(ctx, service_model()).ok  # gee.generate_document of conformitat.ca.html
    db.session.commit()
    no_expedient = _fail(ctx, "servei_prova")
    expedient = open_expedient(ctx, "Conformitat")
    no_template = _fail(ctx, "servei_prova", expedient.id)  # the version has no such template
    html = client.get("/admin/").get_data(as_text=True)
    assert "The step's call to «Generate a document» was refused." in _row(html, no_expedient)
    assert "The procedure has no case file: start it on a case file." in _row(html, no_expedient)
    template_row = _row(html, no_template)
    assert 'data-kind="template"' in template_row
    assert "The step's document template could not be filled in." in template_row


def test_the_latest_fifty_are_shown_newest_first_and_the_rest_are_paged(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, ctx = admin_client
    make_version(ctx.tenant_id, "exec_incident")
    first = _fail(ctx, "exec_incident", data={"divisor": 0})
    start = utcnow()
    for n in range(1, 52):  # 51 more failures of the same step, one a minute after the first
        db.session.add(Incident(tenant_id=first.tenant_id, instance_id=first.instance_id, task_uuid=first.task_uuid,
                                element_id=first.element_id, line=first.line, message=first.message, state="open",
                                created_at=start + timedelta(minutes=n)))
    db.session.commit()
    newest = db.session.execute(select(Incident.id).order_by(Incident.created_at.desc()).limit(1)).scalar_one()
    html = client.get("/admin/").get_data(as_text=True)
    listed = [int(i) for i in re.findall(r'<tr data-incident-id="(\d+)"', html)]
    assert len(listed) == 50 and listed[0] == newest and first.id not in listed
    assert "The latest 50 of 52 open incidents." in html and 'href="/admin/incidents"' in html
    second = client.get("/admin/incidents?page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<tr data-incident-id="(\d+)"', second)][-1] == first.id
    assert "Page 2 of 2" in second and "52 open incidents, newest first." in second
    assert client.get("/admin/incidents?page=nope").status_code == 200
