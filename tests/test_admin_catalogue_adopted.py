"""Processos: the shared models list says how the municipality's copy stands (in use, a draft
or withdrawn) and links to it, instead of a bare "adopted"."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from sqlalchemy import select

from engine.base.db import db
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


def _own_model(tenant) -> ProcessModel:
    return db.session.execute(select(ProcessModel).where(ProcessModel.tenant_id == tenant.id)).scalar_one()


def _adopted_link(client) -> tuple[str, str]:
    """The shared list's link to the municipality's copy: (where it goes, what it says)."""
    page = client.get("/catalogue/").get_data(as_text=True)
    found = re.search(rf'<a data-adopted="{KEY}" href="([^"]+)">(.*?)</a>', page, re.S)
    assert found, "no link to the municipality's copy in the shared list"
    return found[1], " ".join(html_lib.unescape(found[2]).split())


def test_an_adopted_copy_in_use_says_its_version_and_links_to_it(client, designer, shared_model):
    token = csrf_token(client, "/catalogue/")
    client.post(f"/catalogue/{shared_model.id}/adopt", data={"csrf_token": token})
    own = _own_model(designer)
    assert _adopted_link(client) == (f"/catalogue/{own.id}", "adopted — version 1 in use")
    assert f"/catalogue/{shared_model.id}/adopt" not in client.get("/catalogue/").get_data(as_text=True)

    client.post(f"/catalogue/{own.id}/unpublish", data={"csrf_token": token})
    assert _adopted_link(client)[1] == "adopted — not published: the shared version is used"


def test_a_draft_with_the_shared_key_is_not_called_in_use(client, designer, shared_model):
    data = {"bpmn": (io.BytesIO(BPMN.read_bytes()), "model.bpmn"),
            "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in FORMS],
            "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in TEMPLATES],
            "csrf_token": csrf_token(client, "/catalogue/")}
    assert client.post("/catalogue/deploy", data=data, content_type="multipart/form-data").status_code == 302
    own = _own_model(designer)
    assert own.versions[0].is_draft
    assert _adopted_link(client) == (f"/catalogue/{own.id}", "own model with this key — draft, not published yet")
