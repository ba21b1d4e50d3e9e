"""Comunicació prèvia d'obres, certificat/volant d'empadronament and subvencions (call and
applications) driven through the engine, every path.

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026 (Good Friday 3 April and Easter Monday 6 April are holidays).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.decrees.book import Decree
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.process.models import ProcessInstance
from engine.registry.entries import RegistryAttachment, RegistryEntry
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

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

YEAR = local_date(utcnow()).year


def _decrees(expedient_id: int) -> list[Decree]:
    stmt = select(Decree).where(Decree.expedient_id == expedient_id).order_by(Decree.id)
    return list(db.session.execute(stmt).scalars())


def _status(instance_id: int) -> str:
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None
    return instance.status


def _sign_and_notify(t: Town, instance_id: int, prefix: str) -> None:
    t.sign(instance_id, f"T_{prefix}_signar")
    t.sign(instance_id, f"T_{prefix}_fe")
    t.do(instance_id, f"T_{prefix}_rebuda", {"data_notificacio": "2026-04-01", "estat_notificacio": "accedida"})


# The comunicació prèvia d'obres is walked in tests/test_procedures_obres.py.


# --------------------------------------------------------------------------- empadronament


def test_certificat_empadronament_signed_by_the_secretary_and_sent() -> None:
    t = town("certificat_empadronament.bpmn")
    expedient_id = t.open_case("Certificat d'empadronament")
    instance_id = t.start("certificat_empadronament", expedient_id)
    t.do(instance_id, "T_sollicitud", {"tipus": "certificat", "nif": "X1234567L", "nom": "Maria Soler Vidal",
                                       "adreca": "Carrer Major, 12", "data_alta": "2019-05-14",
                                       "finalitat": "tràmits d'estrangeria"})
    assert ready_ids(instance_id) == ["T_signar"]
    t.sign(instance_id, "T_signar")
    t.do(instance_id, "T_lliurar", {"canal": "electronic", "data_lliurament": "2026-03-03"})
    assert _status(instance_id) == "completed"
    unsigned, doc = db.session.execute(select(Document).where(Document.expedient_id == expedient_id)
                                       .order_by(Document.id)).scalars()
    # one certificate: the signed version keeps the CSV the citizen can check (no second code)
    assert doc.previous_version_id == unsigned.id and unsigned.csv is None
    assert doc.title == "Certificat d'empadronament" and doc.tipo_documental == "TD11" and doc.csv
    assert [s["signer"] for s in doc.signatures if s["type"] == "TF06"] == ["Sandra Roig"]
    sent = db.session.execute(select(RegistryAttachment.document_id).join(
        RegistryEntry, RegistryEntry.id == RegistryAttachment.entry_id).where(
        RegistryEntry.expedient_id == expedient_id)).scalars().all()
    assert sent == [doc.id]  # what was sent is the signed certificate
    assert "S_notificar" in steps(instance_id)


def test_volant_empadronament_handed_over_in_person_in_spanish() -> None:
    t = town("certificat_empadronament.bpmn")
    expedient_id = t.open_case("Volant d'empadronament")
    instance_id = t.start("certificat_empadronament", expedient_id)
    t.do(instance_id, "T_sollicitud", {"tipus": "volant", "nif": "12345678Z", "nom": "Joan Pi",
                                       "adreca": "Carrer Nou, 1", "data_alta": "2020-01-02",
                                       "finalitat": "escolarització", "idioma": "es"})
    t.sign(instance_id, "T_signar")
    t.do(instance_id, "T_lliurar", {"canal": "presencial", "data_lliurament": "2026-03-03"})
    assert document_titles(expedient_id) == ["Volant d'empadronament"]
    assert t.show(instance_id)["data"]["doc_padro"]["template"] == "certificat_empadronament.es.html"
    assert "S_notificar" not in steps(instance_id)


# --------------------------------------------------------------------------- subvencions


def test_call_for_grants_from_bases_to_resolution() -> None:
    t = town("subvencio_convocatoria.bpmn")
    expedient_id = t.open_case("Subvencions a entitats 2026")
    instance_id = t.start("subvencio_convocatoria", expedient_id)
    t.do(instance_id, "T_bases", {"titol_convocatoria": "Subvencions a entitats 2026",
                                  "data_aprovacio_bases": "2026-01-20", "data_publicacio_bases": "2026-02-02"})
    t.do(instance_id, "T_convocatoria", {"codi_bdns": "812345", "data_publicacio_bop": "2026-03-02",
                                         "termini_sollicituds": 20, "import_total": 15000})
    # 20 working days after 2 March (16 March is a local holiday): Tuesday 31 March.
    assert pending_timers(instance_id) == {"C_fi_sollicituds": "2026-03-31T23:59:59+02:00"}
    assert t.fire(instance_id, "2026-04-01") == 1
    t.do(instance_id, "T_comissio", {"acta_comissio": "Tres entitats puntuades.", "data_comissio": "2026-04-07"})
    t.do(instance_id, "T_publicar_provisional", {"data_publicacio_provisional": "2026-04-08"})
    # 10 working days for al·legacions: 9, 10, 13-17, 20-22 April.
    assert pending_timers(instance_id) == {"C_alegacions": "2026-04-22T23:59:59+02:00"}
    assert t.fire(instance_id, "2026-04-23") == 1
    t.do(instance_id, "T_proposta_definitiva", {"resum_concessio": "Entitat A 5.000 €, B 4.000 €."})
    _sign_and_notify(t, instance_id, "resolucio")
    assert _decrees(expedient_id)[0].title == "Resolució de la convocatòria Subvencions a entitats 2026"
    assert _status(instance_id) == "completed"


APPLICATION = {
    "nif": "G12345674",
    "nom": "Associació de Veïns",
    "data_publicacio_convocatoria": "2026-03-02",
    "data_entrada": "2026-03-04",
    "activitat": "Festa major",
    "import_sollicitat": 1500,
}


def _application(t: Town) -> tuple[int, int, int]:
    call_id = t.open_case("Subvencions a entitats 2026", "P0800000B", "Ajuntament")
    call_number = db.session.get(Expedient, call_id).number  # type: ignore[union-attr]
    expedient_id = t.open_case("Sol·licitud de subvenció", "G12345674", "Associació de Veïns")
    instance_id = t.start("subvencio_sollicitud", expedient_id)
    t.do(instance_id, "T_dades", {**APPLICATION, "expedient_convocatoria": call_number,
                                  "documents": [t.attach(expedient_id, "Projecte de l'activitat")]})
    return call_id, expedient_id, instance_id


def _to_resolution(t: Town, instance_id: int, sentit: str = "concedir") -> None:
    t.do(instance_id, "T_valoracio", {"puntuacio": 82, "import_proposat": 1000, "valoracio": "Compleix."})
    t.do(instance_id, "T_proposta_rebuda", {"data_notificacio_proposta": "2026-04-08"})
    assert pending_timers(instance_id)["C_alegacions"] == "2026-04-22T23:59:59+02:00"
    assert t.fire(instance_id, "2026-04-23") == 1
    t.do(instance_id, "T_proposta_definitiva", {"sentit": sentit, "import_concedit": 1000 if sentit == "concedir"
                                                else 0, "fonaments": "Segons les bases."})
    _sign_and_notify(t, instance_id, "resolucio")


def test_grant_application_paid_when_up_to_date() -> None:
    t = town("subvencio_sollicitud.bpmn")
    call_id, expedient_id, instance_id = _application(t)
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and [e.id for e in expedient.related] == [call_id]
    t.do(instance_id, "T_completesa", {"completa": True})
    # 6 months from the call's publication (2 March): Wednesday 2 September, negative silence.
    assert pending_timers(instance_id) == {"C_silenci": "2026-09-02T23:59:59+02:00"}
    _to_resolution(t, instance_id)
    assert _decrees(expedient_id)[0].title == "Concessió de subvenció"
    assert "1.000,00 €" in _decrees(expedient_id)[0].text
    t.do(instance_id, "T_justificacio", {"data_justificacio": "2026-10-15", "import_justificat": 1000,
                                         "documents_justificacio": [t.attach(expedient_id, "Compte justificatiu")]})
    t.do(instance_id, "T_comprovacio", {"justificacio_correcta": True, "import_justificat_acceptat": 1000,
                                        "al_corrent_aeat": True, "al_corrent_tgss": True})
    t.do(instance_id, "T_pagament", {"data_pagament": "2026-11-02", "import_pagat": 1000})
    assert _status(instance_id) == "completed"
    assert "Proposta de resolució provisional" in document_titles(expedient_id)


def test_grant_not_paid_without_social_security_certificate_ends_in_reintegrament() -> None:
    t = town("subvencio_sollicitud.bpmn")
    _, expedient_id, instance_id = _application(t)
    t.do(instance_id, "T_completesa", {"completa": True})
    _to_resolution(t, instance_id)
    t.do(instance_id, "T_justificacio", {"data_justificacio": "2026-10-15", "import_justificat": 600,
                                         "documents_justificacio": [t.attach(expedient_id, "Compte justificatiu")]})
    t.do(instance_id, "T_comprovacio", {"justificacio_correcta": True, "import_justificat_acceptat": 600,
                                        "al_corrent_aeat": True, "al_corrent_tgss": False})
    assert "T_pagament" not in ready_ids(instance_id)
    _sign_and_notify(t, instance_id, "reintegrament")
    concession, reintegrament = _decrees(expedient_id)
    assert (concession.number, reintegrament.number) == (f"DEC/{YEAR}/0001", f"DEC/{YEAR}/0002")
    assert "400,00 €" in reintegrament.text
    assert _status(instance_id) == "completed"


def test_grant_esmena_is_never_extended_and_unanswered_means_desistiment() -> None:
    t = town("subvencio_sollicitud.bpmn")
    _, expedient_id, instance_id = _application(t)
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta el pressupost."})
    t.do(instance_id, "T_requeriment_rebut", {"data_notificacio_requeriment": "2026-03-05"})
    assert pending_timers(instance_id) == {"B_esmena_termini": "2026-03-20T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-21") == 1
    _sign_and_notify(t, instance_id, "resolucio")
    assert _decrees(expedient_id)[0].title == "Desistiment: sol·licitud de subvenció"
    assert "T_valoracio" not in steps(instance_id) and _status(instance_id) == "completed"


def test_grant_esmena_answered_suspends_and_negative_silence_is_flagged() -> None:
    t = town("subvencio_sollicitud.bpmn")
    _, expedient_id, instance_id = _application(t)
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta el pressupost."})
    t.do(instance_id, "T_requeriment_rebut", {"data_notificacio_requeriment": "2026-03-05"})
    t.do(instance_id, "T_esmena", {"data_esmena": "2026-03-09",
                                   "documents_esmena": [t.attach(expedient_id, "Pressupost")]})
    # Suspended 5 -> 9 March (4 days): 2 September + 4 = Sunday 6 September -> Monday 7 September.
    assert pending_timers(instance_id) == {"C_silenci": "2026-09-07T23:59:59+02:00"}
    assert t.fire(instance_id, "2026-09-07") == 0
    assert t.fire(instance_id, "2026-09-08") == 1
    assert "expedient.silence" in actions(t.tenant.id, expedient_id)
    assert ready_ids(instance_id) == ["T_valoracio"]  # a late express resolution is still due


def test_grant_denied() -> None:
    t = town("subvencio_sollicitud.bpmn")
    _, expedient_id, instance_id = _application(t)
    t.do(instance_id, "T_completesa", {"completa": True})
    _to_resolution(t, instance_id, sentit="denegar")
    assert _decrees(expedient_id)[0].title == "Denegació de subvenció"
    assert "T_justificacio" not in steps(instance_id) and _status(instance_id) == "completed"
    assert "expedient.silence" not in actions(t.tenant.id, expedient_id)


# --------------------------------------------------------------------------- instància genèrica


def test_instancia_generica_from_registry_entry_to_closing() -> None:
    t = town("instancia_generica.bpmn")
    expedient_id = t.open_case("Sol·licitud d'ús de la sala municipal")
    instance_id = t.start("instancia_generica", expedient_id)
    t.do(instance_id, "Task_revisar", {"unitat_responsable": "Alcaldia", "completa": True})
    t.do(instance_id, "Task_tramitar", {"resum": "Sala disponible el dia demanat.", "cal_resolucio": False})
    t.do(instance_id, "Task_respondre", {"resposta": "Podeu fer servir la sala."})
    t.do(instance_id, "Task_notificar", {"canal": "electronic", "data_posada_disposicio": "2026-03-03"})
    assert _status(instance_id) == "completed" and steps(instance_id)[-2:] == ["Task_tancar", "EndEvent_tancat"]
    assert db.session.get(Expedient, expedient_id).state == "E02"  # type: ignore[union-attr]


def test_instancia_generica_decree_signed_attested_and_notified_as_signed() -> None:
    t = town("instancia_generica.bpmn")
    expedient_id = t.open_case("Petició de canvi de titularitat")
    instance_id = t.start("instancia_generica", expedient_id)
    t.do(instance_id, "Task_revisar", {"unitat_responsable": "Alcaldia", "completa": True})
    t.do(instance_id, "Task_tramitar", {"resum": "Canvi de titular de la parada 12.", "cal_resolucio": True})
    t.do(instance_id, "Task_proposta", {"sentit": "estimar", "fonaments": "Compleix l'ordenança de mercats."})
    assert ready_ids(instance_id) == ["Task_decret"]
    t.give_back(instance_id, "Task_decret", "Falta el número de parada al títol.")
    assert ready_ids(instance_id) == ["Task_proposta"]
    t.do(instance_id, "Task_proposta", {"sentit": "estimar", "fonaments": "Compleix l'ordenança, parada 12."})
    t.sign(instance_id, "Task_decret")
    assert ready_ids(instance_id) == ["Task_fe"]
    t.sign(instance_id, "Task_fe")
    assert ready_ids(instance_id) == ["Task_notificar"]
    decree = next(d for d in _decrees(expedient_id) if d.number)
    assert decree.number == f"DEC/{YEAR}/0001" and decree.attested_by_name == "Sandra Roig"
    assert "Resolc estimar la sol·licitud." in decree.text
    data = t.show(instance_id)["data"]
    signed = db.session.get(Document, data["doc_decret"]["document_id"])
    assert signed is not None and signed.version == 2 and signed.csv == data["signatura"]["csv"]
    assert [s["signer"] for s in signed.signatures if s["type"] == "TF06"] == ["Jordi Mas", "Sandra Roig"]
    t.do(instance_id, "Task_notificar", {"canal": "electronic", "data_posada_disposicio": "2026-03-03"})
    assert _status(instance_id) == "completed"
