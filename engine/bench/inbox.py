"""Pages at scale: a province loaded with bulk SQL into a throwaway PostgreSQL database, and the
clerk's pages timed against it.

For each size a database ``gee_bench_<random>`` is created on the configured server, migrated
to head, loaded with ``INSERT ... SELECT generate_series`` and vacuumed/analysed (100 tenants; N expedients with one
interested party, one process instance and one human task each; open expedients wait on a ready
task, closed ones have theirs completed; one municipality holds up to 20,000 expedients of which
half are open, all for the clerk's role), analysed, then the pages are requested warm through
the Flask test client: the inbox, the inbox search by number, NIF and name, the dashboard,
``/api/v1/tasks``, the platform view, the expedients list (as is, and by state and procedure) and
the audit trail (as is, and by user; one event per expedient). The database is dropped afterwards,
also on failure.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.base.db import throwaway_postgres_database
from engine.base.settings import Settings
from engine.expedients.figures import rebuild

TENANTS = 100
#: The clerk's municipality holds this many expedients at most (half of them open).
CLERK_EXPEDIENTS = 20_000
CLERK, PLATFORM, PASSWORD = "tramitador.bench", "plataforma.bench", "bench-gee-2026"
#: Procedures shared by every tenant: (key, name, maximum legal term in months).
PROCEDURES = (
    ("llicencia_obres_menors", "Llicència d'obres menors", 3),
    ("instancia_generica", "Instància genèrica", 3),
    ("certificat_empadronament", "Certificat d'empadronament", 1),
    ("ocupacio_via_publica", "Ocupació de la via pública", 3),
    ("queixes_suggeriments", "Queixes i suggeriments", 1),
)
#: Tables loaded in bulk: their secondary indexes are dropped before the load and rebuilt after.
LOADED = ("parties", "expedients", "expedient_parties", "process_instances", "human_tasks", "audit_events")
FIRST_NAMES = "Maria Jordi Laia Pere Núria Joan Montserrat Josep Anna Marc Marta Pau Carme Xavier Rosa Albert"
SURNAMES = "Soler Vidal Farré Pons Serra Bosch Puig Font Roca Mas Vila Riera Costa Sala Pujol Camps Vives Ferrer"


def database_name_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


#: Builds the web application on some settings with its database migrated to head (the web app's
#: factory and Alembic live above the engine, so the command hands it in).
AppFactory = Callable[[Settings], Flask]


def _fixed_rows(conn: sa.Connection) -> None:
    """Tenants, the clerk and the platform administrator, the shared procedures."""
    from engine.tenancy.passwords import hash_password

    conn.execute(
        sa.text("""
        INSERT INTO tenants (id, code, name, kind, dir3, ine_code, comarca, aran, local_holidays,
                             signing_officers, active, created_at)
        SELECT t, 'bench-' || t, 'Ajuntament de Prova ' || t, 'ajuntament', 'L01' || lpad(t::text, 6, '0'),
               lpad(t::text, 6, '0'), 'Noguera', false, '{}', '{}', true, now()
        FROM generate_series(1, :tenants) AS t"""),
        {"tenants": TENANTS},
    )
    hashed = hash_password(PASSWORD)
    for user_id, username, admin in ((1, CLERK, False), (2, PLATFORM, True)):
        conn.execute(sa.text("""
            INSERT INTO users (id, username, full_name, password_hash, platform_admin, active, locale,
                               failed_logins, created_at, session_epoch, last_login_at)
            VALUES (:id, :username, :username, :hash, :admin, true, 'ca', 0, now(), 0, now())"""),
                     {"id": user_id, "username": username, "hash": hashed, "admin": admin})  # fmt: skip
    conn.execute(sa.text("INSERT INTO memberships (tenant_id, user_id, role) VALUES (1, 1, 'tramitador')"))
    conn.execute(sa.text("INSERT INTO memberships (tenant_id, user_id, role) VALUES (1, 2, 'admin')"))
    for n, (key, name, _months) in enumerate(PROCEDURES, start=1):
        conn.execute(
            sa.text("""
            INSERT INTO process_models (id, tenant_id, key, name, published, created_at)
            VALUES (:id, NULL, :key, :name, true, now())"""),
            {"id": n, "key": key, "name": name},
        )
        conn.execute(
            sa.text("""
            INSERT INTO process_versions (id, model_id, number, content_hash, bpmn_xml, dmn_files, forms, templates,
                                          spec_json, lanes, called_versions, created_at, status)
            VALUES (:id, :id, 1, md5(:key), '<definitions/>', '{}', '{}', '{}', '{}', '{}', '[]', now(),
                    'published')"""),
            {"id": n, "key": key},
        )


#: One row per expedient i in 1..N: its tenant, whether it is open, when it was opened (the last
#: three years) and its procedure (1..5). The clerk's tenant (1) holds the first ``clerk`` ones.
_SERIES = """
    SELECT i,
           CASE WHEN i <= :clerk THEN 1 ELSE 2 + i % (:tenants - 1) END AS tenant_id,
           CASE WHEN i <= :clerk THEN i % 2 = 0 ELSE i % 10 >= 7 END AS open,
           now() - make_interval(days => (i::bigint * 7919 % 1095)::int,
                                 secs => i::bigint * 104729 % 86400) AS opened_at,
           1 + i % 5 AS procedure
    FROM generate_series(1, :n) AS i"""

_LOAD = (
    (
        "parties",
        """
        INSERT INTO parties (id, tenant_id, nif, kind, name, preferred_channel, created_at)
        SELECT i, tenant_id, lpad((10000000 + i)::text, 8, '0')
                   || substr('TRWAGMYFPDXBNJZSQVHLCKE', (10000000 + i) % 23 + 1, 1),
               'person',
               split_part(:first, ' ', 1 + i % 16) || ' ' || split_part(:last, ' ', 1 + (i / 16) % 18) || ' '
                   || split_part(:last, ' ', 1 + (i / 288) % 18),
               'postal', opened_at
        FROM series""",
    ),
    (
        "expedients",
        """
        INSERT INTO expedients (id, tenant_id, year, seq, number, eni_id, subject, process_model_id, state,
                                opened_at, closed_at, term_start, term_months)
        SELECT i, tenant_id, extract(year FROM opened_at)::int, i,
               extract(year FROM opened_at)::int || '/' || lpad(i::text, 6, '0'),
               'ES_L01' || lpad(tenant_id::text, 6, '0') || '_' || extract(year FROM opened_at)::int
                   || '_EXP_' || lpad(i::text, 6, '0'),
               (ARRAY['Obres de reforma del bany', 'Sol·licitud genèrica', 'Certificat per a la beca',
                      'Terrassa d''estiu', 'Queixa pel soroll'])[procedure] || ' ' || i,
               procedure, CASE WHEN open THEN 'E01' ELSE 'E02' END, opened_at,
               CASE WHEN open THEN NULL ELSE least(opened_at + make_interval(days => 1 + i % 120), now()) END,
               opened_at::date, CASE WHEN procedure IN (3, 5) THEN 1 ELSE 3 END
        FROM series""",
    ),
    (
        "expedient_parties",
        """
        INSERT INTO expedient_parties (id, tenant_id, expedient_id, party_id, role, added_at)
        SELECT i, tenant_id, i, i, 'interessat', opened_at FROM series""",
    ),
    (
        "process_instances",
        """
        INSERT INTO process_instances (id, tenant_id, process_version_id, expedient_id, status, state_json, version,
                                       started_by, created_at, updated_at, completed_at)
        SELECT i, tenant_id, procedure, i, CASE WHEN open THEN 'waiting' ELSE 'completed' END, '{}', 2,
               'bench', opened_at, opened_at, CASE WHEN open THEN NULL ELSE opened_at END
        FROM series""",
    ),
    (
        "human_tasks",
        """
        INSERT INTO human_tasks (id, tenant_id, instance_id, expedient_id, process_model_id, task_uuid, element_id,
                                 name, role, potential_owners, state, created_at, due_at, completed_at)
        SELECT i, tenant_id, i, i, procedure, md5(i::text)::uuid::text, 'revisar_sollicitud', 'Revisar la sol·licitud',
               'tramitador', '[]', CASE WHEN open THEN 'ready' ELSE 'completed' END, opened_at,
               CASE WHEN i % 5 = 0 THEN NULL ELSE opened_at + make_interval(days => 10 + i % 1200) END,
               CASE WHEN open THEN NULL ELSE opened_at + interval '2 days' END
        FROM series""",
    ),
    (
        "audit_events",  # the opening of each expedient, by the clerk in the clerk's municipality
        """
        INSERT INTO audit_events (id, tenant_id, seq, at, actor, actor_id, action, object_type, object_id,
                                  expedient_id, prev_hash, hash)
        SELECT i, tenant_id, i, opened_at, CASE WHEN tenant_id = 1 THEN :clerk_name ELSE 'bench' END,
               CASE WHEN tenant_id = 1 THEN 1 END, 'expedient.opened', 'expedient', i::text, i,
               md5((i - 1)::text) || md5((i - 1)::text), md5(i::text) || md5(i::text)
        FROM series""",
    ),
)


def load_province(conn: sa.Connection, expedients: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Bulk-load ``expedients`` expedients over :data:`TENANTS` tenants; returns what was loaded."""
    _fixed_rows(conn)
    clerk = min(expedients // 2, CLERK_EXPEDIENTS)
    params = {"n": expedients, "clerk": clerk, "tenants": TENANTS, "first": FIRST_NAMES, "last": SURNAMES,
              "clerk_name": CLERK}
    indexes = conn.execute(sa.text("""
        SELECT indexname, indexdef FROM pg_indexes
        WHERE tablename = ANY(:tables) AND indexname NOT IN (SELECT conname FROM pg_constraint)"""),
                           {"tables": list(LOADED)}).all()  # fmt: skip
    for name, _definition in indexes:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    for table, insert in _LOAD:
        began = time.perf_counter()
        conn.execute(sa.text(f"WITH series AS ({_SERIES}) {insert}"), params)
        say(f"  {table}: {expedients} rows in {time.perf_counter() - began:.1f} s")
    # Each tenant's chain head at its last event, so that what the pages append (a login) follows on.
    conn.execute(sa.text("""
        INSERT INTO audit_heads (tenant_id, seq, last_hash)
        SELECT tenant_id, max(seq), md5(max(seq)::text) || md5(max(seq)::text) FROM audit_events GROUP BY tenant_id"""))
    began = time.perf_counter()
    for _name, definition in indexes:
        conn.execute(sa.text(definition))
    for table in (*LOADED, "tenants", "users", "memberships", "process_models", "process_versions"):
        # The table names are this module's constants.
        restart = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
        conn.execute(sa.text(restart))
    say(f"  {len(indexes)} indexes rebuilt in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    figures = rebuild(conn)  # the dashboard's maintained figures, as `gee figures rebuild` after a bulk load
    say(f"  {len(figures)} dashboard figures counted in {time.perf_counter() - began:.1f} s")
    open_tasks = conn.execute(
        sa.text("SELECT count(*) FROM human_tasks WHERE tenant_id = 1 AND state = 'ready'")
    ).scalar_one()
    samples = conn.execute(
        sa.text("""
        SELECT e.number, p.nif, p.name FROM expedients e
        JOIN expedient_parties l ON l.expedient_id = e.id JOIN parties p ON p.id = l.party_id
        WHERE e.tenant_id = 1 AND e.state = 'E01' ORDER BY e.id DESC LIMIT 20""")
    ).all()
    return {"open_tasks": int(open_tasks), "clerk_expedients": clerk,
            "terms": {"number": [r[0] for r in samples], "nif": [r[1] for r in samples],
                      "name": [" ".join(r[2].split()[1:]) for r in samples]}}  # fmt: skip


def _login(client: FlaskClient, username: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token[1] if token else ""})  # fmt: skip
    if response.status_code != 302:
        raise RuntimeError(f"bench login of {username} failed: {response.status_code}")


def _api_secret(app: Flask) -> str:
    from engine.base.context import Context
    from engine.base.unit_of_work import run_in_transaction
    from engine.tenancy.tokens import create_token

    with app.app_context():
        ctx = Context(tenant_id=1, user_id=1, username=CLERK, roles=frozenset({"tramitador"}))
        return run_in_transaction(lambda: create_token(ctx, "bench").secret)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 2)


class _StatementClock:
    """Seconds spent in the database (statements sent until their result came back) since ``reset``."""

    def __init__(self, engine: sa.Engine):
        self.spent, self._began = 0.0, 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._began = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        self.spent += time.perf_counter() - self._began

    def reset(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


class _StatementLog:
    """The statements a request sends (text and parameters), while ``recording``."""

    def __init__(self, engine: sa.Engine):
        self.recording = False
        self.sent: list[tuple[str, Any]] = []
        sa.event.listen(engine, "before_cursor_execute", self._sent)

    def _sent(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if self.recording:
            self.sent.append((statement, parameters))


def buffers_of(engine: sa.Engine, sent: list[tuple[str, Any]]) -> tuple[int, int]:
    """How many statements a request sent, and how many shared buffers (8 kB pages, from cache or
    disk) its reads touched: each SELECT explained again with ``EXPLAIN (ANALYZE, BUFFERS)`` on a
    connection of its own, whose transaction is rolled back as it closes. Unlike milliseconds, the
    count does not move with the machine's load."""
    buffers = 0
    with engine.connect() as conn:
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith("SELECT"):
                plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", parameters)
                top = plan.scalar_one()[0]["Plan"]
                buffers += int(top["Shared Hit Blocks"]) + int(top["Shared Read Blocks"])
    return len(sent), buffers


def time_pages(app: Flask, terms: dict[str, list[str]], samples: int) -> dict[str, list[float]]:
    """Seconds per request of each page (``<page>``), the part of them spent in SQL statements
    (``<page>_sql``) and the CPU time of this process (``<page>_cpu``: Python's own work, which the
    machine's load does not inflate), after two warm-up requests each; every response must be 200."""
    from engine.base.db import db

    with app.app_context():
        clock, log = _StatementClock(db.engine), _StatementLog(db.engine)
    clerk, platform = app.test_client(), app.test_client()
    _login(clerk, CLERK)
    _login(platform, PLATFORM)
    bearer = {"Authorization": f"Bearer {_api_secret(app)}"}
    pages: dict[str, Callable[[int], Any]] = {
        "inbox": lambda _n: clerk.get("/tasks"),
        "search_number": lambda n: clerk.get("/tasks", query_string={"q": terms["number"][n % len(terms["number"])]}),
        "search_nif": lambda n: clerk.get("/tasks", query_string={"q": terms["nif"][n % len(terms["nif"])]}),
        "search_name": lambda n: clerk.get("/tasks", query_string={"q": terms["name"][n % len(terms["name"])]}),
        "dashboard": lambda _n: clerk.get("/dashboard/"),
        "api_tasks": lambda _n: clerk.get("/api/v1/tasks", headers=bearer),
        "platform": lambda _n: platform.get("/admin/tenants"),
        "expedients": lambda _n: clerk.get("/expedients"),
        "expedients_filtered": lambda n: clerk.get("/expedients", query_string={
            "state": "open", "procedure": PROCEDURES[n % len(PROCEDURES)][0]}),
        "audit": lambda _n: platform.get("/admin/audit/"),
        "audit_by_user": lambda _n: platform.get("/admin/audit/", query_string={"user": 1}),
    }
    timings: dict[str, list[float]] = {key: [] for name in pages for key in (name, f"{name}_sql", f"{name}_cpu")}
    for n in range(-2, samples):
        for name, request in pages.items():  # interleaved: a slow moment of the machine hits every page
            clock.reset()
            began, cpu = time.perf_counter(), time.process_time()
            response = request(n)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            if response.status_code != 200:
                raise RuntimeError(f"bench page {name} answered {response.status_code}")
            if n >= 0:
                timings[name].append(elapsed)
                timings[f"{name}_sql"].append(clock.reset())
                timings[f"{name}_cpu"].append(cpu)
    for name, request in pages.items():  # once more each, to count what the database reads
        log.recording, log.sent = True, []
        request(0)
        log.recording = False
        with app.app_context():
            statements, buffers = buffers_of(db.engine, log.sent)
        timings[f"{name}_statements"], timings[f"{name}_buffers"] = [statements], [buffers]
    return timings


def run_size(
    create_app: AppFactory, settings: Settings, expedients: int, samples: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """Load one province of ``expedients`` into a throwaway database and time the pages there."""
    with throwaway_postgres_database(settings.database_url, "gee_bench") as url:
        say(f"{expedients} expedients: database {database_name_of(url)}")
        app = create_app(dataclasses.replace(settings, database_url=url))
        try:
            engine = sa.create_engine(url)
            began = time.perf_counter()
            with engine.begin() as conn:
                loaded = load_province(conn, expedients, say)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # ANALYZE for the planner; VACUUM sets the visibility map as autovacuum would have by
                # then, so that counts read from an index need not visit the table.
                conn.execute(sa.text("VACUUM (ANALYZE)"))
            engine.dispose()
            load_seconds = round(time.perf_counter() - began, 1)
            say(f"  loaded and analysed in {load_seconds} s; the clerk sees {loaded['open_tasks']} open tasks")
            timings = time_pages(app, loaded["terms"], samples)
        finally:
            with app.app_context():
                from engine.base.db import db

                db.session.remove()
                db.engine.dispose()
    counts = {name: int(values[0]) for name, values in timings.items() if name.endswith(("_statements", "_buffers"))}
    for name in counts:
        del timings[name]
    for suffix in ("", "_sql", "_cpu"):
        kinds = (timings[f"search_{kind}{suffix}"] for kind in ("number", "nif", "name"))
        timings[f"search{suffix}"] = [seconds for values in kinds for seconds in values]
    result: dict[str, Any] = {
        "expedients": expedients,
        "tenants": TENANTS,
        "open_tasks": loaded["open_tasks"],
        "load_seconds": load_seconds,
        "database": database_name_of(url),
        **counts,
    }
    say("  " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    for name, values in timings.items():
        result[f"{name}_p50_ms"], result[f"{name}_p95_ms"] = _p(values, 0.5), _p(values, 0.95)
        say(f"  {name:<18} p50 {result[f'{name}_p50_ms']:8.2f} ms  p95 {result[f'{name}_p95_ms']:8.2f} ms")
    return result


def run_inbox_bench(
    create_app: AppFactory,
    settings: Settings,
    sizes: list[int],
    samples: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One province per size, each in its own throwaway database; the pages' p50/p95 of each."""
    say = progress or (lambda _msg: None)
    return {"bench": "inbox", "samples": samples,
            "sizes": [run_size(create_app, settings, size, samples, say) for size in sizes]}  # fmt: skip


__all__ = ["CLERK_EXPEDIENTS", "TENANTS", "load_province", "run_inbox_bench"]
