"""Processos: designers upload, validate, preview, edit, publish and adopt process models."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.process.definition.deploy import deploy_process
from engine.process.instances.tasks import start_instance
from engine.process.models import ProcessModel, ProcessVersion
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user
from tests.instancia_files import BPMN, FORMS, TEMPLATES
from tests.web_clerk import field_error

ROOT = Path(__file__).resolve().parent.parent

WITH_DI = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Defs" targetNamespace="http://gee.example/bpmn">
  <bpmn:process id="avis_simple" name="Avís simple" isExecutable="true">
    <bpmn:startEvent id="Inici"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="Fi"><bpmn:incoming>F1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Inici" targetRef="Fi" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram"><bpmndi:BPMNPlane id="Plane" bpmnElement="avis_simple">
    <bpmndi:BPMNShape id="Start_di" bpmnElement="Inici">
      <dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="End_di" bpmnElement="Fi">
      <dc:Bounds x="200" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="F1_di" bpmnElement="F1">
      <di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@pytest.fixture
def designer(client):
    tenant = make_tenant()
    user = make_user("dissenyadora", tenant, roles=("dissenyador", "tramitador"))
    make_user("clerk", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "dissenyadora")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/catalogue/")})
    return tenant, user


def upload(client, bpmn: bytes, forms=FORMS):
    data = {"bpmn": (io.BytesIO(bpmn), "model.bpmn"), "forms": [(io.BytesIO(f.read_bytes()), f.name) for f in forms],
            "templates": [(io.BytesIO(f.read_bytes()), f.name) for f in TEMPLATES],
            "csrf_token": csrf_token(client, "/catalogue/")}
    return client.post("/catalogue/deploy", data=data, content_type="multipart/form-data")


def the_model() -> ProcessModel:
    return db.session.execute(select(ProcessModel)).scalar_one()


def test_upload_deploys_and_the_model_page_lists_versions_and_running_instances(client, designer):
    tenant, user = designer
    response = upload(client, BPMN.read_bytes())
    assert response.status_code == 302
    model = the_model()
    assert model.tenant_id == tenant.id and model.published
    version = model.versions[0]
    assert set(version.forms) == {f.name for f in FORMS}
    start_instance(ctx_for(user, tenant), version, None, {})
    page = client.get(f"/catalogue/{model.id}").get_data(as_text=True)
    assert "Version 1 of" in page  # the flash
    assert re.search(r'<td data-version="1">1</td>', page)
    listing = client.get("/catalogue/").get_data(as_text=True)
    assert "General request" in listing  # its English name (the sidecar), the page being in English


def test_a_model_with_problems_shows_every_problem_with_its_element(client, designer):
    response = upload(client, BPMN.read_bytes(), forms=FORMS[:2])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    rows = re.findall(r'<td class="font-monospace"[^>]*>([^<]+)</td>', html)
    assert len(rows) == len(FORMS) - 2 and all(rows)
    assert "does not exist in the forms folder" in html
    assert db.session.execute(select(ProcessVersion)).first() is None


def test_a_file_that_is_not_a_bpmn_text_is_refused_beside_its_field(client, designer):
    response = upload(client, "<bpmn>é</bpmn>".encode("latin-1"), forms=[])
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and field_error(html, "up-bpmn") == "The file is not UTF-8 text."
    assert 'aria-describedby="up-bpmn-error"' in html and 'id="upload-form"' in html
    assert db.session.execute(select(ProcessVersion)).first() is None


def test_a_model_with_a_diagram_is_previewed(client, designer):
    assert upload(client, WITH_DI.encode(), forms=[]).status_code == 302
    model = the_model()
    page = client.get(f"/catalogue/{model.id}").get_data(as_text=True)
    assert 'id="bpmn-viewer"' in page and "bpmn-navigated-viewer.production.min.js" in page
    url = re.search(r'data-bpmn-url="([^"]+)"', page)[1]
    xml = client.get(url)
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b"avis_simple" in xml.data


def test_a_model_without_a_diagram_layout_says_so(client, designer):
    without_di = re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", WITH_DI, flags=re.S)
    assert upload(client, without_di.encode(), forms=[]).status_code == 302
    page = client.get(f"/catalogue/{the_model().id}").get_data(as_text=True)
    assert 'id="no-diagram"' in page and 'id="bpmn-viewer"' not in page


def test_publish_and_unpublish(client, designer):
    upload(client, WITH_DI.encode(), forms=[])
    model = the_model()
    token = csrf_token(client, f"/catalogue/{model.id}")
    assert client.post(f"/catalogue/{model.id}/unpublish", data={"csrf_token": token}).status_code == 302
    db.session.refresh(model)
    assert model.published is False
    client.post(f"/catalogue/{model.id}/publish", data={"csrf_token": token})
    db.session.refresh(model)
    assert model.published is True


def test_the_modeler_saves_a_new_version_with_the_previous_forms(client, designer):
    upload(client, BPMN.read_bytes())
    model = the_model()
    page = client.get(f"/catalogue/{model.id}/modeler")
    assert page.status_code == 200 and "vendor/gee-modeler/modeler.js" in page.get_data(as_text=True)
    edited = BPMN.read_text(encoding="utf-8").replace('name="Instància genèrica"', 'name="Instància genèrica v2"', 1)
    assert edited != BPMN.read_text(encoding="utf-8")
    token = csrf_token(client, f"/catalogue/{model.id}/modeler")
    response = client.post(f"/catalogue/{model.id}/modeler", data={"bpmn_xml": edited, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    versions = the_model().versions
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].forms == versions[0].forms


def test_the_modeler_shows_problems_and_keeps_the_edited_xml(client, designer):
    upload(client, BPMN.read_bytes())
    model = the_model()
    broken = BPMN.read_text(encoding="utf-8").replace("instancia_generica_revisar.json", "no_such_form.json")
    token = csrf_token(client, f"/catalogue/{model.id}/modeler")
    response = client.post(f"/catalogue/{model.id}/modeler", data={"bpmn_xml": broken, "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="problems"' in html and "no_such_form.json does not exist" in html
    kept = html_lib.unescape(re.search(r'<textarea[^>]*name="bpmn_xml">(.*?)</textarea>', html, re.S)[1])
    assert kept == broken  # the edited XML is not lost
    # The modeler's panel gets the problem to mark on its element, and the version's forms to choose from.
    panel = json.loads(re.search(r'<script type="application/json" id="modeler-config">(.*?)</script>', html, re.S)[1])
    assert [p["element_id"] for p in panel["problems"]] == ["Task_revisar"]
    assert "no_such_form.json does not exist" in panel["problems"][0]["message"]
    assert "instancia_generica_revisar.json" in panel["forms"] and "gee.notify" in panel["operators"]
    assert len(the_model().versions) == 1


def test_the_modeler_saves_a_shipped_procedure_whose_e_office_start_form_is_in_its_sidecar(client, designer):
    """The access to public information reads what the citizen filed (informacio_sollicitada, from
    the start form its processes/acces_informacio_publica.info.json names): known on a modeler save too."""
    tenant, user = designer
    shipped = ROOT / "processes" / "acces_informacio_publica.bpmn"
    assert deploy_process(ctx_for(user, tenant), shipped).ok
    db.session.commit()
    model = the_model()
    token = csrf_token(client, f"/catalogue/{model.id}/modeler")
    name = 'name="Accés a la informació pública"'
    edited = shipped.read_text(encoding="utf-8").replace(name, name[:-1] + ' (2)"', 1)
    assert "informacio_sollicitada" in edited and "(2)" in edited
    response = client.post(f"/catalogue/{model.id}/modeler", data={"bpmn_xml": edited, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert [v.number for v in the_model().versions] == [1, 2]


def test_adopting_a_shared_model(client, designer):
    shared = deploy_process(None, BPMN, shared=True)
    assert shared.ok
    db.session.commit()
    shared_id = shared.version.model_id
    listing = client.get("/catalogue/").get_data(as_text=True)
    assert f"/catalogue/{shared_id}/adopt" in listing
    response = client.post(f"/catalogue/{shared_id}/adopt", data={"csrf_token": csrf_token(client, "/catalogue/")})
    assert response.status_code == 302
    own = db.session.execute(select(ProcessModel).where(ProcessModel.tenant_id.is_not(None))).scalar_one()
    assert own.adopted_from_id == shared_id and own.versions[0].number == 1


def test_clerks_cannot_use_the_catalogue(client, designer):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/catalogue/")})
    login(client, "clerk")
    assert client.get("/catalogue/").status_code == 403
