"""The e-office receipt off the request path: the filing answers with its entry number and time,
the receipt PDF is issued by a job (a real rq worker over Redis; in-process without Redis), and
the page's receipt fragment polls until it shows the download link."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.base.db import db
from engine.documents.documents import Document
from engine.registry.entries import RECEIPT_TIPO, RegistryEntry
from engine.registry.receipt_job import issue_receipt, receipt_job_id
from engine.tenancy.models import Tenant
from tests.services import recover_abandoned, run_queued_jobs, start_next_job_on_a_dying_worker
from tests.test_seu import _file, citizen_login, esmena_version


@pytest.fixture
def town(tenant: Tenant) -> Tenant:
    esmena_version(tenant.id)
    return tenant


def _receipts() -> int:
    return db.session.execute(
        select(func.count()).select_from(Document).where(Document.tipo_documental == RECEIPT_TIPO)
    ).scalar_one()


def _requests() -> int:
    """The requests the e-office printed with their receipts (TD14, engine.citizens.request_document)."""
    return db.session.execute(
        select(func.count()).select_from(Document).where(Document.tipo_documental == "TD14")
    ).scalar_one()


def _entry() -> RegistryEntry:
    db.session.expire_all()
    return db.session.execute(select(RegistryEntry)).scalar_one()


def _status_url(page: str) -> str:
    match = re.search(r'hx-get="([^"]+/justificant)"', page)
    assert match, page
    return match.group(1)


def _receipt_text(client: FlaskClient, town: Tenant, document_id: int) -> str:
    download = client.get(f"/seu/{town.code}/documents/{document_id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    return PdfReader(io.BytesIO(download.data)).pages[0].extract_text()


def test_filing_answers_with_the_number_and_the_receipt_follows_from_the_worker(
    client: FlaskClient, town: Tenant, with_redis: str
) -> None:
    citizen_login(client, town.code)
    response = _file(client, town)
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = _entry()
    # The legal act is made: numbered and timed; the receipt is not issued yet.
    assert entry.number.endswith("/000001") and entry.receipt_document_id is None and _receipts() == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="filed-receipt"' in page and entry.number in page
    assert 'data-receipt="pending"' in page and 'hx-trigger="load delay:1s"' in page
    status_url = _status_url(page)
    pending = client.get(status_url).get_data(as_text=True)
    assert 'data-receipt="pending"' in pending and "hx-get" in pending

    run_queued_jobs()

    ready = client.get(status_url).get_data(as_text=True)
    entry = _entry()
    assert entry.receipt_document_id is not None and _receipts() == 1
    assert 'data-receipt="ready"' in ready and "hx-get" not in ready  # no more polling once done
    assert f"/seu/{town.code}/documents/{entry.receipt_document_id}" in ready
    text = " ".join(_receipt_text(client, town, entry.receipt_document_id).split())
    assert entry.number in text and "Justificant de presentació" in text
    issued = db.session.execute(select(AuditEvent).where(AuditEvent.action == "registry.receipt_issued")).scalar_one()
    assert issued.object_id == str(entry.id)


def test_without_redis_the_receipt_is_ready_when_the_page_answers(
    client: FlaskClient, town: Tenant, without_redis: None
) -> None:
    citizen_login(client, town.code)
    response = _file(client, town)
    assert response.status_code == 302
    entry = _entry()
    assert entry.receipt_document_id is not None and _receipts() == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-receipt="ready"' in page and 'data-receipt="pending"' not in page


def test_the_receipt_job_is_idempotent(client: FlaskClient, town: Tenant, with_redis: str) -> None:
    citizen_login(client, town.code)
    assert _file(client, town).status_code == 302
    entry = _entry()
    first = issue_receipt(town.id, entry.id, "ca")
    run_queued_jobs()  # the queued job finds the receipt issued and adds nothing
    assert issue_receipt(town.id, entry.id, "ca") == first
    assert _entry().receipt_document_id == first and _receipts() == 1


def test_a_worker_killed_mid_job_leaves_nothing_and_the_job_runs_again(
    client: FlaskClient, town: Tenant, with_redis: str
) -> None:
    citizen_login(client, town.code)
    assert _file(client, town).status_code == 302
    entry = _entry()
    assert start_next_job_on_a_dying_worker() == receipt_job_id(entry.id)
    assert _entry().receipt_document_id is None and _receipts() == 0 == _requests()  # nothing half-written
    assert recover_abandoned() == [receipt_job_id(entry.id)]
    run_queued_jobs()
    assert _entry().receipt_document_id is not None and _receipts() == 1 == _requests()


def test_someone_else_cannot_follow_the_receipt(client: FlaskClient, app: Flask, town: Tenant, with_redis: str) -> None:
    citizen_login(client, town.code)
    page = client.get(_file(client, town).headers["Location"]).get_data(as_text=True)
    status_url = _status_url(page)
    other = app.test_client()
    citizen_login(other, town.code, nif="87654321X", name="Jordi Pons")
    assert other.get(status_url).status_code == 404
    assert client.get(f"/seu/{town.code}/registre/999999/justificant").status_code == 404


def test_a_receipt_job_lost_with_redis_is_enqueued_again_by_the_scheduler(
    client: FlaskClient, town: Tenant, with_redis: str
) -> None:
    from redis import Redis

    from engine.worker.scheduler import sweep_all

    citizen_login(client, town.code)
    assert _file(client, town).status_code == 302
    Redis.from_url(with_redis).flushdb()  # Redis lost everything: the database still says what is due
    assert sweep_all().left_for_workers == 1
    run_queued_jobs()
    # the receipt and, printed with it from the start data, the request itself
    assert _entry().receipt_document_id is not None and _receipts() == 1 == _requests()
    assert sweep_all().left_for_workers == 0
