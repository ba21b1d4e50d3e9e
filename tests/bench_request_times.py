"""Time two slow-prone web requests through the Flask test client, on the configured database:
the e-office filing POST (registry entry + receipt) and a task completion whose next step renders
a document (``tests/fixtures/bpmn/document_then_review.bpmn``). With REDIS_URL set the receipt and
the document are left to the worker (not run here); without it they are made in the request.

    DATABASE_URL=… [REDIS_URL=…] .venv/bin/python tests/bench_request_times.py [N]

Uses a throwaway schema: it drops and creates every table of DATABASE_URL. Prints one JSON line.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.base.db import db
from engine.expedients.expedients import open_expedient
from engine.process.instances import tasks as instances
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user, settings_for_tests
from tests.engine_helpers import make_version
from tests.test_seu import PDF, REQUEST, citizen_login, esmena_version, token_of
from webapp import create_app

OFICI = "<h1>Ofici</h1><p>Ofici per a {{ nom }}, expedient {{ expedient.number }}.</p>"


def _post_ms(post: Callable[[], int]) -> float:
    started = time.perf_counter()
    assert post() == 302
    return (time.perf_counter() - started) * 1000


def _timed(request_ms: Callable[[], float], runs: int) -> dict[str, float]:
    """The first request (cold: fonts, templates) apart, then the median and slowest of ``runs``."""
    first = request_ms()
    times = [request_ms() for _ in range(runs)]
    return {"first_ms": round(first, 1), "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1)}  # fmt: skip


def main(runs: int) -> dict[str, object]:
    app = create_app(settings_for_tests(), {"TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        tenant = make_tenant()
        esmena_version(tenant.id)
        clerk = make_user("clerk", tenant, ("tramitador",))
        version = make_version(tenant.id, "document_then_review")
        version.templates = {"ofici.ca.html": OFICI, "ofici.es.html": OFICI}
        db.session.commit()

        citizen = app.test_client()
        citizen_login(citizen, tenant.code)
        path = f"/seu/{tenant.code}/tramits/instancia_generica/sollicitud"

        def file() -> float:
            data = {"csrf_token": token_of(citizen.get(path).get_data(as_text=True)), **REQUEST,
                    "documents": [(io.BytesIO(PDF), "planol.pdf")]}  # fmt: skip
            return _post_ms(lambda: citizen.post(path, data=data, content_type="multipart/form-data").status_code)

        staff = app.test_client()
        login(staff, "clerk")
        token = csrf_token(staff, "/tasks")
        ctx = ctx_for(clerk, tenant)

        def complete() -> float:
            expedient = open_expedient(ctx, "Ofici")
            db.session.commit()
            task_id = instances.start_instance(ctx, version, expedient.id, {"nom": "Maria"})["ready_tasks"][0]["id"]
            form = {"csrf_token": token, "action": "complete"}
            return _post_ms(lambda: staff.post(f"/tasks/{task_id}", data=form).status_code)

        settings = app.config["GEE_SETTINGS"]
        return {"bench": "request_times", "database": db.engine.dialect.name, "redis": bool(settings.redis_url),
                "runs": runs, "filing": _timed(file, runs), "completion_with_document": _timed(complete, runs)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)))
