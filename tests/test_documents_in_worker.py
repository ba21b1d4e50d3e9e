"""A task completion that generates a document, off the request path: with Redis the web request
commits the completion and a worker (rq) renders the PDF and opens the next step, which waits for
it; the expedient page and the inbox show "document being generated" and then that it is ready.
Without Redis the document is rendered in the request, as before."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.base.db import db
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import open_expedient
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask, ProcessInstance
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, ctx_for, login, make_user
from tests.engine_helpers import make_version
from tests.services import recover_abandoned, run_queued_jobs, start_next_job_on_a_dying_worker

OFICI = "<p>Ofici per a {{ nom }}, expedient {{ expedient.number }}.</p>"


@pytest.fixture
def drafted(tenant: Tenant, client: FlaskClient) -> dict[str, int]:
    """An expedient whose procedure waits at "Redactar l'ofici", and a clerk logged in."""
    clerk = make_user("clerk", tenant, ("tramitador",))
    ctx = ctx_for(clerk, tenant)
    version = make_version(tenant.id, "document_then_review")
    version.templates = {"ofici.ca.html": OFICI, "ofici.es.html": OFICI}
    expedient = open_expedient(ctx, "Ofici de prova")
    db.session.commit()
    started = instances.start_instance(ctx, version, expedient.id, {"nom": "Maria Puig"})
    login(client, "clerk")
    return {"expedient_id": expedient.id, "instance_id": started["instance_id"],
            "task_id": started["ready_tasks"][0]["id"]}  # fmt: skip


def _complete(client: FlaskClient, task_id: int) -> str:
    response = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(client, "/tasks"),
                                                      "action": "complete"})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _ofici() -> list[Document]:
    db.session.expire_all()
    return list(db.session.execute(select(Document).where(Document.title == "Ofici")).scalars())


def _ready_steps(instance_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.execute(select(HumanTask.element_id).where(HumanTask.instance_id == instance_id,
                                                                      HumanTask.state == "ready")).scalars())


def test_the_completion_answers_and_the_worker_generates_the_document(
    client: FlaskClient, tenant: Tenant, drafted: dict[str, int], with_redis: str
) -> None:
    expedient_id, instance_id = drafted["expedient_id"], drafted["instance_id"]
    inbox = client.get(_complete(client, drafted["task_id"])).get_data(as_text=True)
    # Committed: the draft step is done; the document and the step that needs it are not there yet.
    assert _ofici() == [] and _ready_steps(instance_id) == []
    assert db.session.get(ProcessInstance, instance_id).status == "running"
    assert "El procediment està generant els seus documents" in inbox  # the flash, in Catalan (the default)
    assert 'data-generating="pending"' in inbox and f'hx-get="/tasks/{drafted["task_id"]}/after"' in inbox
    page = client.get(f"/expedients/{expedient_id}").get_data(as_text=True)
    assert 'id="documents-generating"' in page and 'data-generating="pending"' in page
    assert f'hx-get="/expedients/{expedient_id}/generating"' in page and 'hx-trigger="load delay:1s"' in page
    assert 'data-generating="pending"' in client.get(f"/expedients/{expedient_id}/generating").get_data(as_text=True)

    run_queued_jobs()

    [ofici] = _ofici()
    assert ofici.expedient_id == expedient_id and ofici.csv and ofici.author == "clerk"  # made as the clerk
    assert _ready_steps(instance_id) == ["review"] and db.session.get(ProcessInstance, instance_id).status == "waiting"
    done = client.get(f"/expedients/{expedient_id}/generating").get_data(as_text=True)
    assert 'data-generating="done"' in done and "hx-get" not in done  # no polling once done
    after = client.get(f"/tasks/{drafted['task_id']}/after").get_data(as_text=True)
    assert "Revisar l" in after and "hx-get" not in after
    page = client.get(f"/expedients/{expedient_id}").get_data(as_text=True)
    assert 'id="documents-generating"' not in page
    _stored, pdf = read_content(ctx_for(make_user("reader", tenant, ("tramitador",)), tenant), ofici.id)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Ofici per a Maria Puig" in text


def test_without_redis_the_document_is_generated_in_the_request(
    client: FlaskClient, drafted: dict[str, int], without_redis: None
) -> None:
    inbox = client.get(_complete(client, drafted["task_id"])).get_data(as_text=True)
    assert len(_ofici()) == 1 and _ready_steps(drafted["instance_id"]) == ["review"]
    assert 'data-generating="pending"' not in inbox
    assert 'id="documents-generating"' not in client.get(f"/expedients/{drafted['expedient_id']}").get_data(
        as_text=True)


def test_engine_callers_keep_generating_inline(tenant: Tenant, drafted: dict[str, int], with_redis: str) -> None:
    """Only a web request leaves the document to the worker; a service call (a script, the demo) does not."""
    ctx = ctx_for(make_user("other", tenant, ("tramitador",)), tenant)
    result = instances.complete_task(ctx, drafted["task_id"], {})
    assert result["status"] == "waiting" and len(_ofici()) == 1


def test_a_worker_killed_mid_job_generates_the_document_once(
    client: FlaskClient, drafted: dict[str, int], with_redis: str
) -> None:
    _complete(client, drafted["task_id"])
    assert start_next_job_on_a_dying_worker() == instances.steps_job_id(drafted["instance_id"])
    assert _ofici() == [] and _ready_steps(drafted["instance_id"]) == []
    assert recover_abandoned() == [instances.steps_job_id(drafted["instance_id"])]
    run_queued_jobs()
    run_queued_jobs()  # nothing left to do: still one document
    assert len(_ofici()) == 1 and _ready_steps(drafted["instance_id"]) == ["review"]
    count = db.session.execute(select(func.count()).select_from(HumanTask).where(
        HumanTask.instance_id == drafted["instance_id"])).scalar_one()  # fmt: skip
    assert count == 2  # draft (completed) and review: the step was not opened twice


def test_a_steps_job_lost_with_redis_is_enqueued_again_by_the_scheduler(
    client: FlaskClient, drafted: dict[str, int], with_redis: str
) -> None:
    from redis import Redis

    from engine.worker.scheduler import sweep_all

    _complete(client, drafted["task_id"])
    Redis.from_url(with_redis).flushdb()
    assert sweep_all().left_for_workers == 1
    run_queued_jobs()
    assert len(_ofici()) == 1 and _ready_steps(drafted["instance_id"]) == ["review"]
    assert sweep_all().left_for_workers == 0
