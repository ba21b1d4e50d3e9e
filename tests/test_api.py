"""The JSON API: tokens, a procedure from deploy to a completed task, documents, tenant isolation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.tenancy.tokens import ApiToken, create_token, digest, revoke_token
from tests.conftest import ctx_for, login, make_tenant, make_user
from tests.instancia_files import BPMN, FORMS, TEMPLATES

ROOT = Path(__file__).resolve().parent.parent
EN = {"Accept-Language": "en"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **EN}


def model_files() -> dict[str, object]:
    return {
        "bpmn": (io.BytesIO(BPMN.read_bytes()), BPMN.name),
        "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in FORMS],
        "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in TEMPLATES],
    }


@pytest.fixture
def world():
    """Two municipalities, each with a clerk-designer holding a token."""
    out = {}
    for code, dir3, ine in (("ajt-a", "L01250001", "250001"), ("ajt-b", "L01250002", "250002")):
        tenant = make_tenant(code, f"Ajuntament {code}", dir3=dir3, ine_code=ine)
        user = make_user(f"clerk-{code}", tenant, roles=("tramitador", "dissenyador"))
        new = create_token(ctx_for(user, tenant), "script")
        out[code] = {"tenant": tenant, "user": user, "secret": new.secret}
    db.session.commit()
    return out


def deployed_model(client, secret: str) -> dict:
    response = client.post("/api/v1/process-models", data=model_files(), headers=bearer(secret),
                           content_type="multipart/form-data")
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def opened(client, secret: str, model_id: int) -> dict:
    response = client.post("/api/v1/expedients", headers=bearer(secret), json={
        "process_model_id": model_id, "subject": "Sol·licitud de gual",
        "party": {"nif": "12345678Z", "name": "Maria Puig"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- tokens ------------------------------------------------------------------------------------


def test_only_the_digest_of_a_token_is_stored_and_the_secret_works_once_shown(client, world):
    secret = world["ajt-a"]["secret"]
    row = db.session.execute(select(ApiToken)).scalars().first()
    assert secret.startswith("gee_") and len(secret) > 40
    assert row.token_hash == digest(secret) and secret not in (row.token_hash, row.hint)
    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["user"]["username"] == "clerk-ajt-a"
    assert me.get_json()["tenant"]["code"] == "ajt-a"
    assert me.get_json()["roles"] == ["dissenyador", "tramitador"]


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer gee_not-a-real-token", "Basic dXNlcjpwYXNz"])
def test_calls_without_a_valid_token_get_401_json(client, world, header):
    headers = {**EN, **({"Authorization": header} if header else {})}
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(client, world):
    a = world["ajt-a"]
    token = db.session.execute(select(ApiToken).where(ApiToken.user_id == a["user"].id)).scalar_one()
    revoke_token(ctx_for(a["user"], a["tenant"]), token.id)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(a["secret"])).status_code == 401
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert "api_token.created" in actions and "api_token.revoked" in actions


def test_a_session_cookie_is_not_enough_for_the_api(client, world):
    login(client, "clerk-ajt-a")
    response = client.get("/api/v1/me", headers=EN)
    assert response.status_code == 401


def test_a_token_loses_what_its_user_loses(client, world):
    a = world["ajt-a"]
    for membership in list(a["user"].memberships):
        db.session.delete(membership)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(a["secret"])).status_code == 401


def test_the_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.1.0"


# -- a procedure through the API ---------------------------------------------------------------


def test_deploy_open_claim_complete_and_documents(client, world):
    secret = world["ajt-a"]["secret"]
    first = deployed_model(client, secret)
    assert first["created"] is True and first["version"] == 1 and first["key"]
    again = deployed_model(client, secret)
    assert again["created"] is False and again["version_id"] == first["version_id"]

    models = client.get("/api/v1/process-models", headers=bearer(secret)).get_json()
    assert [m["key"] for m in models] == [first["key"]]
    assert models[0]["latest_version"] == 1 and models[0]["shared"] is False

    result = opened(client, secret, first["model_id"])
    expedient = result["expedient"]
    assert expedient["number"].endswith("/000001") and expedient["state"] == "E01"
    assert expedient["eni_id"].startswith("ES_L01250001_")
    assert result["instance"]["status"] in ("running", "waiting")

    tasks = client.get("/api/v1/tasks", headers=bearer(secret)).get_json()
    assert len(tasks) == 1 and tasks[0]["expedient_number"] == expedient["number"]
    task_id = tasks[0]["id"]
    task = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(secret)).get_json()
    assert "unitat_responsable" in task["form_schema"]["properties"]
    # A step's name comes in the language the caller asks for (the BPMN's name_es / name_en).
    def name_in(language: str) -> str:
        headers = {**bearer(secret), "Accept-Language": language}
        return str(client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()["name"])

    assert name_in("ca") == "Revisar i assignar la sol·licitud"
    assert name_in("es") == "Revisar y asignar la solicitud"
    english = client.get(f"/api/v1/expedients/{expedient['id']}", headers={**bearer(secret), "Accept-Language": "en"})
    assert [t["name"] for t in english.get_json()["tasks"]] == ["Review and assign the application"]

    claimed = client.post(f"/api/v1/tasks/{task_id}/claim", headers=bearer(secret))
    assert claimed.status_code == 200 and claimed.get_json()["assignee_id"] == world["ajt-a"]["user"].id

    bad = client.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer(secret), json={"data": {}})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.get_json()["details"]} >= {"unitat_responsable", "completa"}

    data = {"data": {"unitat_responsable": "Urbanisme", "completa": True}}
    headers = {**bearer(secret), "Idempotency-Key": "submit-1"}
    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json=data)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["human_task_id"] == task_id
    retried = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json=data)
    assert retried.status_code == 200 and retried.get_json() == done.get_json()
    twice = client.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer(secret), json=data)
    assert twice.status_code == 409

    upload = client.post(f"/api/v1/expedients/{expedient['id']}/documents", headers=bearer(secret),
                         data={"file": (io.BytesIO(b"%PDF-1.4 informe"), "informe.pdf"), "title": "Informe",
                               "tipo_documental": "TD13"}, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    doc = upload.get_json()
    assert doc["tipo_documental"] == "TD13" and len(doc["sha512"]) == 128
    meta = client.get(f"/api/v1/documents/{doc['id']}", headers=bearer(secret)).get_json()
    assert meta["title"] == "Informe"
    content = client.get(f"/api/v1/documents/{doc['id']}/content", headers=bearer(secret))
    assert content.status_code == 200 and content.data == b"%PDF-1.4 informe"
    assert "informe.pdf" in content.headers["Content-Disposition"]

    detail = client.get(f"/api/v1/expedients/{expedient['id']}", headers=bearer(secret)).get_json()
    assert detail["expedient"]["subject"] == "Sol·licitud de gual"
    assert [(p["nif"], p["role"]) for p in detail["parties"]] == [("12345678Z", "interessat")]
    assert doc["id"] in [d["id"] for d in detail["documents"]]
    assert detail["tasks"][0]["id"] == task_id and detail["tasks"][0]["state"] == "completed"


def test_a_model_with_problems_is_refused_with_every_problem(client, world):
    files = {"bpmn": (io.BytesIO(BPMN.read_bytes()), BPMN.name),  # no forms
             "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in TEMPLATES]}
    response = client.post("/api/v1/process-models", data=files, headers=bearer(world["ajt-a"]["secret"]),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation"
    assert len(body["details"]) == len(FORMS)
    assert all(d["element_id"] and "does not exist" in d["message"] for d in body["details"])


def test_a_file_that_is_not_xml_is_never_read_as_a_path(client, world):
    files = {"bpmn": (io.BytesIO(b"/etc/passwd"), "x.bpmn")}
    response = client.post("/api/v1/process-models", data=files, headers=bearer(world["ajt-a"]["secret"]),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "root:" not in response.get_data(as_text=True)


def test_a_clerk_without_the_designer_role_cannot_deploy(client, world):
    a = world["ajt-a"]
    clerk = make_user("only-clerk", a["tenant"], roles=("tramitador",))
    secret = create_token(ctx_for(clerk, a["tenant"]), "x").secret
    db.session.commit()
    response = client.post("/api/v1/process-models", data=model_files(), headers=bearer(secret),
                           content_type="multipart/form-data")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_opening_needs_a_procedure_and_validates_the_party(client, world):
    secret = world["ajt-a"]["secret"]
    model = deployed_model(client, secret)
    missing = client.post("/api/v1/expedients", headers=bearer(secret), json={"subject": "x"})
    assert missing.status_code == 422 and missing.get_json()["field"] == "process_model_id"
    bad_nif = client.post("/api/v1/expedients", headers=bearer(secret), json={
        "process_model_id": model["model_id"], "subject": "x", "party": {"nif": "12345678A", "name": "X"}})
    assert bad_nif.status_code == 422 and bad_nif.get_json()["field"] == "nif"
    not_json = client.post("/api/v1/expedients", headers=bearer(secret), data="subject=x")
    assert not_json.status_code == 422


# -- tenant isolation --------------------------------------------------------------------------


def test_a_token_of_another_municipality_gets_404_for_every_id(client, world):
    a, b = world["ajt-a"]["secret"], world["ajt-b"]["secret"]
    model = deployed_model(client, a)
    expedient = opened(client, a, model["model_id"])["expedient"]
    task_id = client.get("/api/v1/tasks", headers=bearer(a)).get_json()[0]["id"]
    doc = client.post(f"/api/v1/expedients/{expedient['id']}/documents", headers=bearer(a),
                      data={"file": (io.BytesIO(b"secret"), "a.txt"), "title": "A"},
                      content_type="multipart/form-data").get_json()

    assert client.get("/api/v1/tasks", headers=bearer(b)).get_json() == []
    assert client.get("/api/v1/process-models", headers=bearer(b)).get_json() == []
    for method, path in [
        ("get", f"/api/v1/expedients/{expedient['id']}"),
        ("get", f"/api/v1/tasks/{task_id}"),
        ("post", f"/api/v1/tasks/{task_id}/claim"),
        ("get", f"/api/v1/documents/{doc['id']}"),
        ("get", f"/api/v1/documents/{doc['id']}/content"),
    ]:
        response = getattr(client, method)(path, headers=bearer(b))
        assert response.status_code == 404, (path, response.status_code)
        assert response.get_json()["error"] == "not_found"
    complete = client.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer(b),
                           json={"data": {"unitat_responsable": "Urbanisme", "completa": True}})
    assert complete.status_code == 404
    upload = client.post(f"/api/v1/expedients/{expedient['id']}/documents", headers=bearer(b),
                         data={"file": (io.BytesIO(b"x"), "b.txt"), "title": "B"}, content_type="multipart/form-data")
    assert upload.status_code == 404
    start = client.post("/api/v1/expedients", headers=bearer(b),
                        json={"process_model_id": model["model_id"], "subject": "x"})
    assert start.status_code == 404


def test_eni_export_of_an_expedient(client, world):
    from tests.test_signatures_helpers import give_seal

    give_seal(world["ajt-a"]["tenant"])
    db.session.commit()
    secret = world["ajt-a"]["secret"]
    model = deployed_model(client, secret)
    expedient = opened(client, secret, model["model_id"])["expedient"]
    client.post(f"/api/v1/expedients/{expedient['id']}/documents", headers=bearer(secret),
                data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf"), "title": "Sol·licitud", "tipo_documental": "TD14"},
                content_type="multipart/form-data")
    response = client.get(f"/api/v1/expedients/{expedient['id']}/eni", headers=bearer(secret))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/xml"
    assert expedient["eni_id"].encode() in response.data
    other = client.get(f"/api/v1/expedients/{expedient['id']}/eni", headers=bearer(world["ajt-b"]["secret"]))
    assert other.status_code == 404
