"""The admin's migration page: upload the old tool's export as a zip, follow the progress, download
the report, run it again; as a background job that resumes after a kill and never imports twice."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import engine.eni.migration_runs as migration_runs
from engine.base.db import db
from engine.base.jobs import job_queue, redis_connection, run_job
from engine.base.settings import current_settings
from engine.eni.models import EniImportedExpedient, MigrationRun
from engine.expedients.expedients import Expedient
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, make_tenant, make_user, settings_changed
from tests.eni_builder import Doc
from tests.eni_builder import Expedient as SentExpedient
from tests.test_signatures_helpers import town
from tests.web_clerk import field_error, login_en

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GOOD = 13
MAP = "old_code,new_code,unit\nOLD-URB,SIA-201234,Urbanisme\n"


def source_zip() -> tuple[bytes, list[str]]:
    """13 good expedients in the three shapes a source may hold, and two broken ones."""
    buffer = io.BytesIO()
    good = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(GOOD):
            sent = SentExpedient(f"ES_L01080193_2015_EXP_W{n:03d}", [
                Doc(f"ES_L01080193_2015_DOC_W{n:03d}", PDF + str(n).encode(), digest="md5", encoding="hex"),
            ], state="E01" if n % 2 else "E02", classification="OLD-URB")
            if n % 3 == 0:
                archive.writestr(f"exp{n:03d}.zip", sent.zip())
            elif n % 3 == 1:
                archive.writestr(f"exp{n:03d}.xml", sent.single_file())
            else:
                for name, data in sent.files().items():
                    archive.writestr(f"exp{n:03d}/{name}", data)
            good.append(sent.identifier)
        archive.writestr("zz-bad1.xml", b"this is not xml")
        archive.writestr("zz-bad2.xml", SentExpedient("ES_L01080193_2015_EXP_BAD02", [
            Doc("ES_L01080193_2015_DOC_BAD02", PDF, tipo="TD70")]).single_file())
    return buffer.getvalue(), good


@pytest.fixture
def admin(client: FlaskClient) -> tuple[FlaskClient, int]:
    tenant_id = town()["clerk"].tenant_id
    make_user("admin.migra", db.session.get(Tenant, tenant_id), ("admin",))
    db.session.commit()
    login_en(client, "admin.migra")
    return client, tenant_id


def upload(client: FlaskClient, data: bytes, *, dry_run: bool, mapping: str | None = None,
           name: str = "antic.zip"):  # type: ignore[no-untyped-def]
    form: dict[str, object] = {"csrf_token": csrf_token(client, "/admin/migration/"),
                               "file": (io.BytesIO(data), name)}
    if mapping is not None:
        form["mapping"] = (io.BytesIO(mapping.encode()), "map.csv")
    if dry_run:
        form["dry_run"] = "1"
    return client.post("/admin/migration/", data=form, content_type="multipart/form-data")


def counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def report(client: FlaskClient, run_id: int) -> list[dict[str, str]]:
    response = client.get(f"/admin/migration/{run_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def imported(tenant_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(EniImportedExpedient)
                              .where(EniImportedExpedient.tenant_id == tenant_id)).scalar_one()


def run_id_of(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def embedded(app: Flask) -> Iterator[None]:
    """No Redis: jobs run in-process, as in the embedded default."""
    with settings_changed(app, redis_url=None):
        yield


def test_dry_run_then_import_then_run_again(admin: tuple[FlaskClient, int], embedded: None) -> None:
    client, tenant_id = admin
    data, good = source_zip()
    dry = run_id_of(upload(client, data, dry_run=True, mapping=MAP))
    page = client.get(f"/admin/migration/{dry}").get_data(as_text=True)
    # No Redis here: the job ran in-process, so the page shows the end, and stops polling.
    assert 'data-status="finished"' in page and "hx-trigger" not in page
    assert "15 of 15 case files" in page
    assert counts(page) == {"checked": GOOD, "refused": 2, "skipped": 0}
    assert imported(tenant_id) == 0
    rows = report(client, dry)
    assert len(rows) == 15 and {r["status"] for r in rows} == {"checked", "refused"}
    bad = {r["source"]: r for r in rows if r["status"] == "refused"}
    assert sorted(bad) == ["zz-bad1.xml", "zz-bad2.xml"] and "TD70" in bad["zz-bad2.xml"]["reason"]

    real = run_id_of(client.post(f"/admin/migration/{dry}/rerun", data={"csrf_token": csrf_token(client, "/")}))
    page = client.get(f"/admin/migration/{real}").get_data(as_text=True)
    assert counts(page) == {"imported": GOOD, "refused": 2, "skipped": 0}
    assert imported(tenant_id) == GOOD
    opened = db.session.execute(select(Expedient).where(Expedient.eni_id == good[1])).scalar_one()
    assert opened.classification == "SIA-201234" and opened.responsible_unit == "Urbanisme"  # the map came along
    assert {r["status"] for r in report(client, real)} == {"imported", "refused"}

    again = run_id_of(client.post(f"/admin/migration/{real}/rerun", data={"csrf_token": csrf_token(client, "/")}))
    page = client.get(f"/admin/migration/{again}").get_data(as_text=True)
    assert counts(page) == {"imported": 0, "refused": 2, "skipped": GOOD}
    assert imported(tenant_id) == GOOD
    listing = client.get("/admin/migration/").get_data(as_text=True)
    assert listing.count("/admin/migration/") >= 3 and "dry run" in listing

    # Once the operator has deleted the kept zip, running it again says so.
    kept = db.session.get(MigrationRun, again)
    assert kept is not None
    (current_settings().document_store / kept.source_path).unlink()
    gone = client.post(f"/admin/migration/{again}/rerun", data={"csrf_token": csrf_token(client, "/")})
    assert gone.status_code == 409 and "no longer on the server" in gone.get_data(as_text=True)


def test_bad_input_gets_a_readable_error_and_starts_nothing(admin: tuple[FlaskClient, int]) -> None:
    client, tenant_id = admin
    not_zip = upload(client, b"<expediente/>", dry_run=False, name="antic.xml")
    html = not_zip.get_data(as_text=True)
    assert not_zip.status_code == 422 and field_error(html, "file") == "The file is not a valid zip archive."
    assert 'aria-describedby="file-error file-help"' in html
    assert 'id="dry_run" name="dry_run" value="1">' in html  # a real run stays a real run
    data, _ = source_zip()
    bad_map = upload(client, data, dry_run=True, mapping="old_code,new_code\nONLY-ONE\n")
    html = bad_map.get_data(as_text=True)
    assert bad_map.status_code == 422 and "line 2" in (field_error(html, "mapping") or "")
    assert 'id="dry_run" name="dry_run" value="1" checked>' in html
    assert "Traceback" not in bad_map.get_data(as_text=True)
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", b"nothing here")
    nothing = upload(client, empty.getvalue(), dry_run=False)
    assert nothing.status_code == 422 and "holds no case file" in nothing.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(MigrationRun)).scalar_one() == 0
    assert imported(tenant_id) == 0


def test_only_the_tenants_admins_see_a_run(app: Flask, admin: tuple[FlaskClient, int]) -> None:
    client, tenant_id = admin
    data, _ = source_zip()
    run_id = run_id_of(upload(client, data, dry_run=True))
    other = make_tenant(code="ajt-altre", dir3="L01250099")
    make_user("admin.altre", other, ("admin",))
    make_user("clerk.migra", db.session.get(Tenant, tenant_id), ("tramitador",))
    db.session.commit()
    stranger = app.test_client()
    login_en(stranger, "admin.altre")
    assert stranger.get(f"/admin/migration/{run_id}").status_code == 404
    assert stranger.get(f"/admin/migration/{run_id}/report.csv").status_code == 404
    clerk = app.test_client()
    login_en(clerk, "clerk.migra")
    assert clerk.get("/admin/migration/").status_code == 403


@pytest.fixture
def redis_queue(app: Flask) -> Iterator[None]:
    from tests.services import redis_url

    with settings_changed(app, redis_url=redis_url()):
        connection = redis_connection()
        assert connection is not None
        connection.flushdb()  # the tests' own Redis database: no job of an earlier run is left
        yield
        connection.flushdb()


def work_one_job() -> None:
    """What a worker does with the next queued job (here, in the test's process)."""
    queue = job_queue(redis_connection())  # type: ignore[arg-type]
    job = queue.jobs[0]
    queue.remove(job)
    run_job(*job.args)


def test_with_a_worker_the_page_polls_the_progress_and_a_killed_batch_is_redone_once(
        admin: tuple[FlaskClient, int], redis_queue: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client, tenant_id = admin
    data, _ = source_zip()
    run_id = run_id_of(upload(client, data, dry_run=False))
    status = client.get(f"/admin/migration/{run_id}/status").get_data(as_text=True)
    assert 'data-status="queued"' in status and 'hx-trigger="every 2s"' in status and "0 of 15" in status

    # The worker dies in the middle of the first batch (after 4 of its 10 expedients).
    real = migration_runs.migrate_item
    calls = {"n": 0}

    def dies_on_the_fifth(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(migration_runs, "migrate_item", dies_on_the_fifth)
    queue = job_queue(redis_connection())  # type: ignore[arg-type]
    job = queue.jobs[0]
    with pytest.raises(SystemExit):
        run_job(*job.args)  # left in the queue, as rq's recovery of an abandoned job leaves it
    db.session.rollback()
    assert imported(tenant_id) == 0  # nothing of the killed batch was committed
    monkeypatch.setattr(migration_runs, "migrate_item", real)

    work_one_job()  # the batch again, whole
    status = client.get(f"/admin/migration/{run_id}/status").get_data(as_text=True)
    assert 'data-status="running"' in status and "10 of 15" in status and 'hx-trigger="every 2s"' in status
    assert imported(tenant_id) == 10
    work_one_job()  # the last batch
    status = client.get(f"/admin/migration/{run_id}/status").get_data(as_text=True)
    assert 'data-status="finished"' in status and "hx-trigger" not in status
    assert counts(status) == {"imported": GOOD, "refused": 2, "skipped": 0}
    assert imported(tenant_id) == GOOD
    assert len(report(client, run_id)) == 15  # every expedient once, none twice
    assert job_queue(redis_connection()).count == 0  # type: ignore[arg-type]
