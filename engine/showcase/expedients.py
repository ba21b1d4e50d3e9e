"""The demo's sample expedients: every shipped procedure run for real in Sant Demo de Segre by its
own people (:func:`engine.simulation.kept.run_kept`), so a newcomer sees a living municipality.

Each procedure gets one expedient stopped at its first step, in someone's inbox, two more
wait for a signature (the alcalde's decree, the secretary's attestation) and one for the citizen
(a requeriment made available in her e-office, not yet opened); the main ones also get
expedients run to the end: the decree or answer signed (the decree numbered by the
alcalde and attested by the secretary) and notified, the citizen opening it in the e-office, or
leaving it to expire, or first answering a requeriment (esmena) online with a document.

Idempotent: a procedure the municipality already has expedients of is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import Conflict, GeeError
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.citizens.identity import CitizenIdentity
from engine.demo.data import demo_person
from engine.expedients.expedients import Expedient
from engine.process.definition.catalogue import resolve_version
from engine.process.models import ProcessInstance, ProcessModel, ProcessVersion
from engine.simulation.kept import Applicant, Staff, run_kept
from engine.simulation.report import Report
from engine.simulation.runner import Plan
from engine.tenancy.models import ROLES, Tenant

#: The demo's citizens (valid NIFs, invented people).
CITIZENS = (
    CitizenIdentity(nif="47110023C", name="Maria Soler Vidal", email="maria.soler@example.org"),
    CitizenIdentity(nif="39847512N", name="Jordi Farré Pons", email="jordi.farre@example.org"),
    CitizenIdentity(nif="52163478F", name="Laia Serra Bosch", email="laia.serra@example.org"),
)


@dataclass(frozen=True)
class Story:
    """One sample expedient: which procedure, who asks, and the path it takes."""

    key: str
    subject: str
    citizen: int = 0
    #: The task it is left waiting at, in its person's inbox; None runs it to the end.
    stop_at: str | None = None
    #: Start data over the sample (the e-office form); element id -> data for that task;
    #: element id -> outcome (as a test-run's plan).
    start: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    #: Start field -> procedure key: the field names the municipality's latest expedient of that
    #: procedure (a grant application names its call), looked up when the story runs.
    names_latest: dict[str, str] = field(default_factory=dict)
    #: Opened by the municipality itself (a call for grants): no citizen, no application.
    ex_officio: bool = False


#: The first human step of each shipped procedure: where an expedient in progress waits.
FIRST_STEPS = {
    "acces_informacio_publica": "T_admissio",
    "certificat_empadronament": "T_sollicitud",
    "comunicacio_activitat": "T_comprovacio",
    "comunicacio_previa_obres": "T_comprovar",
    "instancia_generica": "Task_revisar",
    "llicencia_ambiental": "T_completesa",
    "llicencia_obres_majors": "T_completesa",
    "llicencia_obres_menors": "T_completesa",
    "ocupacio_via_publica": "T_admissio",
    "padro_alta_canvi_domicili": "Task_revisar",
    "queixes_suggeriments": "T_resposta",
    "responsabilitat_patrimonial": "T_admissio",
    "subvencio_convocatoria": "T_bases",
    "subvencio_sollicitud": "T_completesa",
}

#: Shipped procedures a municipality does not run: the Diputació or the consell comarcal answers with them
#: the requests for assistance of the municipalities (gee.request_assistance), so the demo towns have none.
RUN_BY_ASSISTING_BODIES = frozenset({"assistencia_tecnica"})

#: The expedients run to the end, by procedure.
NO_AUDIENCIA: dict[str, dict[str, Any]] = {
    "T_informe_tecnic": {"informe_tecnic": "Les obres s'ajusten al POUM.", "condicions": ""},
    "T_informe_juridic": {"informe_juridic": "Procedeix atorgar la llicència.", "cal_audiencia": False},
    "T_proposta": {"sentit": "atorgar", "fonaments": "Vistos els informes tècnic i jurídic favorables."},
}
KITCHEN = {"emplacament": "Carrer Major, 12", "descripcio_obres": "reforma de la cuina (enrajolat i instal·lacions)",
           "tipus_obra": "reforma_interior", "pressupost": 8400}
ROOF = {"emplacament": "Cal Ros, carrer de l'Església, 4", "descripcio_obres": "substitució de teules trencades",
        "tipus_obra": "facana_coberta", "pressupost": 3200}
FENCE = {"emplacament": "Plaça de l'Església, 2", "descripcio_obres": "tanca de fusta d'1,20 m al pati",
         "tipus_obra": "tanca", "pressupost": 1500}
CLOSED = (
    Story("llicencia_obres_menors", "Reforma de la cuina al carrer Major, 12", start=KITCHEN, tasks=NO_AUDIENCIA),
    Story("llicencia_obres_menors", "Canvi de teules a la coberta de cal Ros", citizen=1, start=ROOF, tasks={
        **NO_AUDIENCIA, "T_completesa": {"completa": False, "mancances": "Falta el pressupost detallat."}}),
    Story("llicencia_obres_menors", "Tanca del pati de la plaça de l'Església", citizen=2, start=FENCE,
          tasks=NO_AUDIENCIA, outcomes={"T_resolucio_notificada": "expired"}),
    Story("instancia_generica", "Petició d'un banc a la plaça del Mercat", start={
        "exposo": "A la plaça del Mercat no hi ha cap banc a l'ombra.", "sollicito": "Que s'hi instal·li un banc."},
        tasks={"Task_tramitar": {"resum": "Petició d'un banc a l'ombra a la plaça del Mercat."},
               "Task_proposta": {"sentit": "estimar", "fonaments": "El pressupost de mobiliari urbà ho permet."}}),
    Story("comunicacio_previa_obres", "Arrebossat de la façana del carrer de la Font, 3", citizen=1, start={
        "emplacament": "Carrer de la Font, 3", "descripcio_obres": "arrebossat i pintura de la façana",
        "tipus_obra": "facana_coberta", "pressupost": 4100}),
    Story("certificat_empadronament", "Certificat per a la renovació del DNI", citizen=2,
          start={"tipus": "certificat", "adreca": "Carrer Nou, 7", "finalitat": "Renovació del DNI"}),
    Story("padro_alta_canvi_domicili", "Canvi de domicili al carrer Nou, 7", start={
        "tipus_moviment": "canvi_domicili", "adreca": "Carrer Nou, 7, 1r", "persones": "Maria Soler Vidal"}),
)

#: Expedients waiting for a signature: the alcalde's decree, the secretary's attestation.
AWAITING_SIGNATURE = (
    Story("llicencia_obres_menors", "Porxo al jardí del carrer del Riu, 9", citizen=1, stop_at="T_resolucio_signar",
          start={"emplacament": "Carrer del Riu, 9", "descripcio_obres": "porxo de fusta al jardí",
                 "tipus_obra": "altres_menors", "pressupost": 5600}, tasks=NO_AUDIENCIA),
    Story("instancia_generica", "Ús de la sala polivalent per a un taller", citizen=2, stop_at="Task_fe", start={
        "exposo": "L'associació de veïns vol fer un taller de ceràmica.", "sollicito": "Usar la sala polivalent."},
        tasks={"Task_tramitar": {"resum": "Ús de la sala polivalent per a un taller de ceràmica."},
               "Task_proposta": {"sentit": "estimar", "fonaments": "La sala és lliure els dijous a la tarda."}}),
)

#: An expedient waiting for the citizen: the requeriment d'esmena is made available in the e-office,
#: where she opens it (or rejects it) and then answers it with the missing document.
AWAITING_THE_CITIZEN = (
    Story("llicencia_obres_menors", "Plaques solars a la coberta del carrer de la Creu, 3",
          stop_at="T_requeriment_notificat",
          start={"emplacament": "Carrer de la Creu, 3", "descripcio_obres": "plaques solars a la coberta",
                 "tipus_obra": "facana_coberta", "pressupost": 6900},
          tasks={"T_completesa": {"completa": False,
                                  "mancances": "Falta la fitxa tècnica de les plaques i el pressupost detallat."}}),
)

#: The neighbouring town (Vilaprova d'Aran) gets a couple in progress, on its own calendar.
NEIGHBOUR_STORIES = (
    Story("instancia_generica", "Permís per a la festa del barri", stop_at=FIRST_STEPS["instancia_generica"]),
    Story("llicencia_obres_menors", "Reparació de la teulada de la borda", citizen=1,
          stop_at=FIRST_STEPS["llicencia_obres_menors"]),
)


#: What each expedient in progress is about: its subject (the citizen's "assumpte" where the form has
#: one) and what was filed, over the form's sample data, so an inbox of them reads like a town's.
IN_PROGRESS: dict[str, tuple[str, dict[str, Any]]] = {
    "acces_informacio_publica": ("Contractes de neteja viària del 2025", {
        "informacio_sollicitada": "Els contractes de neteja viària adjudicats el 2025 i les factures pagades."}),
    "certificat_empadronament": ("Certificat per a una beca d'estudis", {
        "tipus": "certificat", "adreca": "Carrer Major, 12", "finalitat": "Beca d'estudis universitaris"}),
    "comunicacio_activitat": ("Obertura d'una botiga de roba", {
        "activitat": "Comerç al detall de roba i complements", "emplacament": "Carrer Major, 20, baixos"}),
    "comunicacio_previa_obres": ("Canvi del paviment de la cuina", {
        "emplacament": "Carrer de Baix, 8", "descripcio_obres": "Substitució del paviment de la cuina",
        "pressupost": 2400}),
    "instancia_generica": ("Poda dels arbres del carrer de les Eres", {
        "exposo": "Les branques dels plàtans del carrer de les Eres toquen les façanes.",
        "sollicito": "Que es podin abans de la primavera."}),
    "llicencia_ambiental": ("Taller de fusteria amb cabina de pintura", {
        "emplacament": "Polígon de les Sorts, parcel·la 14", "activitat": "Taller de fusteria amb cabina de pintura",
        "annex": "12.46"}),
    "llicencia_obres_majors": ("Habitatge unifamiliar al camí de la Bassa", {
        "emplacament": "Camí de la Bassa, 2",
        "descripcio_obres": "Habitatge unifamiliar aïllat de planta baixa i pis", "pressupost": 186500}),
    "llicencia_obres_menors": ("Reforma del bany", {
        "emplacament": "Carrer de Sant Roc, 5", "descripcio_obres": "Canvi de rajoles i sanitaris del bany",
        "pressupost": 3800}),
    "ocupacio_via_publica": ("Bastida per pintar la façana", {
        "emplacament": "Carrer del Forn, 4", "motiu": "contenidor_bastida"}),
    "padro_alta_canvi_domicili": ("Alta al padró a la plaça de l'Església", {
        "tipus_moviment": "alta", "adreca": "Plaça de l'Església, 1, 2n", "municipi_procedencia": "Balaguer"}),
    "queixes_suggeriments": ("Enllumenat apagat al carrer del Sol", {
        "tipus": "queixa", "descripcio": "Fa dues setmanes que els fanals del carrer del Sol no s'encenen."}),
    "responsabilitat_patrimonial": ("Caiguda per una rajola trencada a la vorera", {
        "lloc_fets": "Vorera del carrer Nou, davant del número 15"}),
    "subvencio_convocatoria": ("Subvencions a entitats esportives", {}),
    "subvencio_sollicitud": ("Lliga escolar de bàsquet", {"activitat": "Lliga escolar de bàsquet",
                                                          "import_sollicitat": 1800}),
}


#: Procedures the municipality opens by itself (no applicant).
EX_OFFICIO = {"subvencio_convocatoria"}
#: The grant application names the call opened just before it.
NAMES_LATEST = {"subvencio_sollicitud": {"expedient_convocatoria": "subvencio_convocatoria"}}


#: Where the sample grant call and its application wait: the alcalde's signature of the decree declaring the
#: call void, and of the one inadmitting the application filed late (see :func:`_published_call`).
GRANT_STEPS = {"subvencio_convocatoria": "T_deserta_signar", "subvencio_sollicitud": "T_decret"}


def _published_call() -> dict[str, dict[str, Any]]:
    """What the sample call's clerk types: its extract was published in the BOP six weeks ago, so its application
    term (20 working days) is over when the demo runs it and, no application admitted by then, the call is to be
    declared void (deserta, the alcalde's signature). The e-office offers only published calls, so the sample
    application names it and, filed after the term, it is registered, marked late and to be inadmitted by decree
    (arts. 16 and 21.1 Ley 39/2015)."""
    today = local_date(utcnow())
    return {
        "T_bases": {"data_aprovacio_bases": (today - timedelta(days=60)).isoformat(),
                    "butlleti_bases": "BOP de Lleida núm. 187", "aplicacio_pressupostaria": "341.48000",
                    "import_total": 12000},
        "T_convocatoria": {"codi_bdns": "812345", "data_publicacio_bop": (today - timedelta(days=42)).isoformat(),
                           "termini_sollicituds": 20,
                           "data_limit_justificacio": (today + timedelta(days=200)).isoformat()},
    }


def stories() -> list[Story]:
    """Every sample expedient: those run to the end, then one in progress per procedure."""
    steps = {**FIRST_STEPS, **GRANT_STEPS}
    waiting = [Story(key, IN_PROGRESS[key][0], citizen=n % len(CITIZENS), stop_at=step, start=IN_PROGRESS[key][1],
                     names_latest=NAMES_LATEST.get(key, {}), ex_officio=key in EX_OFFICIO,
                     tasks=_published_call() if key == "subvencio_convocatoria" else {})
               for n, (key, step) in enumerate(steps.items())]  # fmt: skip
    return [*CLOSED, *AWAITING_SIGNATURE, *AWAITING_THE_CITIZEN, *waiting]


def _staff(tenant: Tenant) -> Staff:
    return Staff(tenant, people={role: demo_person(tenant, role) for role in ROLES})


def _has_expedients(tenant: Tenant, key: str) -> bool:
    found = db.session.execute(
        select(ProcessInstance.id).join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .where(ProcessInstance.tenant_id == tenant.id, ProcessModel.key == key).limit(1)
    ).first()  # fmt: skip
    return found is not None


def build_demo_expedients(tenant: Tenant, password: str, chosen: Sequence[Story] | None = None) -> Iterator[str]:
    """Run the sample expedients (``chosen``, by default :func:`stories`) of the procedures
    ``tenant`` has none of yet (signers' key password ``password``), yielding a progress line for
    each. Call it inside the caller's unit of work (the edge commits): each story is a savepoint of
    it, so one that fails or ends elsewhere than told keeps nothing."""
    staff = _staff(tenant)
    candidates = stories() if chosen is None else list(chosen)
    already = {story.key for story in candidates if _has_expedients(tenant, story.key)}
    missing = [story for story in candidates if story.key not in already]
    if not missing:
        yield str(_l("The sample expedients are already there."))
    for story in missing:
        yield _build(staff, story, password)


def _latest_number(tenant: Tenant, key: str) -> str | None:
    """The number of the municipality's latest expedient of procedure ``key``, if any."""
    latest = db.session.execute(
        select(Expedient).join(ProcessModel, ProcessModel.id == Expedient.process_model_id)
        .where(Expedient.tenant_id == tenant.id, ProcessModel.key == key)
        .order_by(Expedient.id.desc()).limit(1)
    ).scalars().first()  # fmt: skip
    return latest.number if latest is not None else None


def _build(staff: Staff, story: Story, password: str) -> str:
    """Run one story (all or nothing); what happened, as a progress line."""
    version = resolve_version(staff.tenant.id, story.key)
    if version is None:
        return str(_l("%(procedure)s is not published: no sample expedient.", procedure=story.key))
    latest = {name: _latest_number(staff.tenant, key) for name, key in story.names_latest.items()}
    start = {**story.start, **{name: number for name, number in latest.items() if number}}
    plan = Plan(start_data=start, task_data=story.tasks, outcomes=story.outcomes, stop_at=story.stop_at)
    applicant = Applicant(CITIZENS[story.citizen], story.subject, ex_officio=story.ex_officio)

    def run() -> Report:
        report = run_kept(staff, version, applicant, plan, password)
        if report.outcome != ("waiting" if story.stop_at else "completed"):  # not as told: keep nothing
            raise Conflict(_l("it stopped (%(outcome)s) at %(step)s: %(message)s", outcome=report.outcome,
                              step=report.stopped_name, message=report.message or ""))  # fmt: skip
        return report

    try:
        report = run_in_transaction(run)
    except GeeError as err:
        return str(_l("%(procedure)s: no sample expedient (%(error)s).", procedure=version.model.name, error=err))
    if report.reached_end:
        return str(_l("%(procedure)s: an expedient closed (%(subject)s).", procedure=version.model.name,
                      subject=story.subject))  # fmt: skip
    return str(_l('%(procedure)s: an expedient waiting at "%(step)s".', procedure=version.model.name,
                  step=report.stopped_name))

__all__ = [
    "CITIZENS",
    "FIRST_STEPS",
    "NEIGHBOUR_STORIES",
    "RUN_BY_ASSISTING_BODIES",
    "Story",
    "build_demo_expedients",
    "stories",
]
