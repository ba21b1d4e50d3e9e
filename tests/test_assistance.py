"""The provincial service's assistance round trip between two tenants of the platform: the
ajuntament's procedure asks the Diputació for a report (gee.request_assistance), the Diputació
opens ``assistencia_tecnica`` from the incoming entry, its secretary or technician writes and
signs the report with a real PAdES signature, and it comes back by registry into the requesting
expedient (same bytes, signature intact), where the waiting procedure goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient, get_expedient
from engine.process.definition.deploy import deploy_process
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import Incident, ProcessInstance, ProcessModel
from engine.registry.entries import RegistryEntry
from engine.registry.open_expedient import open_and_start
from engine.tenancy.models import Tenant
from tests.conftest import ctx_for, make_tenant, make_user
from tests.procedures_helpers import Town, ready_ids, town
from tests.test_signatures_helpers import give_certificate, valid_signers

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn" / "demanar_assistencia.bpmn"
QUESTION = "La masia del carrer Major, 12 està en sòl no urbanitzable: es pot autoritzar la rehabilitació?"
DIPUTACIO_PEOPLE = {"tramitador": "Pere Sala", "tecnic": "Núria Camps, arquitecta", "secretari": "Lluís Ferrer"}


def _diputacio() -> Town:
    tenant = make_tenant("dip-lleida", "Diputació de Lleida", kind="provincial", dir3="L02000025", ine_code=None)
    people = {}
    for role, full_name in DIPUTACIO_PEOPLE.items():
        user = make_user(f"{role}.dipu", tenant, (role,), full_name=full_name)
        if role in ("tecnic", "secretari"):
            give_certificate(user, tenant)
        people[role] = ctx_for(user, tenant)
    db.session.commit()
    return Town(tenant, people)


def _deploy_asking(tmp_path: Path, to_code: str) -> None:
    """The requesting model, naming the assisting body by its tenant code as a designer would."""
    model = tmp_path / FIXTURE.name
    model.write_text(FIXTURE.read_text().replace("'dip-lleida'", f"'{to_code}'"))
    result = deploy_process(None, model, shared=True, created_by="tests")
    assert result.ok, result.problems
    db.session.commit()


@pytest.fixture
def towns() -> tuple[Town, Town]:
    ajuntament = town("assistencia_tecnica.bpmn")
    result = deploy_process(None, FIXTURE, shared=True, created_by="tests")
    assert result.ok, result.problems
    db.session.commit()
    return ajuntament, _diputacio()


def _ask(ajuntament: Town) -> tuple[int, int, int]:
    """The ajuntament's expedient with the project, and its procedure asking for a report."""
    expedient_id = ajuntament.open_case("Rehabilitació de masia")
    project = ajuntament.attach(expedient_id, "Projecte bàsic")
    instance_id = ajuntament.start("demanar_assistencia", expedient_id, {
        "text": QUESTION, "documents_presentats": [project]})
    db.session.commit()
    return expedient_id, instance_id, project


def _entries(tenant: Tenant, direction: str) -> list[RegistryEntry]:
    stmt = select(RegistryEntry).where(RegistryEntry.tenant_id == tenant.id, RegistryEntry.direction == direction)
    return list(db.session.execute(stmt.order_by(RegistryEntry.id)).scalars())


def _open_at_diputacio(diputacio: Town) -> tuple[int, int, RegistryEntry]:
    [incoming] = _entries(diputacio.tenant, "E")
    model = db.session.execute(select(ProcessModel).where(ProcessModel.key == "assistencia_tecnica")).scalar_one()
    opened = open_and_start(diputacio.people["tramitador"], process_model_id=model.id, registry_entry_id=incoming.id)
    db.session.commit()
    return opened.expedient.id, opened.instance.id, incoming


@pytest.mark.parametrize(("kind", "writer"), [("juridic", "secretari"), ("tecnic", "tecnic")])
def test_the_signed_report_comes_back_into_the_requesting_expedient(towns, kind: str, writer: str) -> None:
    ajuntament, diputacio = towns
    expedient_id, instance_id, project = _ask(ajuntament)
    # The request left by registry and the procedure waits for the report.
    [asked] = _entries(ajuntament.tenant, "S")
    assert (asked.recipient, asked.expedient_id, asked.summary) == ("Diputació de Lleida", expedient_id, QUESTION)
    waits = db.session.execute(select(AwaitedMessage).where(AwaitedMessage.instance_id == instance_id)).scalars()
    assert [(w.message_name, w.state) for w in waits] == [("informe_assistencia", "waiting")]
    # The Diputació received the question and a copy of the project, nothing else of the expedient.
    dipu_expedient_id, dipu_instance_id, incoming = _open_at_diputacio(diputacio)
    assert (incoming.sender, incoming.counterpart_number) == ("Ajuntament de Sant Proves", asked.number)
    with pytest.raises(NotFound):
        get_expedient(diputacio.people["tramitador"], expedient_id)
    data = diputacio.show(dipu_instance_id)["data"]
    assert data["text"] == QUESTION
    [copy] = [db.session.get(Document, i) for i in data["documents_presentats"]]
    assert copy.sha256 == db.session.get(Document, project).sha256 and copy.tenant_id == diputacio.tenant.id
    # Assigned to the secretary (legal report) or to a technician; written, signed, sent back.
    diputacio.do(dipu_instance_id, "T_assignar", {"tipus": kind})
    task = "T_redactar_juridic" if kind == "juridic" else "T_redactar_tecnic"
    assert ready_ids(dipu_instance_id) == [task]
    diputacio.do(dipu_instance_id, task, {"informe": "L'art. 47.3 TRLUC admet la reconstrucció de masies "
                                                    "incloses en el catàleg.", "conclusio": "Favorable."})
    diputacio.sign(dipu_instance_id, task.replace("redactar", "signar"))
    assert db.session.get(ProcessInstance, dipu_instance_id).status == "completed"
    assert db.session.get(Expedient, dipu_expedient_id).state == "E02"
    # The report is in the requesting expedient, with its incoming entry, and the procedure went on.
    db.session.expire_all()
    assert ready_ids(instance_id) == ["T_seguir"]
    answer = ajuntament.show(instance_id)["data"]["informe_assistencia"]
    report = db.session.get(Document, answer["document_id"])
    assert (report.tenant_id, report.expedient_id) == (ajuntament.tenant.id, expedient_id)
    [back] = _entries(ajuntament.tenant, "E")
    assert (back.sender, back.expedient_id, back.number) == ("Diputació de Lleida", expedient_id,
                                                             answer["registre_entrada"])
    signed = diputacio.show(dipu_instance_id)["data"]["signatura"]["document_id"]
    original = read_content(diputacio.people[writer], signed)[1]
    received = read_content(ajuntament.people["tramitador"], report.id)[1]
    assert received == original
    assert valid_signers(received) == [DIPUTACIO_PEOPLE[writer]]


@pytest.mark.parametrize(("code", "message"), [
    ("ajt-vila", "Ajuntament de Vilaprova is not a Diputació nor a consell comarcal: ask one of them"),
    ("no-existeix", "There is no administration with code no-existeix on this platform."),
])
def test_only_a_diputacio_or_a_consell_comarcal_is_asked(towns, tmp_path: Path, code: str, message: str) -> None:
    ajuntament, diputacio = towns
    vila = make_tenant("ajt-vila", "Ajuntament de Vilaprova", dir3="L01250024", ine_code="250024")
    _deploy_asking(tmp_path, code)
    _expedient_id, instance_id, _project = _ask(ajuntament)
    incident = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)).scalar_one()
    # The administrator sees why in the incident; nothing was registered on any side.
    assert incident.element_id == "S_demanar" and message in incident.message
    for tenant in (ajuntament.tenant, diputacio.tenant, vila):
        assert _entries(tenant, "S") == [] and _entries(tenant, "E") == []


def test_a_consell_comarcal_gives_assistance_too(towns, tmp_path: Path) -> None:
    ajuntament, _diputacio = towns
    make_tenant("cc-noguera", "Consell Comarcal de la Noguera", kind="consell_comarcal", dir3="A09000001",
                ine_code=None)
    _deploy_asking(tmp_path, "cc-noguera")
    _ask(ajuntament)
    [asked] = _entries(ajuntament.tenant, "S")
    assert asked.recipient == "Consell Comarcal de la Noguera"


def test_an_expedient_not_opened_from_a_request_cannot_return_a_report(towns) -> None:
    from engine.assistance.requests import return_report
    from engine.base.errors import ValidationFailed

    ajuntament, _diputacio = towns
    expedient_id = ajuntament.open_case("Un altre expedient")
    document = ajuntament.attach(expedient_id, "Informe")
    with pytest.raises(ValidationFailed) as caught:
        return_report(Context.system(ajuntament.tenant.id), expedient_id, document)
    assert caught.value.field == "expedient_id"


def test_deploy_asks_the_requesting_model_to_wait_for_the_report(tmp_path: Path) -> None:
    model = tmp_path / FIXTURE.name
    text = FIXTURE.read_text()
    model.write_text(text.replace('messageRef="Message_informe_assistencia"', 'messageRef="Message_altre"').replace(
        '<bpmn:message id="Message_informe_assistencia" name="informe_assistencia" />',
        '<bpmn:message id="Message_informe_assistencia" name="informe_assistencia" />'
        '<bpmn:message id="Message_altre" name="altre" />'))
    result = deploy_process(None, model, shared=True, created_by="tests")
    assert [(p.element_id, str(p.message)) for p in result.problems] == [(
        "S_demanar", "The service gee.request_assistance is answered later by the message informe_assistencia: "
                     "add a message catch event of informe_assistencia after it.")]
