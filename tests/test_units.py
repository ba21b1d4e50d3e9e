"""Administrative units (unitats): created and staffed by a municipality's administrators, and a task a
process gives to a unit (``gee:unit``) is in the inbox of each member of that unit, and of nobody else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.inbox.across_tenants import shared_inbox
from engine.inbox.inbox import InboxFilters, in_inbox_order, inbox_query, list_inbox, open_tasks
from engine.process.definition.deploy import deploy_process
from engine.process.instances.tasks import reassign, start_instance
from engine.process.models import HumanTask
from engine.tenancy import units
from engine.tenancy.models import Membership, Tenant, User
from tests.conftest import csrf_token, ctx_for, make_tenant, make_user
from tests.web_clerk import field_error, login_en

TASK = "Informe urbanístic"


def unit_model(unit: str = "urbanisme", key: str = "informe_unitat", element: str = "manualTask") -> str:
    """A one-task process: the task is in the clerks' lane but given to a unit."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_{key}" targetNamespace="http://gee.example/bpmn">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_ajuntament" name="Ajuntament" processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name="Informe per unitat" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_tramitador" name="Tramitador">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_informe</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:{element} id="Task_informe" name="{TASK}">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="gee:unit" value="{unit}" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:{element}>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_informe" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_informe" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


@dataclass
class Town:
    tenant: Tenant
    admin: User
    architect: User  # technician, member of Urbanisme
    clerk: User  # clerk, member of Urbanisme
    other_clerk: User  # clerk, in no unit
    other_tenant: Tenant
    outsider: User  # clerk of the other town, member of ITS unit "urbanisme"

    def ctx(self, user: User) -> Context:
        return ctx_for(user, self.tenant if user is not self.outsider else self.other_tenant)


@pytest.fixture
def town() -> Town:
    tenant = make_tenant()
    other = make_tenant(code="altre", name="Ajuntament d'Altre", dir3="L01258888", ine_code="258888")
    place = Town(
        tenant=tenant,
        admin=make_user("admin.units", tenant, ("admin",), full_name="Ada Admin"),
        architect=make_user("arquitecta", tenant, ("tecnic",), full_name="Aina Arquitecta"),
        clerk=make_user("clerk.urb", tenant, ("tramitador",), full_name="Carles Tramitador"),
        other_clerk=make_user("clerk.other", tenant, ("tramitador",), full_name="Pau Altra Feina"),
        other_tenant=other,
        outsider=make_user("outsider", other, ("tramitador", "admin"), full_name="Oriol Altre"),
    )
    db.session.commit()
    return place


def staff_urbanisme(town: Town) -> units.Unit:
    admin = town.ctx(town.admin)
    unit = units.create_unit(admin, "urbanisme", "Urbanisme")
    units.add_member(admin, unit.id, town.architect.id)
    units.add_member(admin, unit.id, town.clerk.id)
    theirs = units.create_unit(town.ctx(town.outsider), "urbanisme", "Urbanisme d'Altre")
    units.add_member(town.ctx(town.outsider), theirs.id, town.outsider.id)
    db.session.commit()
    return unit


# -- the service ------------------------------------------------------------------------------------------------


def test_units_are_created_renamed_deactivated_and_staffed_by_the_administrator(town: Town) -> None:
    admin = town.ctx(town.admin)
    unit = units.create_unit(admin, "  Serveis_Socials ", "  Serveis   socials ")
    assert (unit.code, unit.name, unit.active) == ("serveis_socials", "Serveis socials", True)
    units.rename_unit(admin, unit.id, "Serveis socials i igualtat")
    units.add_member(admin, unit.id, town.clerk.id)
    units.add_member(admin, unit.id, town.clerk.id)  # twice is once
    units.add_member(admin, unit.id, town.architect.id)
    units.remove_member(admin, unit.id, town.architect.id)
    units.set_unit_active(admin, unit.id, False)
    db.session.commit()
    assert [(u.code, u.name, u.active) for u in units.list_units(admin)] == [
        ("serveis_socials", "Serveis socials i igualtat", False)]
    assert [u.username for u in units.members(admin, unit.id)] == ["clerk.urb"]

    with pytest.raises(Conflict):
        units.create_unit(admin, "serveis_socials", "Una altra")
    with pytest.raises(ValidationFailed) as bad_code:
        units.create_unit(admin, "urbanisme i obres", "Urbanisme")
    assert bad_code.value.field == "code"
    with pytest.raises(ValidationFailed) as no_name:
        units.create_unit(admin, "urbanisme", "   ")
    assert no_name.value.field == "name"
    with pytest.raises(Forbidden):
        units.create_unit(town.ctx(town.clerk), "urbanisme", "Urbanisme")


def test_a_unit_never_reaches_across_municipalities(town: Town) -> None:
    admin = town.ctx(town.admin)
    unit = units.create_unit(admin, "urbanisme", "Urbanisme")
    db.session.commit()
    with pytest.raises(NotFound):  # a user of another municipality cannot be a member here
        units.add_member(admin, unit.id, town.outsider.id)
    with pytest.raises(NotFound):  # nor can the other municipality's admin touch this unit
        units.rename_unit(town.ctx(town.outsider), unit.id, "Meva")
    with pytest.raises(NotFound):
        units.add_member(town.ctx(town.outsider), unit.id, town.outsider.id)
    assert units.list_units(town.ctx(town.outsider)) == []


# -- the web pages ----------------------------------------------------------------------------------------------


def test_the_units_pages_create_rename_staff_and_deactivate(client: FlaskClient, town: Town) -> None:
    login_en(client, "admin.units")
    assert "Units" in client.get("/admin/units/").get_data(as_text=True)

    # A refused form keeps what was typed and says why.
    refused = client.post("/admin/units/", data={"csrf_token": csrf_token(client, "/admin/units/"),
                                                 "code": "Urbanisme i Obres", "name": "Urbanisme i obres"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "lower-case letters" in (field_error(page, "unit-code") or "")
    assert 'aria-describedby="unit-code-error unit-code-help"' in page
    assert 'value="Urbanisme i Obres"' in page and 'value="Urbanisme i obres"' in page
    assert units.list_units(town.ctx(town.admin)) == []

    created = client.post("/admin/units/", data={"csrf_token": csrf_token(client, "/admin/units/"),
                                                 "code": "urbanisme", "name": "Urbanisme"})
    assert created.status_code == 302
    unit = units.find_unit(town.tenant.id, "urbanisme")
    assert unit is not None and unit.name == "Urbanisme"
    path = f"/admin/units/{unit.id}"
    assert "Nobody works in this unit yet." in client.get(path).get_data(as_text=True)

    twice = client.post("/admin/units/", data={"csrf_token": csrf_token(client, "/admin/units/"),
                                               "code": "urbanisme", "name": "Un altre"})
    assert twice.status_code == 409
    assert field_error(twice.get_data(as_text=True), "unit-code") == "There is already a unit with code urbanisme."

    empty_name = client.post(path, data={"csrf_token": csrf_token(client, path), "name": "  "})
    assert empty_name.status_code == 422
    assert field_error(empty_name.get_data(as_text=True), "unit-name") == "Give the unit a name."
    renamed = client.post(path, data={"csrf_token": csrf_token(client, path), "name": "Urbanisme i obres"})
    assert renamed.status_code == 302

    added = client.post(f"{path}/members", data={"csrf_token": csrf_token(client, path),
                                                 "user_id": str(town.architect.id)})
    assert added.status_code == 302
    nobody = client.post(f"{path}/members", data={"csrf_token": csrf_token(client, path), "user_id": ""})
    assert nobody.status_code == 422
    assert field_error(nobody.get_data(as_text=True), "member-user") == "Choose a person to add."
    stranger = client.post(f"{path}/members", data={"csrf_token": csrf_token(client, path),
                                                    "user_id": str(town.outsider.id)})
    assert stranger.status_code == 404
    page = client.get(path).get_data(as_text=True)
    assert "Urbanisme i obres" in page and 'data-user="arquitecta"' in page and 'data-user="outsider"' not in page

    client.post(f"{path}/members/{town.architect.id}/remove", data={"csrf_token": csrf_token(client, path)})
    assert 'data-user="arquitecta"' not in client.get(path).get_data(as_text=True)
    client.post(f"{path}/active", data={"csrf_token": csrf_token(client, path), "active": "0"})
    db.session.refresh(unit)
    assert not unit.active and "Reactivate the unit" in client.get(path).get_data(as_text=True)


def test_units_pages_are_for_this_municipalitys_administrators_only(client: FlaskClient, town: Town) -> None:
    unit = units.create_unit(town.ctx(town.admin), "urbanisme", "Urbanisme")
    db.session.commit()
    login_en(client, "outsider")  # an administrator, of the other municipality
    assert client.get(f"/admin/units/{unit.id}").status_code == 404
    renamed = client.post(f"/admin/units/{unit.id}", data={"csrf_token": csrf_token(client, "/admin/units/"),
                                                            "name": "Meva"})
    assert renamed.status_code == 404
    assert 'data-unit="urbanisme"' not in client.get("/admin/units/").get_data(as_text=True)
    clerk = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    login_en(clerk, "clerk.urb")
    assert clerk.get("/admin/units/").status_code == 403


# -- routing to a unit ------------------------------------------------------------------------------------------


def start_unit_task(town: Town) -> HumanTask:
    result = deploy_process(None, unit_model(), tenant_id=town.tenant.id)
    assert result.ok, result.problems
    db.session.commit()
    started = start_instance(town.ctx(town.other_clerk), result.version)
    return db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == started["instance_id"], HumanTask.state == "ready")
    ).scalar_one()


def inbox_html(client: FlaskClient, username: str) -> str:
    login_en(client, username)
    return client.get("/tasks").get_data(as_text=True)


def test_a_task_for_a_unit_is_in_each_members_inbox_and_nobody_elses(client: FlaskClient, town: Town) -> None:
    staff_urbanisme(town)
    task = start_unit_task(town)
    assert task.unit == "urbanisme"

    for member in ("arquitecta", "clerk.urb"):  # a technician and a clerk: the unit counts, not the lane's role
        page = inbox_html(client, member)
        assert TASK in page and "unit: Urbanisme" in page
    assert TASK not in inbox_html(client, "clerk.other")  # a clerk in the task's lane, but not in the unit
    assert TASK not in inbox_html(client, "outsider")  # a member of the other town's "urbanisme"
    assert [r.task_id for r in list_inbox(town.ctx(town.outsider), InboxFilters()).rows] == []

    # Only a member may take it; then it is hers alone, and she may give it to another member only.
    login_en(client, "clerk.other")
    refused = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_token(client, "/tasks")})
    assert refused.status_code == 403
    login_en(client, "arquitecta")
    assert client.post(f"/tasks/{task.id}/claim",
                       data={"csrf_token": csrf_token(client, "/tasks")}).status_code in (200, 302)
    db.session.refresh(task)
    assert task.assignee_id == town.architect.id
    assert TASK not in inbox_html(client, "clerk.urb")


def test_reassigning_a_unit_task_is_to_its_members(town: Town) -> None:
    staff_urbanisme(town)
    task = start_unit_task(town)
    with pytest.raises(ValidationFailed):
        reassign(town.ctx(town.architect), task.id, town.other_clerk.id)
    reassign(town.ctx(town.architect), task.id, town.clerk.id)
    db.session.refresh(task)
    assert task.assignee_id == town.clerk.id


def test_a_deactivated_unit_offers_its_tasks_to_nobody(client: FlaskClient, town: Town) -> None:
    unit = staff_urbanisme(town)
    start_unit_task(town)
    units.set_unit_active(town.ctx(town.admin), unit.id, False)
    db.session.commit()
    assert TASK not in inbox_html(client, "arquitecta")


def test_deploy_checks_the_unit_property(town: Town) -> None:
    staff_urbanisme(town)
    missing = deploy_process(None, unit_model("serveis_socials"), tenant_id=town.tenant.id)
    assert not missing.ok
    assert any("serveis_socials" in str(p.message) and "does not have" in str(p.message) for p in missing.problems)
    bad = deploy_process(None, unit_model("Serveis Socials"), tenant_id=town.tenant.id)
    assert any("unit code" in str(p.message) for p in bad.problems)
    wrong_element = deploy_process(None, unit_model(element="scriptTask"), tenant_id=town.tenant.id)
    assert any("Only a user or manual task" in str(p.message) for p in wrong_element.problems)


def test_the_inbox_with_units_still_reads_the_inbox_index_in_order(town: Town) -> None:
    """Unit tasks are found by a subquery beside the role test: the inbox page is still read from
    ix_human_tasks_inbox_order in its order, never sorted nor loaded into Python first."""
    staff_urbanisme(town)
    start_unit_task(town)
    ctx = town.ctx(town.architect)
    stmt = in_inbox_order(inbox_query(ctx, open_tasks(ctx, InboxFilters()))).limit(25)
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: ask what it would use
        plan = "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))
        assert "ix_human_tasks_inbox_order" in plan and "Sort" not in plan, plan
    else:
        plan = "\n".join(str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_human_tasks_inbox_order" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
    db.session.rollback()


def test_the_inbox_across_municipalities_shows_unit_tasks_to_members_only(town: Town) -> None:
    staff_urbanisme(town)
    task = start_unit_task(town)
    # The other town's clerk also serves this one, as a clerk but in no unit: not for her.
    db.session.add(Membership(tenant_id=town.tenant.id, user_id=town.outsider.id, role="tramitador"))
    db.session.commit()
    assert [r.task_id for r in shared_inbox(town.outsider.id, "en").rows] == []
    rows = shared_inbox(town.architect.id, "en").rows
    assert [(r.task_id, r.unit, r.tenant_name) for r in rows] == [(task.id, "Urbanisme", "Ajuntament de Proves")]
