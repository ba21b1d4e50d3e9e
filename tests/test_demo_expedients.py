"""``gee demo``'s sample expedients, as a newcomer finds them in Sant Demo de Segre: every shipped
procedure has one, those in progress wait in someone's inbox, and every closed one holds signed,
verifiable acts (pyHanko against the demo CA, the CSV printed) and exports as valid ENI.

The demo is built once for the module; what a user would look at is gathered while it is there
(every test leaves an empty database behind)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner
from flask import Flask
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from engine.base.db import db
from engine.decrees.book import Decree
from engine.demo.data import DEMO_PASSWORD, MUNICIPALITIES, PROCESSES_DIR, demo_person
from engine.documents.documents import Document, read_content
from engine.eni.export import export_expedient
from engine.eni.namespaces import q
from engine.eni.schema import schema
from engine.expedients.expedients import Expedient, parties_of
from engine.inbox.inbox import InboxFilters, Scope, list_inbox
from engine.notifications.notifications import Notification
from engine.process.models import ProcessInstance, ProcessModel, ProcessVersion
from engine.registry.entries import RegistryEntry
from engine.showcase.expedients import FIRST_STEPS, RUN_BY_ASSISTING_BODIES, build_demo_expedients
from engine.tenancy.models import ROLES, Tenant
from tests.test_signatures_helpers import valid_signers
from webapp.cli import main

#: What a municipality runs: every shipped procedure but those the assisting bodies answer requests with.
SHIPPED = {path.stem for path in PROCESSES_DIR.glob("*.bpmn")} - RUN_BY_ASSISTING_BODIES


@dataclass
class Signed:
    title: str
    csv: str | None
    signers: list[str]
    text: str
    decree: bool


@dataclass
class Sample:
    key: str
    number: str
    closed: bool
    subject: str = ""
    #: Role -> tasks of this expedient in that demo user's inbox.
    inbox: dict[str, list[str]] = field(default_factory=dict)
    signed: list[Signed] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)
    #: Incoming entries filed in the e-office with a document (the request, an esmena).
    online_entries: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    eni_errors: list[str] = field(default_factory=list)
    #: The interested parties' names, and the numbers of the related expedients.
    parties: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)


@dataclass
class Tour:
    output: str
    samples: list[Sample]
    added_by_second_build: list[str]
    expedients_after_rerun: int
    expedients_before_rerun: int
    #: The neighbouring town's expedients: (procedure, tasks in its own role inboxes); and the
    #: expedient ids Sant Demo's people find in their inboxes.
    neighbour: list[tuple[str, int]] = field(default_factory=list)
    neighbour_ids: set[int] = field(default_factory=set)
    ids_in_sant_inboxes: set[int] = field(default_factory=set)


def _signed_acts(ctx, expedient_id: int) -> list[Signed]:
    """The acts signed in the procedure (the signed version of a drafted resolution, decree or
    answer), in their latest version, as the expedient lists them."""
    numbers = [n for n in db.session.execute(select(Decree.number).where(Decree.expedient_id == expedient_id)).scalars()
               if n]
    replaced = select(Document.previous_version_id).where(Document.previous_version_id.is_not(None))
    docs = db.session.execute(select(Document).where(
        Document.expedient_id == expedient_id, Document.previous_version_id.is_not(None), Document.id.not_in(replaced),
    ).order_by(Document.id)).scalars()
    found = []
    for doc in docs:
        pdf = read_content(ctx, doc.id)[1]
        text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
        decree = any(doc.title.startswith(number) for number in numbers)
        found.append(Signed(doc.title, doc.csv, valid_signers(pdf), text, decree))
    return found


def _eni_errors(ctx, expedient_id: int) -> list[str]:
    root = etree.fromstring(export_expedient(ctx, expedient_id))
    errors = []
    expedient = root.find(q("eniexp", "expediente"))
    if not schema("ExpedienteEni.xsd").validate(etree.ElementTree(expedient)):
        errors.append(str(schema("ExpedienteEni.xsd").error_log))
    for element in root.findall(q("enidoc", "documento")):
        if not schema("DocumentoEni.xsd").validate(etree.ElementTree(element)):
            errors.append(str(schema("DocumentoEni.xsd").error_log))
    return errors


def _inboxes(tenant: Tenant) -> dict[str, dict[int, list[str]]]:
    """Role -> expedient id -> the task names in that demo user's inbox (their role's tasks)."""
    found: dict[str, dict[int, list[str]]] = {}
    for role in ROLES:
        rows = list_inbox(demo_person(tenant, role), InboxFilters(scope=Scope.ROLE), per_page=200).rows
        for row in rows:
            if row.expedient_id is not None:
                found.setdefault(role, {}).setdefault(row.expedient_id, []).append(row.task_name)
    return found


def _tour(tenant: Tenant) -> list[Sample]:
    clerk = demo_person(tenant, "secretari")
    inboxes = _inboxes(tenant)
    rows = db.session.execute(
        select(Expedient, ProcessModel.key).join(ProcessInstance, ProcessInstance.expedient_id == Expedient.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .where(Expedient.tenant_id == tenant.id).order_by(Expedient.id)
    ).all()
    samples = []
    for expedient, key in rows:
        sample = Sample(key, expedient.number, not expedient.is_open, expedient.subject)
        sample.inbox = {role: tasks[expedient.id] for role, tasks in inboxes.items() if expedient.id in tasks}
        notes = db.session.execute(select(Notification).where(Notification.expedient_id == expedient.id)).scalars()
        sample.notifications = [note.state for note in notes]
        entries = list(db.session.execute(select(RegistryEntry).where(
            RegistryEntry.expedient_id == expedient.id).order_by(RegistryEntry.id)).scalars())
        sample.online_entries = [e.subject for e in entries
                                 if e.direction == "E" and e.channel == "electronic" and e.attachments]
        sample.outgoing = [e.subject for e in entries if e.direction == "S"]
        sample.parties = [link.party.name for link in parties_of(clerk, expedient.id)]
        sample.related = [other.number for other in expedient.related]
        if sample.closed:
            sample.signed = _signed_acts(clerk, expedient.id)
            sample.eni_errors = _eni_errors(clerk, expedient.id)
        samples.append(sample)
    return samples


@pytest.fixture(scope="module")
def tour(app: Flask) -> Tour:
    with app.app_context():
        result = CliRunner().invoke(main, ["demo"])
        assert result.exit_code == 0, result.output
        tenant = db.session.execute(select(Tenant).where(Tenant.code == MUNICIPALITIES[0].code)).scalar_one()
        before = len(db.session.execute(select(Expedient.id).where(Expedient.tenant_id == tenant.id)).all())
        added = list(build_demo_expedients(tenant, DEMO_PASSWORD))
        db.session.commit()
        again = CliRunner().invoke(main, ["demo"])
        assert again.exit_code == 0, again.output
        after = len(db.session.execute(select(Expedient.id).where(Expedient.tenant_id == tenant.id)).all())
        seen = Tour(result.output, _tour(tenant), added, after, before)
        neighbour = db.session.execute(select(Tenant).where(Tenant.code == MUNICIPALITIES[1].code)).scalar_one()
        theirs = _inboxes(neighbour)
        for sample in _tour(neighbour):
            seen.neighbour.append((sample.key, sum(len(tasks) for tasks in sample.inbox.values())))
        seen.neighbour_ids = {e for tasks in theirs.values() for e in tasks}
        seen.ids_in_sant_inboxes = {e for tasks in _inboxes(tenant).values() for e in tasks}
        db.session.rollback()
        db.session.remove()
    return seen


def test_every_shipped_procedure_has_a_demo_expedient(tour: Tour) -> None:
    assert set(FIRST_STEPS) == SHIPPED
    assert {s.key for s in tour.samples} == SHIPPED, tour.output
    assert "Sample case files of Ajuntament de Sant Demo de Segre" in tour.output


def test_expedients_in_progress_wait_in_someones_inbox(tour: Tour) -> None:
    in_progress = [s for s in tour.samples if not s.closed]
    assert {s.key for s in in_progress} == SHIPPED  # one of each procedure in progress
    for sample in in_progress:
        assert sample.inbox, f"{sample.key} {sample.number} waits in nobody's inbox"
    # a decree waits for the alcalde's signature, another for the secretary's attestation
    assert any("alcalde" in s.inbox for s in in_progress) and any("secretari" in s.inbox for s in in_progress)
    # an inbox of them tells them apart: each subject says what it is about, not only the procedure
    subjects = [s.subject for s in in_progress]
    assert len(set(subjects)) == len(subjects), subjects
    assert "Llicència d'obres majors: Habitatge unifamiliar aïllat de planta baixa i pis — Camí de la Bassa, 2" \
        in subjects
    assert "Alta o canvi de domicili al padró: Alta — Plaça de l'Església, 1, 2n" in subjects


def test_the_grant_application_belongs_to_the_call_the_town_opened_itself(tour: Tour) -> None:
    in_progress = {s.key: s for s in tour.samples if not s.closed}
    call, application = in_progress["subvencio_convocatoria"], in_progress["subvencio_sollicitud"]
    assert call.parties == [] and call.online_entries == []  # ex officio: nobody applied for the call
    assert application.related == [call.number] and call.related == [application.number]
    assert application.parties and application.online_entries


def test_a_requeriment_waits_in_the_citizens_e_office(tour: Tour) -> None:
    """Maria Soler Vidal has a notification to open: the requeriment d'esmena of a licence."""
    waiting = [s for s in tour.samples if not s.closed and s.notifications == ["pending"]]
    assert [(s.key, s.parties) for s in waiting] == [("llicencia_obres_menors", ["Maria Soler Vidal"])]
    assert waiting[0].outgoing == ["Requeriment d'esmena"]


def test_main_procedures_have_closed_expedients_with_notified_acts(tour: Tour) -> None:
    closed = {s.key for s in tour.samples if s.closed}
    assert {"llicencia_obres_menors", "instancia_generica", "comunicacio_previa_obres",
            "certificat_empadronament", "padro_alta_canvi_domicili"} <= closed
    states = [state for s in tour.samples if s.closed for state in s.notifications]
    assert "accessed" in states and "expired" in states
    # an esmena answered online with a document: the licence whose application was incomplete
    assert any("Requeriment d'esmena" in s.outgoing and len(s.online_entries) == 2 for s in tour.samples if s.closed)


def test_every_closed_expedient_holds_signed_verifiable_acts(tour: Tour) -> None:
    decrees = 0
    for sample in (s for s in tour.samples if s.closed):
        assert sample.signed, f"{sample.key} {sample.number} closed without a signed act"
        for act in sample.signed:
            assert act.signers, act.title
            assert act.csv and act.csv in act.text, f"{act.title}: its CSV is not printed"
            if act.decree:
                decrees += 1
                assert len(act.signers) == 2, act.signers  # the alcalde decides, the secretary attests
                assert act.signers[0].startswith("Alcalde") and act.signers[1].startswith("Secretari")
    assert decrees >= 3


def test_every_closed_expedient_exports_valid_eni(tour: Tour) -> None:
    for sample in (s for s in tour.samples if s.closed):
        assert sample.eni_errors == [], f"{sample.key} {sample.number}: {sample.eni_errors}"


def test_the_neighbouring_town_has_its_own_expedients_that_sant_demo_never_sees(tour: Tour) -> None:
    assert sorted(tour.neighbour) == [("instancia_generica", 1), ("llicencia_obres_menors", 1)]
    assert tour.neighbour_ids and not tour.neighbour_ids & tour.ids_in_sant_inboxes
    assert "Sample case files of Ajuntament de Vilaprova d'Aran" in tour.output


def test_running_the_demo_again_adds_no_expedient(tour: Tour) -> None:
    assert tour.added_by_second_build == ["The sample case files are already there."]
    assert tour.expedients_after_rerun == tour.expedients_before_rerun


def test_a_sample_expedient_that_is_refused_leaves_nothing_behind() -> None:
    from engine.base.unit_of_work import run_in_transaction
    from engine.demo.data import deploy_shipped_procedures, load_demo_tenants
    from engine.showcase.expedients import Story

    negative_budget = Story("llicencia_obres_menors", "Pressupost negatiu", start={"pressupost": -5})
    never_reached = Story("certificat_empadronament", "Mai no hi arriba", stop_at="T_no_existeix")

    def demo() -> list[str]:  # as ``gee demo`` does, in one unit of work
        tenant = load_demo_tenants()[MUNICIPALITIES[0].code]
        deploy_shipped_procedures()
        return list(build_demo_expedients(tenant, DEMO_PASSWORD, [negative_budget, never_reached]))

    lines = run_in_transaction(demo)
    assert len(lines) == 2
    assert lines[0].startswith("Llicència d'obres menors: no sample case file (")
    assert lines[1].startswith("Certificat o volant d'empadronament: no sample case file (it stopped (completed)")
    assert db.session.execute(select(Expedient.id)).first() is None
    assert db.session.execute(select(RegistryEntry.id)).first() is None
    assert db.session.execute(select(Decree.id)).first() is None
