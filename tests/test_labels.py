"""Task names follow the user's language: the Catalan BPMN name, or its name_es translation."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from engine.base.db import db
from engine.demo.data import deploy_shipped_procedures
from engine.inbox.inbox import InboxFilters, list_inbox
from engine.process.definition.task_labels import task_label
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
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
    assert task_label(task, "en") == "Revisar i assignar la sol·licitud"  # no English label: the Catalan one

    spanish = ctx_for(make_user("clerk_es", tenant, ("tramitador",)), tenant)
    spanish = dataclasses.replace(spanish, locale="es")
    assert [row.task_name for row in list_inbox(spanish, InboxFilters()).rows] == ["Revisar y asignar la solicitud"]
