"""The worker: timer sweeper (embedded and over Redis), scheduler lock, recovery of a killed
worker, retries/failed jobs/admin retry, deadline alerts and escalation, integrity checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.clock import MADRID, as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden
from engine.base.jobs import enqueue
from engine.calendar import TenantCalendar
from engine.inbox.overdue_escalation import TaskEscalation
from engine.process.instances import tasks as instances
from engine.process.instances import timer_sweep as timers
from engine.process.models import CompletedStep, HumanTask, Timer
from engine.tenancy.models import Tenant
from engine.worker import admin
from engine.worker.integrity import latest_check, run_integrity_checks
from engine.worker.scheduler import Scheduler, sweep_all
from tests.conftest import make_user, settings_changed
from tests.engine_helpers import make_version
from tests.services import run_queued_jobs
from tests.smtp_sink import SmtpSink
from tests.web_clerk import login_en

ROOT = Path(__file__).resolve().parent.parent


def system(tenant: Tenant) -> Context:
    return Context.system(tenant.id, "test")


def start(tenant: Tenant, fixture: str) -> int:
    version = make_version(tenant.id, fixture)
    return int(instances.start_instance(system(tenant), version)["instance_id"])


def fired_count(instance_id: int) -> int:
    return db.session.query(AuditEvent).filter_by(action="timer.fired", object_id=str(instance_id)).count()


def ready(instance_id: int) -> list[str]:
    db.session.expire_all()
    rows = db.session.execute(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.state == "ready")).scalars()
    return [r.element_id for r in rows]


def pending_timer(instance_id: int) -> Timer:
    return db.session.execute(select(Timer).where(Timer.instance_id == instance_id)).scalar_one()


# ----------------------------------------------------------------------------- embedded


def test_unanswered_requeriment_leads_to_desistiment_through_the_sweeper(app: Flask, tenant: Tenant) -> None:
    instance_id = start(tenant, "worker_requeriment")
    # Art. 68 + art. 30: 10 working days of the tenant's calendar counted from the day after,
    # ending at the end of the last day (Europe/Madrid).
    today = datetime.now(MADRID).date()
    last_day = TenantCalendar.for_tenant(tenant).add_working_days(today, 10)
    expected = datetime.combine(last_day, dtime(23, 59, 59), tzinfo=MADRID).astimezone(UTC)
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == instance_id)).scalar_one()
    assert task.element_id == "await_amendment"
    assert as_utc(task.due_at) == expected == as_utc(pending_timer(instance_id).due_at)
    with settings_changed(app, redis_url=None):
        assert timers.sweep(expected - timedelta(minutes=1)).due_instances == 0
        assert ready(instance_id) == ["await_amendment"]
        assert timers.sweep(expected + timedelta(seconds=1)).due_instances == 1
        assert ready(instance_id) == ["desistiment"]
        assert timers.sweep(expected + timedelta(seconds=2)).due_instances == 0  # swept again: nothing
    assert fired_count(instance_id) == 1
    assert pending_timer(instance_id).state == "fired"


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        app.config.update(GEE_SMTP_HOST=sink.host, GEE_SMTP_PORT=sink.port, GEE_SMTP_FROM="gee@ajuntament.test")
        try:
            yield sink
        finally:
            for key in ("GEE_SMTP_HOST", "GEE_SMTP_PORT", "GEE_SMTP_FROM"):
                app.config.pop(key, None)


def test_overdue_task_is_escalated_to_the_secretaries_once(app: Flask, tenant: Tenant, smtp: SmtpSink) -> None:
    make_user("secretaria", tenant, ("secretari",), email="secretaria@ajuntament.test")
    make_user("secretario", tenant, ("secretari",), email="secretario@ajuntament.test", locale="es")
    make_user("clerk", tenant, ("tramitador",), email="clerk@ajuntament.test")
    db.session.commit()
    instance_id = start(tenant, "worker_requeriment")
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == instance_id)).scalar_one()
    due = as_utc(task.due_at)
    assert due is not None
    with settings_changed(app, redis_url=None):
        # The timer is due at the same moment: the sweep fires it; the new task has no deadline.
        # Escalation concerns a task past its own due_at that is still ready: move the deadline.
        task.due_at = utcnow() - timedelta(days=1)
        db.session.commit()
        first = sweep_all(utcnow())
        second = sweep_all(utcnow())
    assert first.escalations == 1 and second.escalations == 0
    escalation = db.session.execute(select(TaskEscalation)).scalar_one()
    assert escalation.human_task_id == task.id
    # The sweep may also send the week's e-mail of legal terms (engine.control.weekly_digest).
    subjects = [str(make_header(decode_header(m["subject"]))) for m in smtp.messages]
    escalated = [{**m, "subject": subject} for m, subject in zip(smtp.messages, subjects, strict=True)
                 if "Wait for the amendment" in subject or "Esperar la subsanación" in subject]
    assert len(escalated) == 2  # one per language the secretaries chose
    message = next(m for m in escalated if m["to"] == ["secretaria@ajuntament.test"])
    assert "Wait for the amendment" in message["subject"]
    # The Spanish-speaking secretary reads the step's Spanish name and the date the Spanish way.
    spanish = next(m for m in escalated if m["to"] == ["secretario@ajuntament.test"])
    assert spanish["subject"] == "Tarea fuera de plazo: Esperar la subsanación"
    overdue = local_date(utcnow() - timedelta(days=1))
    month = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")[overdue.month - 1]
    assert f"vencía el {overdue.day} {month} {overdue.year} y sigue pendiente" in spanish["body"]

    # The secretary also finds it listed, still pending; the clerk has no such page.
    client = app.test_client()
    login_en(client, "secretaria")
    page = client.get("/escalations").get_data(as_text=True)
    assert f'data-task-id="{task.id}"' in page and "still pending" in page
    login_en(client, "clerk")
    assert client.get("/escalations").status_code == 403


def test_integrity_check_finds_an_altered_document(app: Flask, tenant: Tenant) -> None:
    from engine.documents.documents import store_document
    from engine.documents.store import content_store

    ctx = system(tenant)
    doc = store_document(ctx, None, "acta.txt", b"Acta de la sessio", title="Acta", tipo_documental="TD10",
                         from_administration=True)
    intact = store_document(ctx, None, "informe.txt", b"Informe tecnic", title="Informe", tipo_documental="TD13",
                            from_administration=True)
    db.session.commit()
    run_integrity_checks()
    first = latest_check(tenant.id)
    assert first is not None and first.ok and first.documents_checked == 2
    path = content_store().path_for(doc.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"Acta de la sessio (modificada)")
    run_integrity_checks(tenant.id)
    second = latest_check(tenant.id)
    assert second is not None and not second.ok and second.audit_ok
    assert [f["document_id"] for f in second.failures] == [doc.id] and intact.id != doc.id


# ----------------------------------------------------------------------------- Redis


def worker_env(app: Flask) -> dict[str, str]:
    from engine.base.settings import settings_of

    settings = settings_of(app)
    return {**os.environ, "REDIS_URL": str(settings.redis_url), "DATABASE_URL": settings.database_url,
            "GEE_ENV": "testing", "GEE_DOCUMENT_STORE": str(settings.document_store)}


def test_two_schedulers_at_once_never_double_fire(app: Flask, tenant: Tenant, with_redis: str) -> None:
    instance_id = start(tenant, "exec_timer")
    due = as_utc(pending_timer(instance_id).due_at)
    assert due is not None
    first, second = Scheduler(app), Scheduler(app)
    moment = due + timedelta(seconds=1)
    assert first.tick(moment).held and first.tick(moment).held  # the holder renews its lock
    assert not second.tick(moment).held
    timers.sweep(moment)  # even an overlapping sweep without the lock enqueues nothing new
    from engine.base.jobs import job_queue, redis_connection

    queued = job_queue(redis_connection()).job_ids  # type: ignore[arg-type]
    assert [j for j in queued if j.startswith("timer-")] == [timers.batch_job_id(0)]
    run_queued_jobs()
    assert ready(instance_id) == ["expired"] and fired_count(instance_id) == 1
    first.lock.release()  # type: ignore[union-attr]
    assert second.tick(moment + timedelta(seconds=1)).held  # the other one takes over
    run_queued_jobs()
    assert fired_count(instance_id) == 1


def test_the_worker_logs_its_jobs_not_every_step_of_every_instance(app: Flask, tenant: Tenant, with_redis: str) -> None:
    """The admin reads the worker's log: a line per job, none per SpiffWorkflow task state change."""
    instance_ids = [start(tenant, "exec_timer") for _ in range(3)]
    due = max(as_utc(pending_timer(instance_id).due_at) or utcnow() for instance_id in instance_ids)
    timers.sweep(due + timedelta(seconds=1))
    worker = subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst", "--no-scheduler"],
                            env=worker_env(app), cwd=ROOT, capture_output=True, timeout=120, check=True)
    assert [fired_count(instance_id) for instance_id in instance_ids] == [1, 1, 1]
    log = worker.stderr.decode()
    assert timers.batch_job_id(0) in log  # rq's line for the batch job
    assert "spiff" not in log


def slow_fire(swept_at: str, marker: str) -> int:
    """A timer batch job that is slow: it signals it started, then takes a minute."""
    Path(marker).write_text("started")
    time.sleep(60)
    return timers.fire_due_batch(swept_at)


def test_a_killed_worker_is_recovered_and_the_instance_advances_once(
    app: Flask, tenant: Tenant, with_redis: str, tmp_path: Path
) -> None:
    instance_id = start(tenant, "exec_timer")
    due = as_utc(pending_timer(instance_id).due_at)
    assert due is not None
    marker = tmp_path / "started"
    enqueue(slow_fire, (due + timedelta(seconds=1)).isoformat(), str(marker),
            job_id=timers.batch_job_id(0))
    proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "--no-scheduler"], env=worker_env(app),
                            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "job never started"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the host dies: worker and work-horse at once
        proc.wait()
    assert ready(instance_id) == ["answer"] and fired_count(instance_id) == 0
    # Long after the dead worker's heartbeat expired, the sweeper finds the timer still due, even
    # when rq's record of the execution expired too (rq's recovery then raised "Execution … not
    # found in Redis" at every tick).
    from engine.base.jobs import redis_connection

    connection = redis_connection()
    assert connection is not None
    executions = [key for key in connection.scan_iter("rq:execution:*")]
    assert executions
    connection.delete(*executions)
    later = utcnow() + timedelta(days=11)
    result = timers.sweep(later)
    assert (result.recovered, result.due_instances) == (1, 1)
    run_queued_jobs()
    assert ready(instance_id) == ["expired"] and fired_count(instance_id) == 1
    timers.sweep(later + timedelta(seconds=1))
    run_queued_jobs()
    assert fired_count(instance_id) == 1
    steps = db.session.query(CompletedStep).filter_by(instance_id=instance_id, element_id="deadline").count()
    assert steps == 1


def flaky(tenant_id: int, flag: str) -> None:
    """Fails until ``flag`` exists; then leaves an audit event."""
    if not Path(flag).exists():
        raise RuntimeError("the registry service did not answer")
    from engine.audit import record

    record(Context.system(tenant_id, "job"), "job.flaky_done", "tenant", tenant_id)
    db.session.commit()


def test_failed_job_is_retried_with_backoff_then_listed_and_retried_by_an_admin(
    app: Flask, tenant: Tenant, with_redis: str, tmp_path: Path
) -> None:
    from rq.job import Job

    from engine.base.jobs import RETRY_INTERVALS, job_queue, redis_connection

    connection = redis_connection()
    assert connection is not None
    queue = job_queue(connection)
    flag = tmp_path / "service-up"
    job_id = enqueue(flaky, tenant.id, str(flag))
    assert job_id
    for interval in RETRY_INTERVALS:
        run_queued_jobs()
        scheduled = queue.scheduled_job_registry
        assert scheduled.get_job_ids() == [job_id]
        delay = scheduled.get_scheduled_time(job_id).timestamp() - time.time()
        assert interval - 5 < delay <= interval  # backoff: 10 s, 60 s, 300 s
        scheduled.requeue(job_id)  # the moment comes
    run_queued_jobs()
    assert queue.failed_job_registry.get_job_ids() == [job_id]
    admin_ctx = Context(tenant.id, None, "admin", frozenset({"admin"}))
    overview = admin.jobs_overview(admin_ctx)
    assert not overview.embedded
    assert [(f.id, f.error) for f in overview.failed] == [(job_id, "RuntimeError: the registry service did not answer")]
    other = Context(tenant.id + 1, None, "other-admin", frozenset({"admin"}))
    assert admin.jobs_overview(other).failed == []
    with pytest.raises(Forbidden):
        admin.jobs_overview(Context(tenant.id, None, "clerk", frozenset({"tramitador"})))
    flag.write_text("up")
    admin.retry_failed_job(admin_ctx, job_id)
    assert queue.count == 1
    run_queued_jobs()
    assert Job.fetch(job_id, connection=connection).get_status() == "finished"
    assert db.session.query(AuditEvent).filter_by(action="job.flaky_done").count() == 1
    assert admin.jobs_overview(admin_ctx).failed == []


def test_embedded_overview_says_jobs_run_in_process(app: Flask, tenant: Tenant) -> None:
    with settings_changed(app, redis_url=None):
        overview = admin.jobs_overview(Context(tenant.id, None, "admin", frozenset({"admin"})))
    assert overview.embedded and overview.failed == []


# ----------------------------------------------------------------------------- admin page


def test_admin_page_shows_embedded_mode_and_integrity(app: Flask, client, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login

    make_user("admin-user", tenant, ("admin",))
    make_user("clerk-user", tenant, ("tramitador",))
    db.session.commit()
    run_integrity_checks(tenant.id)
    login(client, "clerk-user")
    assert client.get("/admin/jobs/").status_code == 403
    other = app.test_client()
    login(other, "admin-user")
    with settings_changed(app, redis_url=None):
        html = other.get("/admin/jobs/").get_data(as_text=True)
    assert 'id="embedded-mode"' in html and 'data-ok="true"' in html
    assert "/admin/jobs/" in other.get("/").get_data(as_text=True)  # the NAV entry


def test_admin_retries_a_failed_job_from_the_page(app: Flask, tenant: Tenant, with_redis: str, tmp_path: Path) -> None:
    from tests.conftest import csrf_token, login

    make_user("admin-user", tenant, ("admin",))
    db.session.commit()
    flag = tmp_path / "up"
    from engine.base.jobs import job_queue, redis_connection

    queue = job_queue(redis_connection())  # type: ignore[arg-type]
    job_id = enqueue(flaky, tenant.id, str(flag))
    for _ in range(4):
        run_queued_jobs()
        for scheduled in queue.scheduled_job_registry.get_job_ids():
            queue.scheduled_job_registry.requeue(scheduled)
    client = app.test_client()
    login(client, "admin-user")
    html = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'data-job-id="{job_id}"' in html and "RuntimeError: the registry service did not answer" in html
    flag.write_text("up")
    token = csrf_token(client, "/admin/jobs/")
    assert client.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": token}).status_code == 302
    run_queued_jobs()
    assert 'id="no-failed-jobs"' in client.get("/admin/jobs/").get_data(as_text=True)
    assert client.post("/admin/jobs/nope/retry", data={"csrf_token": token}).status_code == 404


# ----------------------------------------------------------------------------- jobs of the engine


def test_generate_document_renders_the_procedure_template_in_the_expedient_language(
    app: Flask, tenant: Tenant
) -> None:
    from engine.documents.documents import read_content
    from engine.documents.generation_job import generate_document
    from engine.expedients.expedients import open_expedient

    ctx = system(tenant)
    version = make_version(tenant.id, "worker_notified")
    version.templates = {"ofici.html": "<h1>{{ tenant.name }}</h1><p>{{ data.nom }} ({{ locale }})</p>"}
    expedient = open_expedient(ctx, "Instància genèrica")
    db.session.commit()
    with settings_changed(app, redis_url=None):
        doc_id = enqueue(generate_document, tenant.id, expedient.id, "ofici.html", {"nom": "Maria"}, "es",
                         title="Ofici", process_version_id=version.id)
    assert doc_id is None  # ran in-process
    doc = db.session.execute(select(AuditEvent).where(AuditEvent.action == "document.stored")).scalar_one()
    stored, content = read_content(ctx, int(doc.object_id))
    assert content.startswith(b"%PDF") and stored.title == "Ofici" and stored.expedient_id == expedient.id
    assert stored.from_administration


def test_a_version_renders_with_its_own_base_template_never_the_files_on_disk(tenant: Tenant) -> None:
    from jinja2 import TemplateNotFound

    from engine.documents.procedure_templates import render_version_template

    version = make_version(tenant.id, "worker_notified")
    version.templates = {  # processes/templates/_document.html exists on disk with other content
        "ofici.ca.html": '{% extends "_document.html" %}{% block content %}Hola {{ nom }}{% endblock %}',
        "ofici.es.html": '{% extends "_document.html" %}{% block content %}Hola, {{ nom }}{% endblock %}',
        "_document.html": "<main>{% block content %}{% endblock %}</main>",
    }
    rendered = render_version_template(version, "ofici.ca.html", "es", {"nom": "<Maria>"})
    assert (rendered.name, rendered.html) == ("ofici.es.html", "<main>Hola, &lt;Maria&gt;</main>")
    version.templates = {"ofici.ca.html": version.templates["ofici.ca.html"]}
    with pytest.raises(TemplateNotFound):
        render_version_template(version, "ofici.ca.html", "ca", {"nom": "Maria"})


def test_run_engine_steps_in_background_says_in_progress_with_redis(
    app: Flask, tenant: Tenant, with_redis: str
) -> None:
    from engine.process.instances.background_steps import continue_in_background

    instance_id = start(tenant, "worker_notified")
    answer = continue_in_background(system(tenant), instance_id)
    assert answer["status"] == "in_progress" and answer["job_id"] == f"steps-{instance_id}"
    assert continue_in_background(system(tenant), instance_id)["job_id"] == answer["job_id"]  # deduplicated
    run_queued_jobs()
    assert ready(instance_id) == ["wait_notification"]


def test_a_job_that_kills_its_worker_every_time_ends_in_the_failed_jobs(
    app: Flask, tenant: Tenant, with_redis: str, tmp_path: Path
) -> None:
    from rq import SimpleWorker

    from engine.base.jobs import MAX_ABANDONED, WORKERS_KEY, job_queue, recover_abandoned_jobs, redis_connection

    connection = redis_connection()
    assert connection is not None
    queue = job_queue(connection)
    job_id = enqueue(flaky, tenant.id, str(tmp_path / "never"))
    for attempt in range(MAX_ABANDONED + 1):
        # A GEE worker takes the job and its process dies (no liveness key is left behind).
        name = f"dead-host.{attempt}"
        connection.sadd(WORKERS_KEY, name)
        worker = SimpleWorker([queue], connection=connection, name=name)
        job, _queue = queue.dequeue_any([queue], timeout=None, connection=connection)  # type: ignore[misc]
        assert job.id == job_id
        worker.prepare_execution(job)
        worker.prepare_job_execution(job)  # what rq does as the job starts
        assert recover_abandoned_jobs(connection, time.time()) == ([job_id] if attempt < MAX_ABANDONED else [])
    assert queue.count == 0
    admin_ctx = Context(tenant.id, None, "admin", frozenset({"admin"}))
    assert [(f.id, f.error) for f in admin.jobs_overview(admin_ctx).failed] == [
        (job_id, f"AbandonedJobError: the worker died {MAX_ABANDONED + 1} times while running it")]
