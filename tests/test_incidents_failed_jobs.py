"""Without Redis, a job that fails in-process is kept for the administrator: the Background jobs page says
what failed, for which expedient, when and why, and its Retry runs it again here."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.jobs import enqueue
from engine.base.unit_of_work import run_in_transaction
from engine.documents.documents import Document
from engine.documents.generation_job import generate_document
from engine.expedients.expedients import open_expedient
from engine.tenancy.models import Tenant
from engine.worker.failed_jobs import FailedJobRecord
from tests.conftest import csrf_token, make_tenant, make_user, settings_changed
from tests.engine_helpers import make_version
from tests.web_clerk import login_en

TEMPLATE = "<h1>{{ tenant.name }}</h1><p>{{ data.nom }}</p>"


def _broken_generation(tenant: Tenant) -> tuple[int, int, str]:
    """An expedient whose document is asked of a template its procedure lacks: (expedient, version, number)."""
    version = make_version(tenant.id, "worker_notified")
    version.templates = {"altre.html": TEMPLATE}
    expedient = open_expedient(Context.system(tenant.id, "test"), "Instància genèrica")
    db.session.commit()
    return expedient.id, version.id, expedient.number


def _generate(tenant: Tenant, expedient_id: int, version_id: int) -> None:
    enqueue(generate_document, tenant.id, expedient_id, "ofici.html", {"nom": "Maria"}, "ca", title="Ofici",
            process_version_id=version_id, job_id=f"document-{expedient_id}")


def _row(html: str) -> str:
    match = re.search(r'<tr data-failed-job-id="\d+">.*?</tr>', html, re.S)
    assert match, "no failed job listed"
    return match.group(0)


def _fix_template(version_id: int) -> None:
    from engine.process.models import ProcessVersion

    version = db.session.get(ProcessVersion, version_id)
    assert version is not None
    version.templates = {"altre.html": TEMPLATE, "ofici.html": TEMPLATE}
    db.session.commit()


def test_a_job_failed_in_process_is_listed_and_retried_from_the_page(app: Flask, client, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    make_user("admin-user", tenant, ("admin",))
    expedient_id, version_id, number = _broken_generation(tenant)
    with settings_changed(app, redis_url=None):
        for _attempt in range(2):  # the scheduler (or a second request) runs it again: still one row
            _generate(tenant, expedient_id, version_id)  # the caller's work stands: the failure is kept, not raised
        login_en(client, "admin-user")
        row = _row(client.get("/admin/jobs/").get_data(as_text=True))
        assert "Generation of a document" in row
        assert f'href="/expedients/{expedient_id}"' in row and number in row
        assert "The template ofici.html is not part of this procedure." in row  # the error in words
        assert "<details" in row and "NotFound" in row  # the technical detail, folded
        assert "failed 2 times" in row
        record_id = db.session.execute(select(FailedJobRecord.id)).scalar_one()

        token = csrf_token(client, "/admin/jobs/")
        again = client.post(f"/admin/jobs/in-process/{record_id}/retry", data={"csrf_token": token},
                            follow_redirects=True).get_data(as_text=True)
        assert "The job was run again and failed again: The template ofici.html is not part of this procedure." in again
        assert "failed 3 times" in _row(again)

        _fix_template(version_id)
        done = client.post(f"/admin/jobs/in-process/{record_id}/retry", data={"csrf_token": token},
                           follow_redirects=True).get_data(as_text=True)
    assert "The job was run again and went through." in done and 'id="no-failed-jobs"' in done
    stored = db.session.execute(select(Document).where(Document.expedient_id == expedient_id)).scalar_one()
    assert stored.title == "Ofici"


def test_a_job_that_later_runs_through_is_no_longer_listed(app: Flask, client, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    expedient_id, version_id, _number = _broken_generation(tenant)
    with settings_changed(app, redis_url=None):
        _generate(tenant, expedient_id, version_id)
        assert db.session.execute(select(func.count()).select_from(FailedJobRecord)).scalar_one() == 1
        _fix_template(version_id)
        _generate(tenant, expedient_id, version_id)
    assert db.session.execute(select(func.count()).select_from(FailedJobRecord)).scalar_one() == 0


def test_a_job_run_inside_a_request_fails_the_request_not_the_jobs_page(app: Flask, tenant: Tenant) -> None:
    expedient_id, version_id, _number = _broken_generation(tenant)
    with settings_changed(app, redis_url=None), pytest.raises(NotFound):
        run_in_transaction(lambda: _generate(tenant, expedient_id, version_id))
    assert db.session.execute(select(func.count()).select_from(FailedJobRecord)).scalar_one() == 0


def test_an_administrator_sees_only_the_failed_jobs_of_their_municipality(app: Flask, client, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    expedient_id, version_id, _number = _broken_generation(tenant)
    other = make_tenant("ajt-altre", "Ajuntament d'Altre")
    make_user("other-admin", other, ("admin",))
    db.session.commit()
    with settings_changed(app, redis_url=None):
        _generate(tenant, expedient_id, version_id)
        login_en(client, "other-admin")
        html = client.get("/admin/jobs/").get_data(as_text=True)
        record_id = db.session.execute(select(FailedJobRecord.id)).scalar_one()
        refused = client.post(f"/admin/jobs/in-process/{record_id}/retry",
                              data={"csrf_token": csrf_token(client, "/admin/jobs/")})
    assert 'id="no-failed-jobs"' in html and "data-failed-job-id" not in html
    assert refused.status_code == 404
