"""What the procedures library needs from the engine: service tasks (deploy checks, execution,
failures as incidents), the nif / cadastral-reference form formats, Spanish labels, template
languages bundled with a version, and every shipped model deployable with a drawable diagram."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.base.db import db
from engine.base.errors import Forbidden, ValidationFailed
from engine.documents.documents import Document
from engine.process.definition.deploy import deploy_process
from engine.process.definition.task_labels import label_for, labels_of
from engine.process.forms.formats import FORMAT_CHECKER
from engine.process.instances import tasks as instances
from engine.process.instances.service_calls import OPERATORS, operator_docs
from engine.process.models import Incident
from tests.procedures_helpers import ready, ready_ids, spiff_clock, town

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}

SERVICE_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="servei_prova" name="Prova de servei" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="tramitador">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>ask</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>gen</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" name="Dades">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="gen" name="Generar">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="%(operator)s" resultVariable="doc">
          <spiffworkflow:parameters>%(params)s</spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
        <spiffworkflow:properties>
          <spiffworkflow:property name="name_es" value="Generar el documento" />
          <spiffworkflow:property name="name_en" value="Generate the document" />
          <spiffworkflow:property name="documentTemplate" value="conformitat.ca.html" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="gen" />
    <bpmn:sequenceFlow id="f3" sourceRef="gen" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
TITLE = '<spiffworkflow:parameter id="titol" type="str" value="\'Conformitat\'" />'


def _model(operator: str = "gee.generate_document", params: str = TITLE) -> str:
    return SERVICE_MODEL % {"operator": operator, "params": params}


def test_every_shipped_procedure_deploys_with_its_dmn_templates_and_spanish_names() -> None:
    t = town()  # deploys processes/*.bpmn as shared models, like `gee demo`
    from engine.process.definition.catalogue import latest_version
    from engine.process.models import ProcessModel

    keys = set(db.session.execute(select(ProcessModel.key).where(ProcessModel.tenant_id.is_(None))).scalars())
    assert {"llicencia_obres_menors", "llicencia_obres_majors", "comunicacio_previa_obres",
            "certificat_empadronament", "subvencio_convocatoria", "subvencio_sollicitud",
            "instancia_generica"} <= keys
    model = db.session.execute(select(ProcessModel).where(ProcessModel.key == "llicencia_obres_menors")).scalar_one()
    version = latest_version(model)
    assert version is not None and set(version.dmn_files) == {"tributs_obres.dmn"}
    assert {"decret.es.html", "_recursos.es.html", "requeriment_esmena.es.html"} <= set(version.templates)
    assert version.lanes == {"tramitador": "tramitador", "tecnic": "tecnic", "secretari": "secretari",
                             "alcalde": "alcalde"}
    assert label_for(version, "T_informe_tecnic", "ca") == "Emetre l'informe tècnic"
    assert label_for(version, "T_informe_tecnic", "es") == "Emitir el informe técnico"
    assert label_for(version, "llicencia_obres_menors", "es") == "Licencia de obras menores"
    assert label_for(version, "T_informe_tecnic", "en") == "Issue the technical report"
    assert label_for(version, "T_informe_tecnic", "fr") == "Emetre l'informe tècnic"  # no French: Catalan
    assert label_for(version, "no_such_element", "es") == "no_such_element"
    assert labels_of(version, "es")["Lane_tecnic"] == "tecnic"
    assert t.tenant.id


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_shipped_diagram_can_be_drawn(path: Path) -> None:
    """Each flow node, lane and participant has a shape with bounds; each flow an edge with points."""
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    process = root.find("bpmn:process", NS)
    assert process is not None
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        local = etree.QName(element).localname
        if local == "sequenceFlow":
            assert len(edges[element.get("id")].findall("{*}waypoint")) >= 2, element.get("id")
        elif local.endswith(("Task", "Event", "Gateway")) or local == "lane":
            shape = shapes.get(element.get("id"))
            assert shape is not None and shape.find("{*}Bounds") is not None, element.get("id")
    for user_task in process.iter(f"{{{NS['bpmn']}}}userTask"):
        assert user_task.get("name"), user_task.get("id")


def test_form_formats_check_control_letters() -> None:
    assert FORMAT_CHECKER.conforms("12345678Z", "nif") and FORMAT_CHECKER.conforms("x-1234567-l", "nif")
    assert FORMAT_CHECKER.conforms("B58378431", "nif")  # a CIF
    assert not FORMAT_CHECKER.conforms("12345678A", "nif")
    assert FORMAT_CHECKER.conforms("4A08169P03PRAT0001LR", "cadastral-reference")
    assert FORMAT_CHECKER.conforms("4A08169 P03PRAT 0001 LR", "cadastral-reference")
    assert not FORMAT_CHECKER.conforms("4A08169P03PRAT0001RL", "cadastral-reference")
    assert not FORMAT_CHECKER.conforms("4A08169P03PRAT0001", "cadastral-reference")


def test_deploy_refuses_unknown_operators_missing_or_extra_parameters() -> None:
    town("certificat_empadronament.bpmn")
    unknown = deploy_process(None, _model(operator="gee.delete_everything"), shared=True)
    assert not unknown.ok and "gee.generate_document" in str(unknown.problems[0].message)
    missing = deploy_process(None, _model(params=""), shared=True)
    assert [str(p.message) for p in missing.problems] == [
        "The service gee.generate_document needs the parameter titol."]
    extra = deploy_process(None, _model(params=TITLE + '<spiffworkflow:parameter id="x" type="str" value="1" />'),
                           shared=True)
    assert [str(p.message) for p in extra.problems] == ["The service gee.generate_document has no parameter x."]
    bad_code = deploy_process(None, _model(params='<spiffworkflow:parameter id="titol" type="str" '
                                                  'value="__import__(\'os\')" />'), shared=True)
    assert bad_code.problems and bad_code.problems[0].element_id == "gen"
    assert set(operator_docs()) == set(OPERATORS) and all(operator_docs().values())


def test_a_failing_service_call_becomes_an_incident_and_keeps_nothing() -> None:
    t = town("certificat_empadronament.bpmn")
    result = deploy_process(None, _model(), shared=True)
    assert result.ok, result.problems
    db.session.commit()
    instance_id = t.start("servei_prova", None)  # no expedient: the document has nowhere to go
    t.do(instance_id, "ask", {})
    incident = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)).scalar_one()
    assert incident.element_id == "gen" and "has no case file" in incident.message
    # Each administrator reads it in their language (GEE's own message, translated when stored).
    assert incident.message_in("ca") == ("gee.generate_document: El procediment no té expedient: inicieu-lo en un "
                                         "expedient.")
    assert incident.message_in("es") == ("gee.generate_document: El procedimiento no tiene expediente: inícielo en "
                                         "un expediente.")
    assert t.show(instance_id)["status"] == "incident"


def test_the_service_renders_with_the_process_data_and_a_retry_after_a_fix_succeeds() -> None:
    t = town("certificat_empadronament.bpmn")
    assert deploy_process(None, _model(), shared=True).ok
    db.session.commit()
    expedient_id = t.open_case("Prova")
    instance_id = t.start("servei_prova", expedient_id)
    t.do(instance_id, "ask", {})  # the template needs nom, nif... which this model never asks
    incident = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)).scalar_one()
    assert "cannot be filled in" in incident.message
    assert db.session.execute(select(Document).where(Document.expedient_id == expedient_id)).first() is None
    admin = t.system
    instances.skip_incident(admin, incident.id, "Document fet a mà")
    assert t.show(instance_id)["status"] == "completed"


def test_only_the_secretary_signs_the_certificate_with_her_key() -> None:
    t = town("certificat_empadronament.bpmn")
    expedient_id = t.open_case("Certificat")
    instance_id = t.start("certificat_empadronament", expedient_id)
    t.do(instance_id, "T_sollicitud", {"tipus": "certificat", "nif": "12345678Z", "nom": "Maria Soler",
                                       "adreca": "Carrer Major, 12", "data_alta": "2019-05-14",
                                       "finalitat": "beca"})
    task = ready(instance_id)[0]
    assert (task.element_id, task.role) == ("T_signar", "secretari")
    with pytest.raises(Forbidden):
        instances.complete_task(t.people["tramitador"], task.id, {"conforme": True})
    # no tick box: the secretary's task is done only by signing with her key
    for data in ({"conforme": True}, {}):
        with pytest.raises(ValidationFailed) as refused:
            instances.complete_task(t.people["secretari"], task.id, data)
        assert "signing" in str(refused.value)
    with pytest.raises(ValidationFailed):
        t.sign(instance_id, "T_signar", password="not-the-key-password")
    assert ready_ids(instance_id) == ["T_signar"]
    t.sign(instance_id, "T_signar")
    assert ready_ids(instance_id) == ["T_lliurat"]  # the delivery waits for the notification's outcome
