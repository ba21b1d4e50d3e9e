"""Llicències d'obres menors i majors driven through the engine: every path, with the documents,
decree numbers, notifications (outgoing registry entries) and deadlines a clerk would see.

Dates checked by hand against the 2026 Catalan calendar plus the town's local holiday of
Monday 16 March 2026: Good Friday 3 April and Easter Monday 6 April, 1 May are holidays.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.citizens.carpeta import visible_documents
from engine.decrees.book import Decree
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient
from engine.notifications import notifications
from engine.process.models import ProcessInstance
from engine.registry.entries import RegistryEntry
from tests.procedures_helpers import (
    Town,
    actions,
    document_titles,
    pending_timers,
    ready_ids,
    spiff_clock,
    steps,
    town,
)

YEAR = local_date(utcnow()).year
__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")
MENORS = "llicencia_obres_menors"
MAJORS = "llicencia_obres_majors"

APPLICATION = {
    "nif": "12345678-Z",
    "nom": "Maria Soler Vidal",
    "emplacament": "Carrer Major, 12",
    "referencia_cadastral": "4A08169P03PRAT0001LR",
    "descripcio_obres": "Substitució de rajoles de la cuina",
    "tipus_obra": "reforma_interior",
    "pressupost": 12500.50,
    "data_entrada": "2026-03-02",
}


@pytest.fixture
def menors() -> Town:
    return town(f"{MENORS}.bpmn")


def _start(t: Town, key: str, **changes: Any) -> tuple[int, int]:
    expedient_id = t.open_case("Llicència d'obres")
    instance_id = t.start(key, expedient_id)
    t.do(instance_id, "T_dades", {**APPLICATION, "documents": [t.attach(expedient_id, "Memòria")], **changes})
    return expedient_id, instance_id


def _instruct(t: Town, instance_id: int, *, audiencia: bool = False, sentit: str = "atorgar") -> None:
    t.do(instance_id, "T_informe_tecnic", {"informe_tecnic_favorable": sentit == "atorgar",
                                           "informe_tecnic": "Les obres s'ajusten al POUM.", "condicions": ""})
    t.do(instance_id, "T_informe_juridic", {"informe_juridic_favorable": sentit == "atorgar",
                                            "informe_juridic": "Procedeix.", "cal_audiencia": audiencia})
    if audiencia:
        t.do(instance_id, "T_audiencia_notificada", {"data_notificacio_audiencia": "2026-03-20",
                                                     "termini_audiencia": 15})
        assert pending_timers(instance_id)["C_audiencia"] == "2026-04-14T23:59:59+02:00"
        assert t.fire(instance_id, "2026-04-14") == 0
        assert t.fire(instance_id, "2026-04-15") == 1
        t.do(instance_id, "T_alegacions", {"hi_ha_alegacions": False})
    t.do(instance_id, "T_proposta", {"sentit": sentit, "fonaments": "Vistos els informes."})


def _resolve(t: Town, instance_id: int) -> None:
    t.sign(instance_id, "T_resolucio_signar")
    t.sign(instance_id, "T_resolucio_fe")
    t.do(instance_id, "T_resolucio_rebuda", {"data_notificacio": "2026-03-27", "estat_notificacio": "accedida"})


def _valid_signers(pdf: bytes) -> list[str]:
    """The signers of the PAdES signatures that pyHanko validates against the demo CA."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from engine.demo import ca as test_ca

    root = asn1_x509.Certificate.load(test_ca.load_or_create_ca()[1].public_bytes(serialization.Encoding.DER))
    names = []
    for embedded in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures:
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))
        assert status.bottom_line, status.pretty_print_details()
        names.append(status.signing_cert.subject.native["common_name"])
    return names


def _check_signed_decree(t: Town, expedient_id: int, number: str, signers: list[str]) -> None:
    """The decree is one document: signed by the alcalde then attested, with one CSV and ENI
    identifier, the number on the PDF, and that very version is what the citizen is notified."""
    versions = list(db.session.execute(select(Document).where(
        Document.expedient_id == expedient_id, Document.title.like(f"{number} %")).order_by(Document.id)).scalars())
    assert [d.version for d in versions] == [1, 2]
    first, signed = versions
    assert signed.previous_version_id == first.id
    assert signed.csv and first.csv is None and signed.csv in [s.get("csv") for s in first.signatures]
    assert signed.eni_id and signed.eni_id.endswith(f"_{first.id:012d}")
    pdf = read_content(t.people["tramitador"], signed.id)[1]
    assert _valid_signers(pdf) == signers
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert number in text and signed.csv in text
    notes = notifications.list_notifications(t.people["tramitador"], expedient_id)
    assert notes[0].document_id == signed.id
    seen_by_citizen = [d.id for d in visible_documents(t.people["tramitador"], expedient_id)]
    assert signed.id in seen_by_citizen and first.id not in seen_by_citizen


def _decrees(expedient_id: int) -> list[Decree]:
    stmt = select(Decree).where(Decree.expedient_id == expedient_id).order_by(Decree.id)
    return list(db.session.execute(stmt).scalars())


def _outgoing(expedient_id: int) -> list[str]:
    stmt = select(RegistryEntry.subject).where(RegistryEntry.expedient_id == expedient_id,
                                               RegistryEntry.direction == "S").order_by(RegistryEntry.id)
    return list(db.session.execute(stmt).scalars())


def test_happy_path_grants_numbers_notifies_liquidates_and_closes(menors: Town) -> None:
    t = menors
    expedient_id, instance_id = _start(t, MENORS)
    t.do(instance_id, "T_completesa", {"completa": True})
    # 1 month from the registry entry of 2 March 2026, no suspension: Thursday 2 April.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-02T23:59:59+02:00"}
    assert ready_ids(instance_id) == ["T_informe_tecnic"]
    _instruct(t, instance_id)
    assert ready_ids(instance_id) == ["T_resolucio_signar"]
    _resolve(t, instance_id)

    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None and instance.status == "completed"
    decree = _decrees(expedient_id)[0]
    assert decree.number == f"DEC/{YEAR}/0001" and decree.status == "signed"
    assert decree.signed_by_name == "Jordi Mas" and decree.attested_by_name == "Sandra Roig"
    assert decree.title == "Atorgament de llicència d'obres menors"
    assert document_titles(expedient_id) == [
        "Informe tècnic",
        "Informe jurídic",
        "Proposta de resolució",
        f"DEC/{YEAR}/0001 Atorgament de llicència d'obres menors",
        "Notificació: Atorgament de llicència d'obres menors",
        "Liquidació provisional de la taxa i l'ICIO",
    ]
    docs = list(db.session.execute(select(Document).where(Document.expedient_id == expedient_id,
                                                          Document.from_administration.is_(True))).scalars())
    superseded = {d.previous_version_id for d in docs}
    assert all(d.csv and d.tipo_documental for d in docs if d.id not in superseded)
    _check_signed_decree(t, expedient_id, "DEC/2026/0001", ["Jordi Mas", "Sandra Roig"])
    assert _outgoing(expedient_id) == ["Notificació: Atorgament de llicència d'obres menors",
                                       "Liquidació provisional de la taxa i l'ICIO"]
    notes = notifications.list_notifications(t.people["tramitador"], expedient_id)
    assert [(n.state, n.channel) for n in notes] == [("pending", "electronic")] * 2
    data = t.show(instance_id)["data"]
    # DMN: reforma interior -> taxa 40 EUR, ICIO 4 % of 12,500.50 = 500.02 (provisional, on the budget).
    assert (data["taxa"], data["icio_tipus"], data["icio_quota"], data["total_liquidacio"]) == (40, 0.04, 500.02,
                                                                                                 540.02)
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and expedient.state == "E02"
    assert pending_timers(instance_id) == {}  # the silence timer went with the terminate end
    assert "C_silenci" not in steps(instance_id)


def test_esmena_answered_suspends_the_maximum_term(menors: Town) -> None:
    t = menors
    expedient_id, instance_id = _start(t, MENORS)
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta el pressupost detallat."})
    assert document_titles(expedient_id) == ["Requeriment d'esmena"]
    assert _outgoing(expedient_id) == ["Requeriment d'esmena"]
    t.do(instance_id, "T_requeriment_rebut", {"data_notificacio_requeriment": "2026-03-05"})
    # 10 working days from the day after 5 March: 6, 9-13, (16 local holiday), 17-20 -> Friday 20 March.
    assert pending_timers(instance_id) == {"B_esmena_termini": "2026-03-20T23:59:59+01:00"}
    t.do(instance_id, "T_esmena", {"data_esmena": "2026-03-12",
                                   "documents_esmena": [t.attach(expedient_id, "Pressupost detallat")]})
    # Suspended 5 -> 12 March (7 days): 2 April + 7 = Thursday 9 April.
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-09T23:59:59+02:00"}
    _instruct(t, instance_id, sentit="denegar")
    _resolve(t, instance_id)
    assert _decrees(expedient_id)[0].title == "Denegació de llicència d'obres menors"
    assert "Liquidació provisional de la taxa i l'ICIO" not in document_titles(expedient_id)
    assert "R_tributs" not in steps(instance_id)
    assert db.session.get(ProcessInstance, instance_id).status == "completed"  # type: ignore[union-attr]


def test_esmena_unanswered_ends_in_a_desistiment_decree(menors: Town) -> None:
    t = menors
    expedient_id, instance_id = _start(t, MENORS)
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta la memòria."})
    t.do(instance_id, "T_requeriment_rebut", {"data_notificacio_requeriment": "2026-03-05"})
    assert t.fire(instance_id, "2026-03-20") == 0  # the last day of the term is still running
    assert ready_ids(instance_id) == ["T_esmena"]
    assert t.fire(instance_id, "2026-03-21") == 1
    assert ready_ids(instance_id) == ["T_resolucio_signar"]
    _resolve(t, instance_id)
    decree = _decrees(expedient_id)[0]
    assert decree.title == "Desistiment: llicència d'obres menors" and decree.number == f"DEC/{YEAR}/0001"
    assert "05/03/2026" in decree.text and "deu dies hàbils" in decree.text
    assert "T_informe_tecnic" not in steps(instance_id)
    assert db.session.get(Expedient, expedient_id).state == "E02"  # type: ignore[union-attr]


def test_positive_silence_is_flagged_when_the_month_runs_out(menors: Town) -> None:
    t = menors
    expedient_id, instance_id = _start(t, MENORS)
    t.do(instance_id, "T_completesa", {"completa": True})
    assert t.fire(instance_id, "2026-04-02") == 0
    assert t.fire(instance_id, "2026-04-03") == 1
    assert "expedient.silence" in actions(t.tenant.id, expedient_id)
    assert "S_silenci" in steps(instance_id)
    assert ready_ids(instance_id) == ["T_informe_tecnic"]  # the ajuntament must still resolve
    _instruct(t, instance_id)
    _resolve(t, instance_id)
    assert db.session.get(ProcessInstance, instance_id).status == "completed"  # type: ignore[union-attr]


def test_majors_two_months_and_audiencia_to_neighbours() -> None:
    t = town(f"{MAJORS}.bpmn")
    expedient_id, instance_id = _start(t, MAJORS, tipus_obra="rehabilitacio", pressupost=200000)
    t.do(instance_id, "T_completesa", {"completa": True})
    # 2 months from 2 March = Saturday 2 May -> Monday 4 May.
    assert pending_timers(instance_id) == {"C_silenci": "2026-05-04T23:59:59+02:00"}
    _instruct(t, instance_id, audiencia=True)
    _resolve(t, instance_id)
    titles = document_titles(expedient_id)
    assert "Tràmit d'audiència" in titles
    data = t.show(instance_id)["data"]
    assert (data["taxa"], data["icio_quota"], data["total_liquidacio"]) == (150, 6000.0, 6150.0)


def test_forms_check_nif_cadastral_reference_amounts_and_documents(menors: Town) -> None:
    t = menors
    instance_id = t.start(MENORS, t.open_case("Llicència d'obres"))
    bad = {**APPLICATION, "nif": "12345678A", "referencia_cadastral": "4A08169P03PRAT0001LX",
           "pressupost": 10.005, "documents": [], "data_entrada": "2026-02-30"}
    with pytest.raises(ValidationFailed) as caught:
        t.do(instance_id, "T_dades", bad)
    fields = {d.field for d in caught.value.details}
    assert fields == {"nif", "referencia_cadastral", "pressupost", "documents", "data_entrada"}
    assert ready_ids(instance_id) == ["T_dades"]  # nothing was lost or moved


def test_spanish_document_when_the_applicant_asks_for_spanish(menors: Town) -> None:
    t = menors
    _, instance_id = _start(t, MENORS, idioma="es")
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta la memoria."})
    data = t.show(instance_id)["data"]
    assert data["doc_requeriment"]["template"] == "requeriment_esmena.es.html"


def test_the_alcalde_returns_the_decree_with_a_reason_and_it_goes_back_to_the_proposal(menors: Town) -> None:
    t = menors
    expedient_id, instance_id = _start(t, MENORS)
    t.do(instance_id, "T_completesa", {"completa": True})
    _instruct(t, instance_id)
    # a sign step is no tick box: neither a form nor the API completes it
    with pytest.raises(ValidationFailed):
        t.do(instance_id, "T_resolucio_signar", {"conforme": True})
    t.give_back(instance_id, "T_resolucio_signar", "Cal citar l'article del POUM.")
    assert ready_ids(instance_id) == ["T_proposta"]
    returned = {"outcome": "returned", "reason": "Cal citar l'article del POUM."}
    assert t.show(instance_id)["data"]["signatura"] == returned
    assert [d.number for d in _decrees(expedient_id)] == [None]  # returned unsigned: no number spent
    t.do(instance_id, "T_proposta", {"sentit": "atorgar", "fonaments": "Vistos els informes i l'art. 12 del POUM."})
    _resolve(t, instance_id)
    signed = [d for d in _decrees(expedient_id) if d.number]
    assert [d.number for d in signed] == [f"DEC/{YEAR}/0001"] and "art. 12 del POUM" in signed[0].text
    assert db.session.get(ProcessInstance, instance_id).status == "completed"  # type: ignore[union-attr]
