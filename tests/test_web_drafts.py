"""Upload → preview → test-run → publish in the web app (Flask client)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.expedients.expedients import Expedient
from engine.process.definition.catalogue import latest_version, resolve_version
from engine.process.models import ProcessVersion
from tests.conftest import csrf_token, login, make_tenant, make_user

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sol-licitud-de-prova"


@pytest.fixture
def designer(client):
    tenant = make_tenant()
    make_user("dissenyadora", tenant, roles=("dissenyador",))
    make_user("clerk", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "dissenyadora")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/catalogue/")})
    return tenant


def _upload(client, bpmn: bytes | None = None):
    files = {
        "bpmn": (io.BytesIO(bpmn or (EXAMPLE / "sollicitud_de_prova.bpmn").read_bytes()), "sollicitud_de_prova.bpmn"),
        "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in sorted((EXAMPLE / "forms").glob("*.json"))],
        "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in sorted((EXAMPLE / "templates").glob("*.html"))],
        "csrf_token": csrf_token(client, "/catalogue/"),
    }
    return client.post("/catalogue/deploy", data=files, content_type="multipart/form-data")


def test_upload_stores_a_draft_and_shows_its_preview(client, designer):
    response = _upload(client)
    assert response.status_code == 302 and "/preview" in response.location
    version = db.session.execute(select(ProcessVersion)).scalar_one()
    assert version.is_draft
    assert latest_version(version.model) is None  # not current: nothing starts on it
    assert resolve_version(designer.id, "sollicitud_de_prova") is None
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="version-status"' in page and ">draft<" in page
    assert 'id="validation-report"' in page and 'id="publish-version"' in page
    assert 'id="task-T_dades"' in page and 'id="task-T_resposta"' in page
    # The designer reads the steps in their language (name_en), not the Catalan names.
    assert "Register the application" in page and "Draft the answer" in page
    assert "Registrar la sol·licitud" not in page and "Redactar la resposta" not in page
    assert 'value="12345678Z"' in page  # the sample NIF in the rendered form of T_dades
    assert "resposta_prova.ca.html" in page and "resposta_prova.es.html" in page
    assert 'id="bpmn-viewer"' in page and 'id="page-help"' in page
    assert 'id="label-warnings"' not in page  # every user task is named in es and en


def test_a_task_without_an_english_name_is_deployed_with_a_warning(client, designer):
    bpmn = (EXAMPLE / "sollicitud_de_prova.bpmn").read_text(encoding="utf-8")
    untranslated = bpmn.replace('<spiffworkflow:property name="name_en" value="Draft the answer" />', "")
    response = _upload(client, untranslated.encode("utf-8"))
    assert response.status_code == 302 and "/preview" in response.location
    page = client.get(response.location).get_data(as_text=True)
    warnings = page.split('id="label-warnings"', 1)[1].split("</section>", 1)[0]
    assert "T_resposta" in warnings and "name_en" in warnings
    assert "T_dades" not in warnings and "name_es" not in warnings


def test_test_run_reports_the_path_and_keeps_nothing(client, designer):
    location = _upload(client).location
    expedients_before = db.session.query(Expedient).count()
    plan = {"tasks": {"T_dades": {"nom": "Joana Prova"}}, "outcomes": {}}
    token = csrf_token(client, location)
    response = client.post(location.replace("/preview", "/test-run"),
                           data={"plan": json.dumps(plan), "mode": "one", "csrf_token": token})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-outcome="completed"' in page and "Joana Prova" in page
    steps = re.findall(r'<li><span class="font-monospace">([^<]+)</span>', page.split('id="run-report"')[1])
    assert steps.index("T_dades") < steps.index("T_resposta")
    assert "Resposta a la sol·licitud de prova" in page
    db.session.rollback()
    assert db.session.query(Expedient).count() == expedients_before


def test_bad_test_data_is_refused_with_a_message(client, designer):
    location = _upload(client).location
    token = csrf_token(client, location)
    response = client.post(location.replace("/preview", "/test-run"),
                           data={"plan": "{not json", "mode": "one", "csrf_token": token})
    assert response.status_code == 422 and 'id="test-run-error"' in response.get_data(as_text=True)
    assert "{not json" in response.get_data(as_text=True)  # what was typed is kept
    assert 'aria-invalid="true" aria-describedby="test-run-error" id="plan"' in response.get_data(as_text=True)
    response = client.post(location.replace("/preview", "/test-run"),
                           data={"plan": json.dumps({"outcomes": {"T_x": "maybe"}}), "csrf_token": token})
    assert response.status_code == 422 and "each outcome is one of" in response.get_data(as_text=True)


def test_run_every_path_lists_the_paths(client, designer):
    location = _upload(client).location
    token = csrf_token(client, location)
    response = client.post(location.replace("/preview", "/test-run"),
                           data={"plan": "{}", "mode": "every", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="paths-report"' in page
    assert "distinct path" in page and page.count('class="mb-2 path"') >= 1


def test_publish_makes_the_draft_current(client, designer):
    location = _upload(client).location
    version = db.session.execute(select(ProcessVersion)).scalar_one()
    token = csrf_token(client, location)
    response = client.post(location.replace("/preview", "/publish"), data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert not version.is_draft and latest_version(version.model).id == version.id
    page = client.get(response.location).get_data(as_text=True)
    assert "is published: new case files start on it" in page


def test_other_tenants_and_clerks_cannot_reach_a_draft(client, designer):
    location = _upload(client).location
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01250002")
    make_user("altra", other, roles=("dissenyador",))
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, location)})
    login(client, "altra")
    assert client.get(location).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "clerk")
    assert client.get(location).status_code == 403
    publish = client.post(location.replace("/preview", "/publish"), data={"csrf_token": csrf_token(client, "/")})
    assert publish.status_code == 403
    assert db.session.execute(select(ProcessVersion)).scalar_one().is_draft
