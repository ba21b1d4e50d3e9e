"""Property-based tests of /api/v1 from its own OpenAPI document (schemathesis, no network).

For every operation of the document, a bounded and deterministic set of requests (15 examples,
derandomized) is sent through the WSGI app with a real API token of a test municipality that
has a deployed procedure and an open expedient. No answer may be a server error, and every
answer must be one the document describes: its status code, content type and body schema.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.base.db import db
from engine.tenancy.models import Tenant
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for, make_user
from tests.instancia_files import BPMN, FORMS, TEMPLATES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def secret(app: Flask, tenant: Tenant) -> str:
    """A token of a clerk-designer of a municipality with one procedure and one expedient."""
    user = make_user("api-clerk", tenant, ("tramitador", "dissenyador", "admin"))
    token = create_token(ctx_for(user, tenant), "schemathesis").secret
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    files = {"bpmn": (io.BytesIO(BPMN.read_bytes()), BPMN.name),
             "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in FORMS],
             "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in TEMPLATES]}
    deployed = client.post("/api/v1/process-models", data=files, headers=headers, content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    opened = client.post("/api/v1/expedients", headers=headers, json={
        "process_model_id": deployed.get_json()["model_id"], "subject": "Sol·licitud de gual",
        "party": {"nif": "12345678Z", "name": "Maria Puig"}})
    assert opened.status_code == 201, opened.get_json()
    return token


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented_and_never_with_a_server_error(case: Any, secret: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
