"""Every route of the app, walked automatically (app.url_map, every method), as:

- a user of ANOTHER municipality holding every role, with the URL filled with ids of this
  municipality's objects: never a 500, never a success that shows B's data, B's records unchanged;
- a user of B without the role a role-protected route needs: 403;
- an anonymous visitor: a redirect to the login page, or 401 JSON under /api.

Routes other features add are covered without touching this file. The few public routes are
an explicit allow-list. B's objects are created first, so their id is 1 in every table: a
URL parameter this test does not know by name is filled with 1.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.documents.documents import store_document
from engine.process.definition.deploy import deploy_uploaded
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.registry.open_expedient import PartyInput, open_and_start
from engine.tenancy.models import ROLES
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for, login, make_tenant, make_user
from tests.engine_helpers import make_version
from tests.instancia_files import BPMN, FORMS, TEMPLATES

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

#: Routes anyone may use without logging in (prefix match on the rule).
PUBLIC = ("/login", "/logout", "/healthz", "/static/", "/locale", "/verify", "/api/v1/openapi.json", "/seu",
          "/dev-idp", "/tenants/<tenant_code>/logo",
          # a one-time link to set a password: the secret in the address is the credential
          "/password",
          "/tauler",  # the public notice board
          "/transparencia",  # the public transparency portal
          "/favicon.ico")  # the site's icon

MARKERS = ("B-SECRET-EXPEDIENT", "B-SECRET-PARTY", "B-SECRET-DOC", "B-SECRET-CONTENT", "B-SECRET-TOKEN",
           "B-SECRET-USER")
#: String URL parameters by name; anything else gets "1".
STRING_VALUES = {"role": "tramitador", "scope": "all", "year": "2026", "code": "ABCD-EFGH-IJKL-MNOP",
                 "tenant_code": "ajt-b", "key": "instancia_generica"}


def _is_public(rule: str) -> bool:
    return any(rule == p or rule.startswith(p if p.endswith("/") else p + "/") for p in PUBLIC)


def required_roles(view) -> tuple[str, ...] | None:
    """The roles a view's ``roles_required`` decorator asks for (found in its closures)."""
    seen, stack = set(), [view]
    while stack:
        fn = stack.pop()
        if id(fn) in seen or not hasattr(fn, "__code__"):
            continue
        seen.add(id(fn))
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False))
        if "roles" in cells and isinstance(cells["roles"].cell_contents, tuple):
            return cells["roles"].cell_contents
        stack += [c.cell_contents for c in cells.values() if callable(c.cell_contents)]
        if hasattr(fn, "__wrapped__"):
            stack.append(fn.__wrapped__)
    return None


@pytest.fixture
def world():
    """Municipality B with one object of every kind (ids 1); municipality A with an intruder."""
    b = make_tenant("ajt-b", "Ajuntament B", dir3="L01250002", ine_code="250002")
    owner = make_user("b.admin", b, roles=ROLES, full_name="B-SECRET-USER")
    ctx = ctx_for(owner, b)
    forms = {f.name: f.read_bytes() for f in FORMS}
    templates = {f.name: f.read_bytes() for f in TEMPLATES}
    deployed = deploy_uploaded(ctx, BPMN.read_text(), forms=forms, templates=templates)
    assert deployed.ok, deployed.problems
    db.session.commit()
    opened = open_and_start(ctx, process_model_id=deployed.version.model_id, subject="B-SECRET-EXPEDIENT",
                            party=PartyInput(nif="12345678Z", name="B-SECRET-PARTY"))
    store_document(ctx, opened.expedient.id, "b.txt", b"B-SECRET-CONTENT", title="B-SECRET-DOC",
                   tipo_documental="TD99", from_administration=True)
    create_token(ctx, "B-SECRET-TOKEN")
    db.session.commit()
    make_version(b.id, "exec_incident")
    started = instances.start_instance(ctx, "exec_incident", data={"divisor": 0})
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == started["instance_id"])).scalar_one()
    instances.complete_task(ctx, task.id, {"amount": 5})  # opens an incident

    a = make_tenant("ajt-a", "Ajuntament A", dir3="L01250001", ine_code="250001")
    intruder = make_user("intrus", a, roles=ROLES)
    intruder_token = create_token(ctx_for(intruder, a), "intrus").secret
    db.session.commit()
    return {"b": b, "a": a, "intruder_token": intruder_token}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(set(rule.methods) & set(METHODS)):
            yield rule, method


def _url(app, rule, method) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = STRING_VALUES.get(name, "1")
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def _call(client, method, url, *, csrf=None, bearer=None):
    headers = {"Accept-Language": "en"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    data = {"csrf_token": csrf} if csrf else {}
    if method == "GET":
        return client.get(url, headers=headers)
    if url.startswith("/api/"):
        return client.open(url, method=method, headers=headers, json={})
    return client.open(url, method=method, headers=headers, data=data)


def _token(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _audit_count(tenant_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
                              ).scalar_one()


def test_a_user_of_another_municipality_never_reaches_its_objects(app, client, world):
    login(client, "intrus")
    csrf = _token(client)
    before = _audit_count(world["b"].id)
    failures = []
    for rule, method in _routes(app):
        url = _url(app, rule, method)
        response = _call(client, method, url, csrf=csrf, bearer=world["intruder_token"])
        body = response.get_data(as_text=True)
        leaked = [m for m in MARKERS if m in body]
        if response.status_code >= 500 or leaked:
            failures.append(f"{method} {url} -> {response.status_code} {leaked}")
        db.session.rollback()
    assert not failures, "\n".join(failures)
    assert _audit_count(world["b"].id) == before, "an intruder changed municipality B's records"


def test_role_protected_routes_refuse_users_without_the_role(app, world):
    checked, failures, users = 0, [], set()
    for rule, method in _routes(app):
        roles = required_roles(app.view_functions[rule.endpoint])
        if not roles or set(roles) >= set(ROLES):
            continue
        others = tuple(r for r in ROLES if r not in roles)
        username = "sense-" + "-".join(sorted(roles))
        if username not in users:
            make_user(username, world["b"], roles=others)
            db.session.commit()
            users.add(username)
        client = app.test_client()
        login(client, username)
        response = _call(client, method, _url(app, rule, method), csrf=_token(client))
        checked += 1
        if response.status_code != 403:
            failures.append(f"{method} {rule.rule} roles={roles} as {others} -> {response.status_code}")
        db.session.rollback()
    assert checked > 0
    assert not failures, "\n".join(failures)


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, world):
    csrf = _token(client)
    failures = []
    for rule, method in _routes(app):
        if _is_public(rule.rule):
            continue
        url = _url(app, rule, method)
        response = _call(client, method, url, csrf=csrf)
        if url.startswith("/api/"):
            ok = response.status_code == 401 and response.is_json
        else:
            ok = response.status_code == 302 and "/login" in response.headers.get("Location", "")
        if not ok:
            failures.append(f"{method} {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_public_allow_list_is_small_and_real(app):
    rules = [r.rule for r in app.url_map.iter_rules()]
    public = [r for r in rules if _is_public(r)]
    assert "/login" in public and "/api/v1/openapi.json" in public
    assert all(any(r.startswith(p) for r in rules) for p in ("/login", "/healthz", "/locale"))


def test_uploading_to_another_municipalitys_expedient_is_refused(client, world):
    response = client.post("/api/v1/expedients/1/documents",
                           headers={"Authorization": f"Bearer {world['intruder_token']}"},
                           data={"file": (io.BytesIO(b"x"), "x.txt"), "title": "x"},
                           content_type="multipart/form-data")
    assert response.status_code == 404
