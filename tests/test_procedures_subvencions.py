"""Subvencions en concurrència competitiva (Llei 38/2003, LGS): the call and its applications, through
the real blocks. One ranked resolution of the whole call (art. 22.1), told to each application by
message; esmena never extendable (art. 23.5); payment only when up to date (art. 34.5); reintegrament
with audiència (arts. 37, 42) and its 12-month term (art. 42.4).

Dates worked out by hand on the 2026 Catalan calendar plus the test town's local holiday of Monday
16 March 2026. The call's extract is published in the BOP on Monday 2 March 2026. The provisional proposal and
the resolution are published on the notice board (edicts) on the day their step runs: the clock is pinned.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.decrees.book import Decree
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient
from engine.noticeboard.edicts import exposed, published_documents
from engine.noticeboard.models import Edict
from engine.process.models import ProcessInstance
from engine.registry.entries import Upload
from tests.procedures_acts import (
    PDF,
    answer_online,
    awaited,
    notification_opened,
    registry_day,
)
from tests.procedures_helpers import Town, document_titles, pending_timers, ready_ids, spiff_clock, steps, town
from tests.test_procedures_obres import at, frozen_clock

__all__ = ["frozen_clock", "spiff_clock"]  # the fixtures, used by name (frozen_clock is autouse)
pytestmark = pytest.mark.usefixtures("spiff_clock")

ENTITATS = {
    "A": CitizenIdentity(nif="12345678Z", name="Maria Soler Vidal", email="maria@example.org"),
    "B": CitizenIdentity(nif="11234567X", name="Jordi Pla Roca"),
    "C": CitizenIdentity(nif="12469134Y", name="Laia Vila Mas"),
}
REQUESTED = {"A": 6000, "B": 8000, "C": 3000}


def _decrees(expedient_id: int) -> list[Decree]:
    return list(db.session.execute(select(Decree).where(Decree.expedient_id == expedient_id)
                                   .order_by(Decree.id)).scalars())


def _edicts(expedient_id: int) -> list[Edict]:
    return list(db.session.execute(select(Edict).where(Edict.expedient_id == expedient_id)
                                   .order_by(Edict.id)).scalars())


def _pdf_text(t: Town, document_id: int) -> str:
    _doc, content = read_content(t.people["secretari"], document_id)
    """The PDF's text with its line breaks as spaces (as a reader sees the sentences)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def _closed(instance_id: int, expedient_id: int) -> bool:
    instance = db.session.get(ProcessInstance, instance_id)
    expedient = db.session.get(Expedient, expedient_id)
    return instance is not None and expedient is not None and instance.status == "completed" \
        and expedient.state == "E02"


def _call_published(t: Town) -> tuple[int, int, str]:
    expedient_id = t.open_case("Subvencions a entitats 2026", "P0800000B", "Ajuntament de Sant Proves")
    instance_id = t.start("subvencio_convocatoria", expedient_id)
    t.do(instance_id, "T_bases", {"titol_convocatoria": "Subvencions a entitats 2026",
                                  "data_aprovacio_bases": "2026-01-20",
                                  "butlleti_bases": "BOP de Lleida núm. 22, de 2 de febrer de 2026",
                                  "aplicacio_pressupostaria": "334.48000", "import_total": 10000})
    assert ready_ids(instance_id) == ["T_credit_signar"]
    t.sign(instance_id, "T_credit_signar")
    t.sign(instance_id, "T_fiscalitzacio_signar")
    t.do(instance_id, "T_convocatoria", {"codi_bdns": "812345", "data_publicacio_bop": "2026-03-02",
                                         "termini_sollicituds": 20, "puntuacio_minima": 50,
                                         "data_limit_justificacio": "2026-10-30"})
    # art. 30 Ley 39/2015: 20 working days from Tuesday 3 March, 16 March a local holiday -> Tuesday 31 March.
    assert pending_timers(instance_id) == {"C_fi_sollicituds": "2026-03-31T23:59:59+02:00"}
    number = db.session.get(Expedient, expedient_id).number  # type: ignore[union-attr]
    return expedient_id, instance_id, number


def _apply(t: Town, monkeypatch: pytest.MonkeyPatch, who: str, call_number: str) -> tuple[int, int, str]:
    with registry_day(monkeypatch, "2026-03-04", hour=9 + "ABC".index(who)):
        done = filing.file_request(t.tenant, ENTITATS[who], "subvencio_sollicitud",
                                   {"expedient_convocatoria": call_number, "data_publicacio_convocatoria": "2026-03-02",
                                    "activitat": f"Activitat de l'entitat {who}", "import_sollicitat": REQUESTED[who]},
                                   [Upload("projecte.pdf", PDF, "Projecte")])
    db.session.commit()
    assert done.expedient_id and done.instance_id and done.expedient_number
    return done.expedient_id, done.instance_id, done.expedient_number


def test_one_ranked_resolution_for_the_whole_call_then_payment_and_reintegrament(
        monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    call_id, call, call_number = _call_published(t)
    signed = [d for d in db.session.execute(select(Document).where(Document.expedient_id == call_id)).scalars()
              if any(s["type"] == "TF06" for s in d.signatures or [])]
    assert sorted(d.title for d in signed) == ["Certificat d'existència de crèdit", "Informe de fiscalització prèvia"]
    apps = {who: _apply(t, monkeypatch, who, call_number) for who in "ABC"}
    for who, (expedient_id, instance_id, _number) in apps.items():
        assert [e.id for e in db.session.get(Expedient, expedient_id).related] == [call_id]  # type: ignore[union-attr]
        t.do(instance_id, "T_completesa", {"completa": True})
        # art. 25.4-5 LGS: six months from the call's publication (2 March) -> Wednesday 2 September; negative silence.
        assert pending_timers(instance_id) == {"GW_resolucio": "2026-09-02T23:59:59+02:00"}
    assert t.fire(call, "2026-04-01") == 1
    # the committee's form comes with one row per admitted application: only the scores are left to type
    assert t.show(call)["data"]["valoracions"] == [
        {"expedient": apps[who][2], "sollicitant": ENTITATS[who].name, "import_sollicitat": REQUESTED[who]}
        for who in "ABC"]
    at("2026-04-08")
    t.do(call, "T_valoracio", {"acta_comissio": "La comissió es va reunir el 7 d'abril de 2026.", "valoracions": [
        {"expedient": apps["B"][2], "sollicitant": "Jordi Pla Roca", "puntuacio": 75, "import_sollicitat": 8000},
        {"expedient": apps["A"][2], "sollicitant": "Maria Soler Vidal", "puntuacio": 82, "import_sollicitat": 6000},
        {"expedient": apps["C"][2], "sollicitant": "Laia Vila Mas", "puntuacio": 40, "import_sollicitat": 3000}]})
    # art. 22.1 LGS: compared and ranked together: A (82) gets its 6.000 €, B (75) the 4.000 € left of the
    # 10.000 € credit, C (40) is below the minimum score of 50.
    ranking = t.show(call)["data"]["ranquing"]
    assert [(r["expedient"], r["import_concedit"], r["sentit"]) for r in ranking] == [
        (apps["A"][2], 6000, "concedir"), (apps["B"][2], 4000, "concedir"), (apps["C"][2], 0, "denegar")]
    # the proposal, signed, is published on the notice board on Wednesday 8 April: nobody types that date
    t.sign(call, "T_proposta_signar")
    (provisional,) = _edicts(call_id)
    signed_proposal = t.show(call)["data"]["signatura"]["document_id"]
    assert [d.id for d in published_documents(provisional)] == [signed_proposal]
    assert provisional in exposed(t.tenant.id, date(2026, 4, 8))
    assert "deu dies hàbils" in provisional.text and provisional.title.startswith("Proposta de resolució provisional")
    proposal = _pdf_text(t, signed_proposal)
    assert "1. " + apps["A"][2] + " Maria Soler Vidal 82 6.000,00 € concedir 6.000,00 €" in proposal
    assert "3. " + apps["C"][2] + " Laia Vila Mas 40 3.000,00 € denegar (puntuació inferior a la mínima)" in proposal
    assert " 1. " not in proposal.split("(art. 45.1.b de la Llei 39/2015).")[1]  # no empty numbered list at the end
    # art. 24.4 LGS: ten days of allegations: 9, 10, 13-17, 20-22 April -> Wednesday 22 April.
    assert (provisional.starts_on, provisional.ends_on) == (date(2026, 4, 8), date(2026, 4, 22))
    assert pending_timers(call) == {"C_alegacions": "2026-04-22T23:59:59+02:00"}
    assert t.fire(call, "2026-04-23") == 1
    at("2026-04-23")
    t.do(call, "T_proposta_definitiva", {"resum_alegacions": "Cap al·legació."})
    t.sign(call, "T_resolucio_signar")
    t.sign(call, "T_resolucio_fe")
    assert ready_ids(call) == ["T_publicar_resolucio"]
    (decree,) = _decrees(call_id)
    assert decree.title == "Resolució de la convocatòria Subvencions a entitats 2026"
    # who is granted, who is denied, the amounts granted; published instead of notified; the appeals
    assert "la proposta de resolució provisional es va publicar al tauler d'edictes de l'Ajuntament el 8 d'abril " \
           "del 2026" in decree.text.replace("\n", " ").replace("La proposta", "la proposta")
    granted = decree.text.split("Primer. Concedir")[1].split("Segon. Denegar")[0]
    denied = decree.text.split("Segon. Denegar")[1].split("Tercer.")[0]
    assert "1. " + apps["A"][2] + " · Maria Soler Vidal · 82 punts · import sol·licitat 6.000,00 € · import " \
           "concedit 6.000,00 €" in granted
    assert "2. " + apps["B"][2] + " · Jordi Pla Roca · 75 punts · import sol·licitat 8.000,00 € · import " \
           "concedit 4.000,00 €" in granted
    assert apps["C"][2] not in granted and "3. " + apps["C"][2] + " · Laia Vila Mas · 40 punts" in denied
    assert "no arriba a la puntuació mínima de 50 punts" in denied
    assert "substitueix la notificació individual" in decree.text and "tauler d'edictes electrònic" in decree.text
    assert "recurs potestatiu de reposició" in decree.text and "dos mesos" in decree.text
    # published on the board with the signed decree, the day the secretary attested it
    data = t.show(call)["data"]
    (_provisional, resolution) = _edicts(call_id)
    assert [d.id for d in published_documents(resolution)] == [data["doc_decret"]["document_id"]]
    assert resolution.starts_on == date(2026, 4, 23) and data["data_publicacio_resolucio"] == "2026-04-23"
    pdf = _pdf_text(t, data["doc_decret"]["document_id"])
    assert "import concedit 4.000,00 €" in pdf and "Recursos." in pdf
    csv = data["doc_decret"]["csv"]
    assert f"CSV: {csv}" not in pdf and pdf.count(f"CSV {csv}") == pdf.count("Pàgina ")  # once a page: the footer
    assert data["comunicacio"]["delivered"] == sorted(a[2] for a in apps.values())
    told = data["resultats"][apps["B"][2]]
    assert (told["import_concedit"], told["import_sollicitat"], told["edicte_id"], told["data_publicacio"]) == (
        4000, 8000, resolution.id, "2026-04-23")
    for expedient_id, _instance_id, _number in apps.values():
        assert _decrees(expedient_id) == []  # no application has a provisional proposal or a decree of its own
    t.do(call, "T_publicar_resolucio", {"referencia_bdns": "BDNS 812345, resolució comunicada"})
    assert _closed(call, call_id)

    # C: denied by the call's resolution, closed
    assert _closed(apps["C"][1], apps["C"][0])
    # B: justified online, paid only once up to date with the social security (art. 34.5 LGS)
    b_id, b, _ = apps["B"]
    assert t.show(b)["data"]["resolucio_convocatoria"]["import_concedit"] == 4000
    answer_online(t, monkeypatch, b, b_id, "2026-10-15", text="Compte justificatiu de 4.000 €.",
                  citizen=ENTITATS["B"])
    t.do(b, "T_comprovacio", {"justificacio_correcta": True, "import_justificat_acceptat": 4000,
                              "al_corrent_aeat": True, "al_corrent_tgss": False})
    assert ready_ids(b) == ["T_comprovacio"]
    t.do(b, "T_comprovacio", {"justificacio_correcta": True, "import_justificat_acceptat": 4000,
                              "al_corrent_aeat": True, "al_corrent_tgss": True})
    t.do(b, "T_pagament", {"data_pagament": "2026-11-02", "import_pagat": 4000})
    assert _closed(b, b_id)
    # A: justified 5.000 € of 6.000 €: reintegrament of 1.000 € with audiència, allegations online
    a_id, a, _ = apps["A"]
    answer_online(t, monkeypatch, a, a_id, "2026-10-20", text="Compte justificatiu de 5.000 €.")
    t.do(a, "T_comprovacio", {"justificacio_correcta": True, "import_justificat_acceptat": 5000,
                              "al_corrent_aeat": True, "al_corrent_tgss": True})
    assert ready_ids(a) == ["T_reint_signar"]
    t.sign(a, "T_reint_signar")
    assert "Acord d'inici del procediment de reintegrament" in document_titles(a_id)
    notification_opened(t, a_id, available="2026-11-03", opened="2026-11-04")
    # art. 82 Ley 39/2015 via 42.2 LGS: 15 working days from Thursday 5 November: 5, 6, 9-13, 16-20, 23, 24, 25
    # -> Wednesday 25 November 2026.
    assert pending_timers(a)["GW_audiencia"] == "2026-11-25T23:59:59+01:00"
    answer_online(t, monkeypatch, a, a_id, "2026-11-12", text="Al·legacions: la factura pendent és del 2027.")
    t.do(a, "T_reintegrament_proposta", {"fonaments_reintegrament": "Justificació parcial (art. 37.1.c LGS)."})
    t.sign(a, "T_decret")
    t.sign(a, "T_fe")
    (reintegrament,) = _decrees(a_id)
    assert reintegrament.title == "Reintegrament de subvenció" and "resolc exigir el reintegrament de 1.000,00 €" \
        in reintegrament.text
    notification_opened(t, a_id, available="2026-12-01", opened="2026-12-02")
    assert _closed(a, a_id) and "Timer_caducitat" not in pending_timers(a)


def test_esmena_is_never_extended_and_unanswered_means_desistiment(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _call, call_number = _call_published(t)
    expedient_id, instance_id, _ = _apply(t, monkeypatch, "A", call_number)
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta el pressupost de l'activitat."})
    notification_opened(t, expedient_id, available="2026-03-04", opened="2026-03-05")
    # 10 working days from Friday 6 March (16 March local holiday) -> Friday 20 March; art. 23.5 LGS: no extension.
    assert pending_timers(instance_id) == {"GW_espera": "2026-03-20T23:59:59+01:00"}
    with pytest.raises(NoResultFound):
        awaited(instance_id, filing.EXTENSION_MESSAGE)
    assert t.fire(instance_id, "2026-03-21") == 1
    t.do(instance_id, "T_desistiment", {"fonaments": "No ha aportat el pressupost requerit."})
    t.sign(instance_id, "T_decret")
    t.sign(instance_id, "T_fe")
    (decree,) = _decrees(expedient_id)
    assert decree.title == "Desistiment: sol·licitud de subvenció presentada el 04/03/2026"
    assert "no ampliable (art. 23.5 de la Llei 38/2003)" in decree.text
    notification_opened(t, expedient_id, available="2026-03-25", opened="2026-03-25")
    assert _closed(instance_id, expedient_id) and "GW_resolucio" not in steps(instance_id)


def test_esmena_answered_suspends_and_negative_silence_then_a_late_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _call, call_number = _call_published(t)
    expedient_id, instance_id, _ = _apply(t, monkeypatch, "A", call_number)
    t.do(instance_id, "T_completesa", {"completa": False, "mancances": "Falta el pressupost."})
    notification_opened(t, expedient_id, available="2026-03-04", opened="2026-03-05")
    answer_online(t, monkeypatch, instance_id, expedient_id, "2026-03-09")
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": True})
    # art. 22.1.a: suspended 5 -> 9 March (4 days): 2 September + 4 = Sunday 6 September -> Monday 7 September.
    assert pending_timers(instance_id) == {"GW_resolucio": "2026-09-07T23:59:59+02:00"}
    assert t.fire(instance_id, "2026-09-07") == 0
    assert t.fire(instance_id, "2026-09-08") == 1
    silence = db.session.execute(select(AuditEvent.after).where(
        AuditEvent.expedient_id == expedient_id, AuditEvent.action == "expedient.silence")).scalars().all()
    assert [s["effect"] for s in silence if s] == ["negative"]
    # art. 24.3.b Ley 39/2015: the express resolution is still due, and still received
    assert awaited(instance_id, "resolucio_convocatoria").element_id == "Catch_resolucio_tardana"


def test_a_reintegrament_not_resolved_in_twelve_months_lapses(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    call_id, call, call_number = _call_published(t)
    expedient_id, instance_id, number = _apply(t, monkeypatch, "A", call_number)
    t.do(instance_id, "T_completesa", {"completa": True})
    assert t.fire(call, "2026-04-01") == 1
    at("2026-04-08")
    t.do(call, "T_valoracio", {"acta_comissio": "Una sola sol·licitud admesa.", "valoracions": [
        {"expedient": number, "sollicitant": "Maria Soler Vidal", "puntuacio": 90, "import_sollicitat": 6000}]})
    t.sign(call, "T_proposta_signar")
    assert t.fire(call, "2026-04-23") == 1
    t.do(call, "T_proposta_definitiva", {"resum_alegacions": "Cap."})
    t.sign(call, "T_resolucio_signar")
    t.sign(call, "T_resolucio_fe")
    # the justification term of the bases (30 October) runs out without a justification: reintegrament of all
    assert t.fire(instance_id, "2026-10-31") == 1
    t.sign(instance_id, "T_reint_signar")
    data = t.show(instance_id)["data"]
    assert data["import_reintegrar"] == 6000
    # art. 42.4 LGS and 30.4 Ley 39/2015: twelve months from the initiation, to the same day number
    started = date.fromisoformat(data["inici_reintegrament"])
    due = pending_timers(instance_id)["Timer_caducitat"]
    assert due[:10] >= started.replace(year=started.year + 1).isoformat()
    notification_opened(t, expedient_id, available="2026-11-03", opened="2026-11-04")
    t.fire(instance_id, date.fromordinal(date.fromisoformat(due[:10]).toordinal() + 1).isoformat())
    assert "S_caducitat_esborrany" in steps(instance_id)
    t.sign(instance_id, "T_decret")
    t.sign(instance_id, "T_fe")
    (lapse,) = _decrees(expedient_id)
    assert lapse.title == "Caducitat del procediment de reintegrament" and "art. 39" in lapse.text
    assert _decrees(call_id)[0].number is not None
