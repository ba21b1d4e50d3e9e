"""Processos says what a new expedient really starts on: the page's words follow resolve_version,
so a designer is never told a procedure is withdrawn while the e-office still offers it."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.process.definition.catalogue import resolve_version
from engine.process.definition.deploy import deploy_process
from engine.process.models import ProcessModel
from tests.conftest import csrf_token
from tests.instancia_files import BPMN, FORMS, TEMPLATES

KEY = "instancia_generica"


@pytest.fixture
def shared_model():
    result = deploy_process(None, BPMN, shared=True)
    assert result.ok
    db.session.commit()
    return result.version.model


def _upload_draft(client):
    data = {"bpmn": (io.BytesIO(BPMN.read_bytes()), "model.bpmn"),
            "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in FORMS],
            "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in TEMPLATES],
            "csrf_token": csrf_token(client, "/catalogue/")}
    response = client.post("/catalogue/deploy", data=data, content_type="multipart/form-data")
    assert response.status_code == 302


def _own_model(tenant) -> ProcessModel:
    return db.session.execute(select(ProcessModel).where(ProcessModel.tenant_id == tenant.id)).scalar_one()


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _status_on_model_page(client, model_id: int) -> str:
    page = client.get(f"/catalogue/{model_id}").get_data(as_text=True)
    return _text(re.search(r'<span id="start-status">(.*?)</span>', page, re.S)[1])


def _published_cell(client, key: str) -> str:
    page = client.get("/catalogue/").get_data(as_text=True)
    return _text(re.search(rf'<td data-published="{key}">(.*?)</td>', page, re.S)[1])


def test_an_unpublished_adopted_copy_says_the_shared_version_is_used(client, designer, shared_model):
    token = csrf_token(client, "/catalogue/")
    client.post(f"/catalogue/{shared_model.id}/adopt", data={"csrf_token": token})
    own = _own_model(designer)
    assert _status_on_model_page(client, own.id).startswith("Published: new ")
    assert _status_on_model_page(client, own.id).endswith("use version 1.")
    assert _published_cell(client, KEY) == "yes"

    client.post(f"/catalogue/{own.id}/unpublish", data={"csrf_token": token})
    picked = resolve_version(designer.id, KEY)
    assert picked is not None and picked.model_id == shared_model.id  # what the e-office offers
    status = _status_on_model_page(client, own.id)
    assert status.startswith("Not published here: new ") and status.endswith("use the shared version 1.")
    assert _published_cell(client, KEY) == f"no {status}"


def test_a_draft_with_a_shared_model_s_key_is_not_called_published(client, designer, shared_model):
    _upload_draft(client)
    own = _own_model(designer)
    assert own.published and own.versions[0].is_draft
    assert resolve_version(designer.id, KEY).model_id == shared_model.id
    status = _status_on_model_page(client, own.id)
    assert status.startswith("Only drafts so far: new ") and status.endswith("use the shared version 1.")
    assert _published_cell(client, KEY) == f"no {status}"
    # Looking at the shared model, the municipality is told it is the one in use.
    status = _status_on_model_page(client, shared_model.id)
    assert status.startswith("Published: new ") and status.endswith("use version 1.")


def test_a_lone_draft_cannot_be_used_yet(client, designer):
    _upload_draft(client)
    own = _own_model(designer)
    assert resolve_version(designer.id, KEY) is None
    status = _status_on_model_page(client, own.id)
    assert status.startswith("Only drafts so far: no new ") and status.endswith("until a version is published.")
    assert _published_cell(client, KEY) == f"no {status}"


def test_the_shared_model_page_says_the_municipality_uses_its_own(client, designer, shared_model):
    token = csrf_token(client, "/catalogue/")
    client.post(f"/catalogue/{shared_model.id}/adopt", data={"csrf_token": token})
    status = _status_on_model_page(client, shared_model.id)
    assert status.startswith("This municipality has its own model with this key") and status.endswith("version 1.")


def test_an_unpublished_model_without_a_shared_one_is_withdrawn(client, designer):
    _upload_draft(client)
    own = _own_model(designer)
    db.session.refresh(own)
    preview = client.get(f"/catalogue/versions/{own.versions[0].id}/preview")
    token = csrf_token(client, f"/catalogue/versions/{own.versions[0].id}/preview")
    assert preview.status_code == 200
    client.post(f"/catalogue/versions/{own.versions[0].id}/publish", data={"csrf_token": token})
    client.post(f"/catalogue/{own.id}/unpublish", data={"csrf_token": token})
    assert resolve_version(designer.id, KEY) is None
    assert _status_on_model_page(client, own.id) == "Not published: no new case file can use it."
    assert _published_cell(client, KEY) == "no"
