"""Task and procedure names follow the user's language: the Catalan BPMN name, or its name_es /
name_en translation; a deploy warns about user tasks without one."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from engine.base.db import db
from engine.demo.data import PROCESSES_DIR, deploy_shipped_procedures
from engine.inbox.inbox import InboxFilters, list_inbox
from engine.process.definition.deploy import DEFAULT_FORMS_DIR as FORMS_DIR
from engine.process.definition.deploy import deploy_process
from engine.process.definition.task_labels import missing_task_labels, task_label
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask, ProcessVersion
from tests.conftest import ctx_for, make_tenant, make_user


def test_inbox_and_task_names_in_catalan_and_spanish():
    tenant = make_tenant()
    clerk = ctx_for(make_user("clerk", tenant, ("tramitador",)), tenant)
    deploy_shipped_procedures()
    db.session.commit()
    instances.start_instance(clerk, "instancia_generica")
    task = db.session.scalars(select(HumanTask).where(HumanTask.state == "ready")).one()

    assert task_label(task, "ca") == "Revisar i assignar la sol·licitud"
    assert task_label(task, "es") == "Revisar y asignar la solicitud"
    assert task_label(task, "en") == "Review and assign the application"

    spanish = ctx_for(make_user("clerk_es", tenant, ("tramitador",)), tenant)
    spanish = dataclasses.replace(spanish, locale="es")
    assert [row.task_name for row in list_inbox(spanish, InboxFilters()).rows] == ["Revisar y asignar la solicitud"]

    english = dataclasses.replace(spanish, locale="en")
    rows = list_inbox(english, InboxFilters()).rows
    assert [(row.task_name, row.procedure_name) for row in rows] == [("Review and assign the application",
                                                                      "General request")]  # fmt: skip
    assert list_inbox(ctx_for(make_user("clerk_ca", tenant, ("tramitador",)), tenant), InboxFilters()).rows[
        0].procedure_name == "Instància genèrica"


def test_every_shipped_user_task_is_named_in_every_language():
    results = deploy_shipped_procedures()
    assert all(r.ok for r in results.values())
    for version in db.session.scalars(select(ProcessVersion)):
        assert missing_task_labels(version) == [], version.model.key


def test_a_user_task_without_english_name_is_a_warning_not_a_refusal(tmp_path):
    bpmn = (PROCESSES_DIR / "instancia_generica.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "instancia_generica.bpmn"
    path.write_text(bpmn.replace('<spiffworkflow:property name="name_en" value="Review and assign the application"/>',
                                 ""), encoding="utf-8")  # fmt: skip
    result = deploy_process(None, path, shared=True, forms_dir=FORMS_DIR, created_by="test")
    assert result.ok
    warnings = missing_task_labels(result.version)
    assert [(w.element_id, "name_en" in str(w.message), "name_es" in str(w.message)) for w in warnings] == [
        ("Task_revisar", True, False)]
