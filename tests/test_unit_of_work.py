"""One unit of work per entry point: a lost race redoes the whole request, nothing is lost.

The lost race is real: right before the request writes the instance back (its version
compare-and-swap), the instance's version row is bumped in the database, as a concurrent
writer that committed in between would have done. The row is locked by the request's own
transaction at that moment (``SELECT … FOR UPDATE`` / SQLite's write lock), so a writer on
another connection would only wait for it; the bump is therefore issued on the request's
connection, which is the one ordering that makes the compare-and-swap fail (and it is
rolled back with the run that lost, like everything that run did).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from engine.base.db import db
from engine.base.errors import Conflict
from engine.base.unit_of_work import LostRace, after_commit, run_in_transaction
from engine.documents.documents import Document, read_content
from engine.inbox.inbox import save_draft
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask, ProcessInstance
from engine.registry.open_expedient import PartyInput, open_and_start
from engine.signatures.circuits import request_signatures
from engine.signatures.models import SignatureRequest
from tests.conftest import csrf_token, ctx_for, login
from tests.records_helpers import new_expedient
from tests.test_signatures import SIGN_PROCESS
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document, town
from tests.test_web_task_forms import BPMN, SCHEMA
from tests.web_clerk import login_en, make_world, ready_task, token


@contextmanager
def lost_races(instance_id: int, times: int = 1) -> Iterator[list[str]]:
    """Make the next ``times`` writes of the instance's state lose their race."""
    lost: list[str] = []

    def bump(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sql = " ".join(statement.split()).upper()
        # on its own, or (PostgreSQL) inside the statement that also writes the task rows and steps
        write_back = "UPDATE PROCESS_INSTANCES SET" in sql and "STATE_JSON" in sql
        if write_back and len(lost) < times:
            lost.append(statement)
            cursor.execute(f"UPDATE process_instances SET version = version + 1 WHERE id = {int(instance_id)}")

    event.listen(db.engine, "before_cursor_execute", bump)
    try:
        yield lost
    finally:
        event.remove(db.engine, "before_cursor_execute", bump)


def _version(instance_id: int) -> int:
    db.session.expire_all()
    return db.session.execute(select(ProcessInstance.version).where(ProcessInstance.id == instance_id)).scalar_one()


# --------------------------------------------------------------------------- signature + step


@pytest.fixture
def signing(client):
    people = town()
    result = deploy_process(None, SIGN_PROCESS, tenant_id=people["secretary"].tenant_id)
    assert result.ok, result.problems
    db.session.commit()
    expedient = new_expedient(people["clerk"])
    started = instances.start_instance(people["clerk"], "sign_report", expedient_id=expedient.id, data={})
    task = db.session.query(HumanTask).filter_by(instance_id=started["instance_id"], state="ready").one()
    doc = pdf_document(people["clerk"], expedient.id)
    request = request_signatures(people["clerk"], doc.id, ["secretari"], human_task_id=task.id)
    db.session.commit()
    return people, task, request


def test_a_signature_that_finishes_the_circuit_survives_a_lost_race(client, signing):
    people, task, request = signing
    step_id, request_id, task_id, instance_id = request.steps[0].id, request.id, task.id, task.instance_id
    login(client, "secretary.ajt-proves")
    form = {"csrf_token": csrf_token(client, "/signatures"), "password": KEY_PASSWORD}
    before = _version(instance_id)

    with lost_races(instance_id) as lost:
        done = client.post(f"/signatures/{step_id}/sign", data=form)

    assert len(lost) == 1  # the first run lost its race; the second one won
    assert done.status_code == 302 and done.headers["Location"].endswith("/signatures")
    db.session.expire_all()
    signed = db.session.get(SignatureRequest, request_id)
    assert signed.state == "signed" and signed.steps[0].state == "signed"
    assert signed.result_document_id is not None
    _, pdf = read_content(people["clerk"], signed.result_document_id)
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf
    assert db.session.get(HumanTask, task_id).state == "completed"
    assert instances.show_instance(people["clerk"], instance_id)["status"] == "completed"
    assert _version(instance_id) == before + 1  # the bump went with the lost run; the rerun wrote once


# --------------------------------------------------------------------------- uploads + step

TWO_UPLOADS = {
    **SCHEMA,
    "properties": {**SCHEMA["properties"],
                   "annex": {"type": "integer", "format": "document", "title": "Annex"}},
}


@pytest.fixture
def form_task(tmp_path):
    world = make_world()
    (tmp_path / "liquidacio.json").write_text(json.dumps(TWO_UPLOADS), encoding="utf-8")
    result = deploy_process(None, BPMN, tenant_id=world.tenant.id, forms_dir=tmp_path)
    assert result.ok, result.problems
    db.session.commit()
    opened = open_and_start(ctx_for(world.clerk, world.tenant), process_model_id=result.version.model_id,
                            subject="Liquidació", party=PartyInput("12345678Z", "Maria Garcia"))
    return world, ready_task(opened.expedient.id)


def test_task_form_uploads_survive_a_lost_race(client, form_task):
    world, task = form_task
    task_id, instance_id, expedient_id = task.id, task.instance_id, task.expedient_id
    login_en(client, "anna")
    client.get(f"/tasks/{task_id}")

    with lost_races(instance_id) as lost:
        response = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
            "csrf_token": token(client), "action": "complete", "idem_key": "uow-1",
            "data.nom": "Maria", "data.quantitat": "2", "data.data": "2026-03-02",
            "data.informe": (io.BytesIO(b"%PDF-1.4 informe signat"), "informe.pdf"),
            "data.annex": (io.BytesIO(b"%PDF-1.4 annex"), "annex.pdf"),
        })

    assert len(lost) == 1
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(HumanTask, task_id)
    assert row.state == "completed"
    docs = db.session.execute(select(Document).where(Document.expedient_id == expedient_id)
                              .order_by(Document.id)).scalars().all()
    ctx = ctx_for(world.clerk, world.tenant)
    contents = sorted(read_content(ctx, d.id)[1] for d in docs)
    assert contents == [b"%PDF-1.4 annex", b"%PDF-1.4 informe signat"]  # each once: the lost run kept nothing
    step = instances.show_instance(ctx, instance_id)
    assert step["status"] == "completed"


# --------------------------------------------------------------------------- the helper itself


def test_too_many_lost_races_give_a_conflict_and_keep_nothing(form_task):
    world, task = form_task
    ctx = ctx_for(world.clerk, world.tenant)
    before = _version(task.instance_id)
    db.session.commit()

    def work() -> None:
        save_draft(ctx, task.id, {"nom": "x"})
        _write(task.instance_id)

    with lost_races(task.instance_id, times=3) as lost, pytest.raises(Conflict):
        run_in_transaction(work, retries=3)
    assert len(lost) == 3
    row = db.session.get(HumanTask, task.id)
    assert row.state == "ready" and not row.draft_data
    assert _version(task.instance_id) == before  # every attempt, and its bump, rolled back


def _write(instance_id: int) -> None:
    """A state write-back like the services' (a version compare-and-swap)."""
    from sqlalchemy import update

    current = db.session.execute(select(ProcessInstance.version).where(ProcessInstance.id == instance_id)).scalar_one()
    done = db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id,
                                                            ProcessInstance.version == current)
                              .values(state_json=ProcessInstance.state_json, version=current + 1))
    if done.rowcount != 1:
        raise LostRace()


def test_a_unit_nested_in_another_leaves_committing_to_the_outer_one(form_task):
    world, task = form_task
    ctx = ctx_for(world.clerk, world.tenant)
    db.session.commit()
    calls: list[int] = []

    def outer() -> None:
        calls.append(1)
        run_in_transaction(lambda: instances.claim(ctx, task.id))  # joins: no commit of its own
        if len(calls) == 1:
            raise LostRace()  # the outer entry point lost: the claim goes with it, then is redone

    run_in_transaction(outer)
    assert len(calls) == 2
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == world.clerk.id


def test_what_follows_a_commit_runs_once_and_only_for_the_run_that_won():
    runs: list[int] = []
    followed: list[int] = []

    def work() -> None:
        runs.append(len(runs) + 1)
        after_commit(lambda run=runs[-1]: followed.append(run))
        if len(runs) == 1:
            raise LostRace()

    run_in_transaction(work)
    assert runs == [1, 2] and followed == [2]
    after_commit(lambda: followed.append(0))  # no unit open: right away
    assert followed == [2, 0]
