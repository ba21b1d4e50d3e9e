"""Request times of the pages and form posts a municipality's staff and citizens use most, warm,
through the Flask test client, on a throwaway database of the configured kind.

The demo tenants, users and shipped procedures are loaded into a database of their own (on
PostgreSQL ``gee_bench_<random>`` on the configured server, dropped afterwards; on SQLite a
temporary file), with documents in a temporary store. Two fixture procedures are added to the
first municipality: the review loop (a plain completion) and one whose next step renders a PDF.
Then, in rounds, each request is timed once per round (interleaved, so a slow moment of the
shared machine hits every request alike), after two untimed warm-up rounds: the login POST, the
inbox, a task page, a task completion POST (plain, and one whose next step renders a document), an
e-office filing POST, the upload of a signed PDF, a BPMN deploy POST (a shipped procedure, a new
version every round), an expedient page and the dashboard. Wall-clock and CPU time
(``time.process_time``, which the load of other processes does not inflate) are kept apart.

With REDIS_URL the slow steps the requests leave to jobs (receipts, documents, signature checks)
are queued there, as in production; between rounds, untimed, this process runs the jobs it queued
itself (so that no worker of the configured Redis ever sees ids of the throwaway database) — point
REDIS_URL at a Redis database no worker serves.
"""

from __future__ import annotations

import dataclasses
import io
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine.base.context import Context
from engine.base.db import throwaway_postgres_database
from engine.base.settings import PROJECT_ROOT, Settings
from engine.bench.inbox import AppFactory

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "bpmn"
#: The shipped procedure deployed by the timed BPMN deploy POST (a new version each time).
DEPLOYED = PROJECT_ROOT / "processes" / "llicencia_obres_menors.bpmn"
OFICI = ("<h1>Ofici</h1><p>Ofici per a {{ dades.nom | default('la persona interessada') }}, "
         "expedient {{ expedient.number }}.</p>")
REVIEW_FORM = '{"type": "object", "properties": {"approved": {"type": "boolean"}}}'
FILING = {"f_assumpte": "Gual permanent", "f_exposo": "Tinc un garatge al carrer Major 3.",
          "f_sollicito": "Una placa de gual permanent."}  # fmt: skip
#: Requests in the order they are timed in each round.
REQUESTS = ("login", "inbox", "task_page", "complete", "complete_with_document", "filing", "upload_signed_pdf",
            "deploy_bpmn", "expedient_page", "dashboard")
WARM_UP_ROUNDS = 2


@contextmanager
def _throwaway_database(settings: Settings) -> Iterator[str]:
    if settings.database_url.startswith("postgresql"):
        with throwaway_postgres_database(settings.database_url, "gee_bench") as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="gee-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


@dataclasses.dataclass
class _World:
    """What the timed requests act on, made before the first round."""

    tenant_code: str
    clerk: Context
    loop_version_id: int
    document_version_id: int
    expedient_id: int
    signed_pdf: bytes


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def _login(client: FlaskClient, username: str, password: str) -> Any:
    token = _token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def _citizen_login(client: FlaskClient, tenant_code: str) -> None:
    """Through the development identity provider, as a citizen would through the real one."""
    from urllib.parse import urlsplit

    authorize = urlsplit(client.get(f"/seu/{tenant_code}/entrar").headers["Location"])
    where = f"{authorize.path}?{authorize.query}"
    page = client.get(where).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    back = urlsplit(client.post(where, data={**fields, "nif": "12345678Z", "name": "Maria Puig i Serra"})
                    .headers["Location"])
    if client.get(f"{back.path}?{back.query}").status_code != 302:
        raise RuntimeError("the bench citizen could not enter the e-office")


def _make_world(folder: Path) -> _World:
    """Demo tenants, users and procedures, the two fixture procedures, an expedient and a signed PDF."""
    from engine.base.db import db
    from engine.base.unit_of_work import run_in_transaction
    from engine.demo.data import (
        DEMO_PASSWORD,
        MUNICIPALITIES,
        demo_person,
        deploy_shipped_procedures,
        load_demo_tenants,
    )
    from engine.expedients.expedients import open_expedient
    from engine.process.definition.deploy import deploy_process
    from engine.signatures.credentials import unlock_personal
    from engine.signatures.pades import Stamp, sign_pdf

    (folder / "review.schema.json").write_text(REVIEW_FORM, encoding="utf-8")
    for name in ("ofici.ca.html", "ofici.es.html"):
        (folder / name).write_text(OFICI, encoding="utf-8")

    def build() -> _World:
        tenant = load_demo_tenants()[MUNICIPALITIES[0].code]
        deploy_shipped_procedures()
        clerk, mayor = demo_person(tenant, "tramitador"), demo_person(tenant, "alcalde")
        versions = {}
        for name in ("exec_loop", "document_then_review"):
            result = deploy_process(None, FIXTURES / f"{name}.bpmn", tenant_id=tenant.id, forms_dir=folder,
                                    templates_dir=folder, created_by="gee bench requests")
            if not result.ok or result.version is None:
                raise RuntimeError(f"{name}: {result.problems}")
            versions[name] = result.version.id
        expedient = open_expedient(clerk, "Bench: documents")
        db.session.flush()
        stamp = Stamp(signer="Alcalde", role="Alcalde", date="03/12/2026 10:00:00", csv="BENCH-BENCH-BENCH-BENCH",
                      verify_url="http://gee.test/verify", labels={"signed_by": "Signed by", "role": "Role",
                                                                  "date": "Date"})  # fmt: skip
        pdf = _document_pdf()
        signed = sign_pdf(pdf, unlock_personal(mayor.user_id, DEMO_PASSWORD), stamp, reason="bench")
        return _World(tenant.code, clerk, versions["exec_loop"], versions["document_then_review"], expedient.id,
                      signed)

    return run_in_transaction(build)


def _document_pdf() -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string="<h1>Informe</h1><p>Informe tècnic favorable.</p>").write_pdf())


def _ready_task(world: _World, version_id: int, data: dict[str, Any]) -> int:
    """A fresh ready task of a new instance of ``version_id``, committed (untimed)."""
    from engine.base.db import db
    from engine.base.unit_of_work import run_in_transaction
    from engine.expedients.expedients import open_expedient
    from engine.process.instances import tasks as instances
    from engine.process.models import ProcessVersion

    def start() -> int:
        version = db.session.get(ProcessVersion, version_id)
        assert version is not None  # deployed by _make_world
        expedient = open_expedient(world.clerk, "Bench")
        started = instances.start_instance(world.clerk, version, expedient.id, data)
        return int(started["ready_tasks"][0]["id"])

    return run_in_transaction(start)


def _deploy_files(n: int) -> dict[str, Any]:
    """The shipped procedure with the forms, templates (their locale variants and the shared partials)
    and decision tables it uses, as a designer uploads them; changed by a comment so it is a new version."""
    from engine.process.definition.deploy import DEFAULT_FORMS_DIR, DEFAULT_TEMPLATES_DIR

    bpmn = DEPLOYED.read_text(encoding="utf-8")
    named = set(re.findall(r'value="([\w.-]+\.(?:json|html))"', bpmn))
    stems = {name.split(".", 1)[0] for name in named if name.endswith(".html")}
    forms = [p for p in sorted(DEFAULT_FORMS_DIR.glob("*.json")) if p.name in named]
    templates = [p for p in sorted(DEFAULT_TEMPLATES_DIR.glob("*.html"))
                 if p.name.startswith("_") or p.name.split(".", 1)[0] in stems]
    return {
        "bpmn": (io.BytesIO(f"{bpmn}\n<!-- gee bench requests {n} -->\n".encode()), DEPLOYED.name),
        "forms": [(io.BytesIO(p.read_bytes()), p.name) for p in forms],
        "templates": [(io.BytesIO(p.read_bytes()), p.name) for p in templates],
        "dmn": [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(DEPLOYED.parent.glob("*.dmn"))],
    }


class _Jobs:
    """The jobs the bench queued in Redis, run here between rounds (untimed); nothing without Redis."""

    def __init__(self) -> None:
        from engine.base.jobs import job_queue, redis_connection

        connection = redis_connection()
        self.queue = job_queue(connection) if connection is not None else None
        self.before = set(self.queue.get_job_ids()) if self.queue is not None else set()

    def run(self) -> int:
        from engine.base.jobs import run_job

        if self.queue is None:
            return 0
        ran = 0
        for job_id in self.queue.get_job_ids():
            job = self.queue.fetch_job(job_id) if job_id not in self.before else None
            if job is None:
                continue
            path, args, kwargs = job.args
            job.delete()  # off the queue first: no worker can take it meanwhile
            run_job(path, args, kwargs)
            ran += 1
        return ran


def _requests(app: Flask, world: _World) -> dict[str, Callable[[int], Callable[[], Any]]]:
    """For each request: given the round, the untimed preparation, which returns the timed call."""
    from engine.demo.data import DEMO_PASSWORD

    clerk, designer, citizen = app.test_client(), app.test_client(), app.test_client()
    _login(clerk, "tramitador.sant", DEMO_PASSWORD)
    _login(designer, "dissenyador.sant", DEMO_PASSWORD)
    _citizen_login(citizen, world.tenant_code)
    shown_task = _ready_task(world, world.loop_version_id, {"rounds": 0})
    filing_path = f"/seu/{world.tenant_code}/tramits/instancia_generica/sollicitud"

    def login(_n: int) -> Callable[[], Any]:
        fresh = app.test_client()
        token = _token(fresh.get("/login").get_data(as_text=True))
        return lambda: fresh.post("/login", data={"username": "tecnic.sant", "password": DEMO_PASSWORD,
                                                  "csrf_token": token})  # fmt: skip

    def complete(version_id: int, data: dict[str, Any]) -> Callable[[int], Callable[[], Any]]:
        def prepare(_n: int) -> Callable[[], Any]:
            task_id = _ready_task(world, version_id, data)
            token = _token(clerk.get(f"/tasks/{task_id}").get_data(as_text=True))
            return lambda: clerk.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete"})

        return prepare

    def filing(_n: int) -> Callable[[], Any]:
        token = _token(citizen.get(filing_path).get_data(as_text=True))
        data = {"csrf_token": token, **FILING}
        return lambda: citizen.post(filing_path, data=data, content_type="multipart/form-data")

    def upload(n: int) -> Callable[[], Any]:
        token = _token(clerk.get(f"/expedients/{world.expedient_id}").get_data(as_text=True))
        data = {"csrf_token": token, "title": f"Informe signat {n}", "tipo_documental": "TD13",
                "file": (io.BytesIO(world.signed_pdf), "signat.pdf")}  # fmt: skip
        return lambda: clerk.post(f"/expedients/{world.expedient_id}/documents", data=data,
                                  content_type="multipart/form-data")

    def deploy(n: int) -> Callable[[], Any]:
        token = _token(designer.get("/catalogue/").get_data(as_text=True))
        data = {"csrf_token": token, **_deploy_files(n)}
        return lambda: designer.post("/catalogue/deploy", data=data, content_type="multipart/form-data")

    def get(client: FlaskClient, path: str) -> Callable[[int], Callable[[], Any]]:
        return lambda _n: lambda: client.get(path)

    return {
        "login": login,
        "inbox": get(clerk, "/tasks"),
        "task_page": get(clerk, f"/tasks/{shown_task}"),
        "complete": complete(world.loop_version_id, {"rounds": 0}),
        "complete_with_document": complete(world.document_version_id, {"nom": "Maria"}),
        "filing": filing,
        "upload_signed_pdf": upload,
        "deploy_bpmn": deploy,
        "expedient_page": get(clerk, f"/expedients/{world.expedient_id}"),
        "dashboard": get(clerk, "/dashboard/"),
    }


def _problem(page: str) -> str:
    """What a refused request says (its alerts), for the error the bench stops with."""
    alerts = re.findall(r'(?:role="alert"|class="invalid-feedback")[^>]*>(.*?)</(?:section|div)>', page, re.S)
    return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", a).split()) for a in alerts)[:500] or page[:300]


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1)


def time_requests(app: Flask, world: _World, runs: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Wall and CPU seconds of each request over ``runs`` rounds after the warm-up ones."""
    wall: dict[str, list[float]] = {name: [] for name in REQUESTS}
    cpu: dict[str, list[float]] = {name: [] for name in REQUESTS}
    with app.app_context():
        jobs = _Jobs()
        requests = _requests(app, world)
        for n in range(-WARM_UP_ROUNDS, runs):
            for name in REQUESTS:
                call = requests[name](n)
                began, began_cpu = time.perf_counter(), time.process_time()
                response = call()
                elapsed, elapsed_cpu = time.perf_counter() - began, time.process_time() - began_cpu
                if response.status_code not in (200, 302):
                    raise RuntimeError(f"bench request {name} answered {response.status_code}: "
                                       f"{_problem(response.get_data(as_text=True))}")
                if n >= 0:
                    wall[name].append(elapsed)
                    cpu[name].append(elapsed_cpu)
            jobs.run()
            if n >= 0:
                say(f"round {n + 1}/{runs}")
    return {"wall": wall, "cpu": cpu}


def run_requests_bench(
    create_app: AppFactory, settings: Settings, runs: int, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Every request's p50/p95 (wall) and CPU median over ``runs`` rounds, on a throwaway database."""
    say = progress or (lambda _msg: None)
    with _throwaway_database(settings) as url, tempfile.TemporaryDirectory(prefix="gee-bench-") as folder:
        store = Path(folder) / "documents"
        app = create_app(dataclasses.replace(settings, database_url=url, document_store=store))
        try:
            with app.app_context():
                world = _make_world(Path(folder))
            timings = time_requests(app, world, runs, say)
        finally:
            with app.app_context():
                from engine.base.db import db

                db.session.remove()
                db.engine.dispose()
    wall, cpu = timings["wall"], timings["cpu"]
    result: dict[str, Any] = {"bench": "requests", "database": url.split(":", 1)[0].split("+", 1)[0],
                              "redis": bool(settings.redis_url), "runs": runs,
                              "p50_ms": {name: _ms(wall[name], 0.5) for name in REQUESTS},
                              "p95_ms": {name: _ms(wall[name], 0.95) for name in REQUESTS},
                              "cpu_median_ms": {name: round(1000 * statistics.median(cpu[name]), 1)
                                                for name in REQUESTS}}  # fmt: skip
    result["max_p95_ms"] = max(result["p95_ms"].values())
    for name in REQUESTS:
        say(f"  {name:<24} p50 {result['p50_ms'][name]:8.1f} ms  p95 {result['p95_ms'][name]:8.1f} ms  "
            f"cpu median {result['cpu_median_ms'][name]:8.1f} ms")
    return result


__all__ = ["REQUESTS", "run_requests_bench"]
