"""Signature verification off the request path: an uploaded signed PDF is stored at once and
checked by a job (a real rq worker over Redis; in-process without Redis); meanwhile the pages say
"Verifying the signature…" and poll, the API says "pending", the ENI export refuses, and closing or
asking for signatures do the check themselves."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict
from engine.documents.closing import close_expedient
from engine.documents.documents import Document
from engine.documents.signature_verification import verification_job_id, verify_signatures
from engine.eni.export import export_expedient
from engine.expedients.expedients import Expedient
from engine.process.instances import tasks as instances
from engine.signatures.circuits import StepSpec, request_signatures
from engine.signatures.credentials import unlock_personal
from engine.signatures.pades import Stamp, sign_pdf
from engine.tenancy.tokens import create_token
from tests.conftest import csrf_token, login
from tests.engine_helpers import make_version
from tests.records_helpers import new_expedient
from tests.services import recover_abandoned, run_queued_jobs, start_next_job_on_a_dying_worker
from tests.test_signatures_helpers import KEY_PASSWORD, report_pdf, town


@pytest.fixture
def people() -> dict[str, Context]:
    return town()


@pytest.fixture
def expedient(people: dict[str, Context]) -> Expedient:
    return new_expedient(people["clerk"])


def _signed(people: dict[str, Context]) -> bytes:
    stamp = Stamp(signer="Joan Batlle", role="Alcalde", date="03/12/2026 10:00:00", csv="ABCDE-FGHJK-MNPQR-STVWX",
                  verify_url="http://gee.test/verify?csv=ABCDE-FGHJK-MNPQR-STVWX",
                  labels={"signed_by": "Signed by", "role": "Role", "date": "Date"})
    return sign_pdf(report_pdf(), unlock_personal(people["mayor"].user_id, KEY_PASSWORD), stamp, reason="x")


def _upload(client: FlaskClient, expedient: Expedient, content: bytes) -> Document:
    return _upload_titled(client, expedient, content, "Informe signat")


def _upload_titled(client: FlaskClient, expedient: Expedient, content: bytes, title: str) -> Document:
    token = csrf_token(client, f"/expedients/{expedient.id}")
    response = client.post(f"/expedients/{expedient.id}/documents",
                           data={"csrf_token": token, "title": title, "tipo_documental": "TD13",
                                 "file": (io.BytesIO(content), "signat.pdf")})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.execute(select(Document).where(Document.title == title)).scalar_one()


def _document(document_id: int) -> Document:
    db.session.expire_all()
    doc = db.session.get(Document, document_id)
    assert doc is not None
    return doc


def _signatures_url(page: str, document_id: int) -> str:
    match = re.search(rf'hx-get="([^"]+/documents/{document_id}/signatures[^"]*)"', page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


def _task_in(people: dict[str, Context], expedient: Expedient) -> int:
    """A ready task of a process running in the expedient (its page lists the expedient's documents)."""
    version = make_version(people["clerk"].tenant_id, "document_then_review")
    task_id = instances.start_instance(people["clerk"], version, expedient.id, {"nom": "Maria"})["ready_tasks"][0]["id"]
    db.session.commit()
    return int(task_id)


def _api_verification(client: FlaskClient, people: dict[str, Context], document_id: int) -> str:
    secret = create_token(people["clerk"], "script").secret
    db.session.commit()
    answer = client.get(f"/api/v1/documents/{document_id}", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    return str(body.get("document", body).get("signature_verification"))


def test_the_upload_answers_at_once_and_the_worker_records_the_signatures(
    client: FlaskClient, people: dict[str, Context], expedient: Expedient, with_redis: str
) -> None:
    login(client, "clerk.ajt-proves")
    doc = _upload(client, expedient, _signed(people))
    assert doc.verification_pending and doc.signatures == []  # stored; not checked yet

    page = client.get(f"/expedients/{expedient.id}").get_data(as_text=True)
    assert 'data-verification="pending"' in page and "verificant la signatura" in page
    status_url = _signatures_url(page, doc.id)
    assert 'data-verification="pending"' in client.get(status_url).get_data(as_text=True)
    task_page = client.get(f"/tasks/{_task_in(people, expedient)}").get_data(as_text=True)
    assert 'data-verification="pending"' in task_page and "style=task" in _signatures_url(task_page, doc.id)
    assert _api_verification(client, people, doc.id) == "pending"
    with pytest.raises(Conflict, match="still being verified"):
        export_expedient(people["clerk"], expedient.id)
    db.session.rollback()

    run_queued_jobs()

    doc = _document(doc.id)
    assert not doc.verification_pending
    [entry] = doc.signatures
    assert entry["type"] == "TF06" and entry["signer"] == "Joan Batlle" and entry["verified"] is True
    done = client.get(status_url).get_data(as_text=True)
    assert 'data-verification="done"' in done and "Joan Batlle" in done and "hx-get" not in done
    assert _api_verification(client, people, doc.id) == "done"
    verified = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "document.signatures_verified")).scalar_one()
    assert verified.object_id == str(doc.id)
    export_expedient(people["clerk"], expedient.id)  # nothing pending any more


def test_closing_or_asking_for_signatures_does_the_pending_check_itself(
    client: FlaskClient, people: dict[str, Context], expedient: Expedient, with_redis: str
) -> None:
    login(client, "clerk.ajt-proves")
    first = _upload(client, expedient, _signed(people))
    request_signatures(people["clerk"], first.id, [StepSpec(role="alcalde")])
    db.session.commit()
    assert not _document(first.id).verification_pending and _document(first.id).signatures[0]["verified"]
    second = _document(_upload_titled(client, expedient, _signed(people), "Segon").id)
    close_expedient(people["clerk"], expedient.id)  # it freezes the documents: checked now, not later
    db.session.commit()
    assert not _document(second.id).verification_pending and len(_document(second.id).signatures) == 1
    run_queued_jobs()  # the queued jobs find the work done
    assert len(_document(first.id).signatures) == 1 and len(_document(second.id).signatures) == 1


def test_without_redis_the_signatures_are_known_when_the_page_answers(
    client: FlaskClient, people: dict[str, Context], expedient: Expedient, without_redis: None
) -> None:
    login(client, "clerk.ajt-proves")
    doc = _upload(client, expedient, _signed(people))
    assert not doc.verification_pending and doc.signatures[0]["signer"] == "Joan Batlle"
    page = client.get(f"/expedients/{expedient.id}").get_data(as_text=True)
    assert 'data-verification="pending"' not in page and "Joan Batlle" in page


def test_an_unsigned_pdf_needs_no_verification(
    client: FlaskClient, expedient: Expedient, with_redis: str
) -> None:
    login(client, "clerk.ajt-proves")
    doc = _upload(client, expedient, report_pdf())
    assert not doc.verification_pending and doc.signatures == []


def test_the_verification_job_is_idempotent(
    client: FlaskClient, people: dict[str, Context], expedient: Expedient, with_redis: str
) -> None:
    login(client, "clerk.ajt-proves")
    doc = _upload(client, expedient, _signed(people))
    assert verify_signatures(people["clerk"].tenant_id, doc.id) is True
    db.session.commit()
    run_queued_jobs()  # the queued job finds the verification done and records nothing more
    assert verify_signatures(people["clerk"].tenant_id, doc.id) is True
    assert len(_document(doc.id).signatures) == 1


def test_a_worker_killed_mid_job_leaves_it_pending_and_the_job_runs_again(
    client: FlaskClient, people: dict[str, Context], expedient: Expedient, with_redis: str
) -> None:
    login(client, "clerk.ajt-proves")
    doc = _upload(client, expedient, _signed(people))
    assert start_next_job_on_a_dying_worker() == verification_job_id(doc.id)
    assert _document(doc.id).verification_pending  # nothing half-written
    assert recover_abandoned() == [verification_job_id(doc.id)]
    run_queued_jobs()
    assert not _document(doc.id).verification_pending and len(_document(doc.id).signatures) == 1


def test_a_verification_lost_with_redis_is_enqueued_again_by_the_scheduler(
    client: FlaskClient, people: dict[str, Context], expedient: Expedient, with_redis: str
) -> None:
    from redis import Redis

    from engine.worker.scheduler import sweep_all

    login(client, "clerk.ajt-proves")
    doc = _upload(client, expedient, _signed(people))
    Redis.from_url(with_redis).flushdb()  # Redis lost everything: the database still says what is due
    assert sweep_all().left_for_workers == 1
    run_queued_jobs()
    assert not _document(doc.id).verification_pending and len(_document(doc.id).signatures) == 1
    assert sweep_all().left_for_workers == 0
