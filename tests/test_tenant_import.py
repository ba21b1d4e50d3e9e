"""Onboarding many ens locals from a CSV: good rows, each kind of bad row, a re-run, and what a
new tenant starts with."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from engine.base.db import db
from engine.base.errors import Forbidden, ValidationFailed
from engine.base.unit_of_work import run_in_transaction
from engine.onboarding import importer
from engine.onboarding.checklist import welcome_checklist
from engine.onboarding.importer import start_import
from engine.onboarding.models import TenantImport
from engine.process.models import ProcessModel
from engine.tenancy.login import authenticate
from engine.tenancy.models import Tenant, User
from engine.tenancy.password_links import set_password_with_link
from tests.conftest import settings_changed
from tests.engine_helpers import make_version
from tests.onboarding_helpers import csv_file, link_in, mail_sink, platform_context
from tests.services import redis_url, run_queued_jobs
from tests.test_jobs import ROOT

LLEIDA = ("Ajuntament de Lleida,ajuntament,25120,L01251207,Segrià,no,2026-05-11,2026-09-29,"
          "Maria Puig,maria.puig@lleida.test")
VIELHA = "Ajuntament de Vielha e Mijaran,ajuntament,252430,L01252430,Val d'Aran,sí,,,Pèir Arnau,peir@vielha.test"
SUCS = "EMD de Sucs,EMD,,L05000123,Segrià,no,,,Anna Roca,anna@sucs.test"
SEGRIA = "Consell Comarcal del Segrià,Consell comarcal,,L07000025,Segrià,,,,Jordi Mas,jordi@segria.test"

#: Each bad row, and the words its report must carry.
BAD_ROWS = [
    ("Ajuntament de Tarragona,ajuntament,431480,L01431480,Tarragonès,no,,,Rosa Vidal,rosa@tgn.test",
     "its control digit should be 2"),
    ("Ajuntament de Girona,ajuntament,170792,L01080193,Gironès,no,,,Pau Roig,pau@girona.test",
     "an ajuntament's DIR3 code is L01170792"),
    ("Mancomunitat del Pla,mancomunitat,,L09000001,Urgell,no,,,Eva Soler,eva@pla.test",
     "Kind mancomunitat"),
    ("Ajuntament de Barcelona,ajuntament,08019,L01080193,Barcelonès,no,31/02/2026,2026-09-24,Ada Font,ada@bcn.test",
     "Local holiday 31/02/2026"),
    ("Ajuntament de Barcelona,ajuntament,08019,L01080193,Barcelonès,no,2026-09-24,,Ada Font,ada@bcn.test",
     "Give both local holidays, or neither"),
    ("Ajuntament de Barcelona,ajuntament,08019,L01080193,Barcelonès,no,,,Ada Font,",
     "e-mail address"),
    ("Ajuntament de Barcelona,ajuntament,,L01080193,Barcelonès,no,,,Ada Font,ada@bcn.test",
     "needs its INE municipality code"),
]


def _run(ctx, data: bytes, *, work: bool = True) -> TenantImport:
    """Start an import; with ``work`` its queued jobs run too (a worker's part, when Redis is configured)."""
    job = run_in_transaction(lambda: start_import(ctx, "ens.csv", data))
    if work:
        run_queued_jobs()
    db.session.expire_all()
    return db.session.get(TenantImport, job.id)


def _tenant_codes() -> list[str]:
    return db.session.execute(select(Tenant.code).order_by(Tenant.code)).scalars().all()


def test_good_rows_become_tenants_and_each_bad_row_is_reported_creating_nothing(app):
    ctx = platform_context()
    with mail_sink(app) as smtp:
        job = _run(ctx, csv_file(LLEIDA, *(row for row, _words in BAD_ROWS), VIELHA, SUCS, SEGRIA))
    assert job.finished_at is not None and job.percent == 100
    statuses = [(o["line"], o["status"]) for o in job.outcomes]
    assert statuses == [(2, "created"), *((3 + i, "error") for i in range(len(BAD_ROWS))),
                        (10, "created"), (11, "created"), (12, "created")]  # fmt: skip
    for outcome, (_row, words) in zip(job.outcomes[1:8], BAD_ROWS, strict=True):
        assert any(words in message for message in outcome["messages"]), outcome
    assert _tenant_codes() == ["diputacio", "l01251207", "l01252430", "l05000123", "l07000025"]
    lleida = db.session.execute(select(Tenant).where(Tenant.dir3 == "L01251207")).scalar_one()
    assert (lleida.kind, lleida.ine_code, lleida.comarca, lleida.aran) == ("ajuntament", "251207", "Segrià", False)
    assert lleida.local_holidays == {"2026": ["2026-05-11", "2026-09-29"]}
    vielha = db.session.execute(select(Tenant).where(Tenant.dir3 == "L01252430")).scalar_one()
    assert vielha.aran is True
    kinds = db.session.execute(select(Tenant.kind).where(Tenant.dir3.in_(["L05000123", "L07000025"]))
                               .order_by(Tenant.dir3)).scalars().all()  # fmt: skip
    assert kinds == ["emd", "consell_comarcal"]
    # Nobody of a bad row exists.
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email.in_(["rosa@tgn.test", "pau@girona.test", "eva@pla.test", "ada@bcn.test"]))) == 0
    assert sorted(m["to"][0] for m in smtp.messages) == [
        "anna@sucs.test", "jordi@segria.test", "maria.puig@lleida.test", "peir@vielha.test"]


def test_running_the_same_file_again_changes_nothing(app):
    ctx = platform_context()
    with mail_sink(app) as smtp:
        _run(ctx, csv_file(LLEIDA, SUCS, BAD_ROWS[0][0]))
        users = db.session.scalar(select(func.count()).select_from(User))
        again = _run(ctx, csv_file(LLEIDA, SUCS, BAD_ROWS[0][0]))
    assert [o["status"] for o in again.outcomes] == ["existing", "existing", "error"]
    assert _tenant_codes() == ["diputacio", "l01251207", "l05000123"]
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert len(smtp.messages) == 2  # the first run's welcomes only


def test_a_second_body_with_the_same_ine_code_and_kind_is_refused(app):
    ctx = platform_context()
    _run(ctx, csv_file(LLEIDA))
    renamed = _run(ctx, csv_file(LLEIDA.replace("Ajuntament de Lleida", "Paeria de Lleida")))
    assert renamed.outcomes[0]["status"] == "existing"  # matched by its DIR3 code, left as it is
    emd = _run(ctx, csv_file("EMD de Raimat,EMD,251207,L05000999,Segrià,no,,,Rut Prat,rut@raimat.test",
                             "EMD de Sucs,EMD,251207,L05000123,Segrià,no,,,Anna Roca,anna@sucs.test"))
    assert emd.outcomes[0]["status"] == "created"  # an EMD lies within its municipality's INE code
    assert emd.outcomes[1]["status"] == "error"
    assert "already belongs to EMD de Raimat" in emd.outcomes[1]["messages"][0]


def test_a_row_failing_half_way_leaves_nothing_behind(app, monkeypatch):
    ctx = platform_context()

    def refuse(user_id: int) -> str:
        raise ValidationFailed("the link could not be made")

    monkeypatch.setattr(importer, "issue_password_link", refuse)
    job = _run(ctx, csv_file(LLEIDA))
    assert job.outcomes[0]["status"] == "error"
    assert job.outcomes[0]["messages"] == ["the link could not be made"]
    assert _tenant_codes() == ["diputacio"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_file_without_the_columns_is_refused_whole():
    ctx = platform_context()
    with pytest.raises(ValidationFailed) as err:
        run_in_transaction(lambda: start_import(ctx, "x.csv", b"nom;tipus\nSant;ajuntament\n"))
    assert "lacks the columns name, kind, dir3, admin_name, admin_email" in str(err.value)
    assert db.session.scalar(select(func.count()).select_from(TenantImport)) == 0


def test_a_spreadsheet_csv_with_semicolons_is_read():
    ctx = platform_context()
    job = _run(ctx, csv_file(LLEIDA).replace(b",", b";"))
    assert job.outcomes[0]["status"] == "created"


def test_only_platform_admins_import():
    ctx = platform_context()
    with pytest.raises(Forbidden):
        start_import(replace(ctx, platform_admin=False), "x.csv", csv_file(LLEIDA))


def test_a_new_tenant_starts_with_the_catalogue_officer_slots_and_a_checklist_its_admin_opens_by_link(app):
    ctx = platform_context()
    make_version(None, "exec_incident")  # a published shared procedure of the provincial service
    db.session.commit()
    with mail_sink(app) as smtp:
        _run(ctx, csv_file(LLEIDA))
    lleida = db.session.execute(select(Tenant).where(Tenant.dir3 == "L01251207")).scalar_one()
    adopted = db.session.execute(select(ProcessModel).where(ProcessModel.tenant_id == lleida.id)).scalars().all()
    assert [(m.key, m.published, m.adopted_from_id is not None) for m in adopted] == [("exec_incident", True, True)]
    assert lleida.signing_officers == {"alcalde": None, "secretari": None}
    admin = db.session.execute(select(User).where(User.email == "maria.puig@lleida.test")).scalar_one()
    assert admin.username == "maria.puig" and admin.roles_in(lleida.id) == {"admin"}
    checklist = welcome_checklist(lleida, today=date(2026, 12, 3))
    assert [(i.key, i.done) for i in checklist.items] == [
        ("holidays", True), ("officers", False), ("seal", False), ("logo", False), ("users", False)]
    assert not welcome_checklist(lleida, today=date(2027, 1, 4)).items[0].done  # a new year, new holidays
    # The first administrator has no password anyone knows until they set theirs through the link.
    secret = link_in(smtp.messages[0]["body"]).rsplit("/", 1)[1]
    assert "maria.puig" in smtp.messages[0]["body"]
    set_password_with_link(secret, "una contrasenya ben llarga", "una contrasenya ben llarga")
    db.session.commit()
    assert authenticate("maria.puig", "una contrasenya ben llarga") is not None


def test_with_workers_each_row_is_its_own_job_and_the_upload_returns_at_once(app):
    url = redis_url()
    from redis import Redis
    from rq import Queue

    Queue("gee", connection=Redis.from_url(url)).empty()
    ctx = platform_context()
    with settings_changed(app, redis_url=url) as settings:
        job = _run(ctx, csv_file(LLEIDA, BAD_ROWS[0][0], SUCS), work=False)
        assert (job.done, job.finished_at) == (0, None)  # queued, not imported yet
        assert Queue("gee", connection=Redis.from_url(url)).count == 1
    env = {**os.environ, "REDIS_URL": url, "DATABASE_URL": settings.database_url, "GEE_ENV": "testing"}
    done = subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    db.session.expire_all()
    job = db.session.get(TenantImport, job.id)
    assert [o["status"] for o in job.outcomes] == ["created", "error", "created"]
    assert job.finished_at is not None
    # One job per row: the worker ran the first row's job and then the two it queued, one after the other.
    assert done.stderr.count("continue_import") >= 3 or done.stdout.count("continue_import") >= 3
