"""A grant application filed in the e-office against a call the council published (Llei 38/2003 LGS).

The call's extract is published in the BOP on Monday 2 March 2026; its 20 working days of applications end on
Tuesday 31 March (the town's local holiday of 16 March skipped). The citizen chooses the call from a select, the
publication date comes from the call, the six-month term to resolve counts from it (art. 25.4 LGS) from the
moment she files, and when the call is resolved her expedient and e-office folder say what she got.
"""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient
from engine.registry.entries import Upload
from tests.procedures_acts import PDF, registry_day
from tests.procedures_helpers import Town, pending_timers, spiff_clock, town
from tests.test_procedures_obres import at, frozen_clock
from tests.test_procedures_subvencions import _call_published
from tests.test_seu import citizen_login, token_of

__all__ = ["frozen_clock", "spiff_clock"]
pytestmark = pytest.mark.usefixtures("spiff_clock")

LAIA = CitizenIdentity(nif="12469134Y", name="Laia Vila Mas")
APPLICATION = {"activitat": "Casal d'estiu de l'entitat", "import_sollicitat": 3000}


def _file(t: Town, monkeypatch: pytest.MonkeyPatch, call_number: str, day: str) -> filing.Filing:
    with registry_day(monkeypatch, day):
        done = filing.file_request(t.tenant, LAIA, "subvencio_sollicitud",
                                   {"expedient_convocatoria": call_number, **APPLICATION},
                                   [Upload("projecte.pdf", PDF, "Projecte")])  # fmt: skip
    db.session.commit()
    return done


def _page(client: FlaskClient, path: str) -> str:
    return " ".join(unescape(client.get(path).get_data(as_text=True)).split())


def test_the_citizen_chooses_the_call_among_the_open_ones_and_types_no_date(app, client: FlaskClient) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _instance, call_number = _call_published(t)
    db.session.commit()
    at("2026-03-04")
    citizen_login(client, t.tenant.code, nif=LAIA.nif, name=LAIA.name)
    path = f"/seu/{t.tenant.code}/tramits/subvencio_sollicitud/sollicitud"
    html = _page(client, path)
    select_html = re.search(r'<select[^>]*name="f_expedient_convocatoria".*?</select>', html)
    assert select_html is not None  # a select, not a typed number
    assert f'value="{call_number}"' in select_html.group(0)
    assert "Subvencions a entitats 2026" in select_html.group(0)
    assert "f_data_publicacio_convocatoria" not in html  # the publication date comes from the call
    answer = client.post(path, data={"csrf_token": token_of(html), "f_expedient_convocatoria": call_number,
                                     "f_activitat": APPLICATION["activitat"], "f_import_sollicitat": "3000",
                                     "documents": [(io.BytesIO(PDF), "projecte.pdf")]},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    expedient_id = int(urlsplit(answer.headers["Location"]).path.rstrip("/").split("/")[-1])
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and [e.number for e in expedient.related] == [call_number]
    # art. 25.4 LGS: six months from the call's publication (2 March), not from her filing (4 March)
    assert expedient.term_start is not None and expedient.term_start.isoformat() == "2026-03-02"
    assert expedient.term_due is not None and expedient.term_due.isoformat() == "2026-09-02"
    folder = _page(client, answer.headers["Location"])
    assert "com a molt tard el 2 de set. del 2026" in folder and "4 de set. del 2026" not in folder


def test_a_call_that_is_not_there_or_not_open_yet_is_refused_beside_its_field(
        monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _instance, call_number = _call_published(t)
    unpublished = t.open_case("Subvencions a la cultura 2026", "P0800000B", "Ajuntament de Sant Proves")
    t.start("subvencio_convocatoria", unpublished)
    unpublished_number = db.session.get(Expedient, unpublished).number  # type: ignore[union-attr]
    db.session.commit()
    for number, day in (("2026/999999", "2026-03-04"), (unpublished_number, "2026-03-04"),
                        (call_number, "2026-03-02")):  # published on the 2nd: the term runs from the 3rd
        with pytest.raises(ValidationFailed) as refused:
            _file(t, monkeypatch, number, day)
        assert refused.value.field == "expedient_convocatoria", number
        db.session.rollback()
    assert db.session.execute(select(Expedient).where(Expedient.subject.like("Sol·licitud de subvenció%"))
                              ).first() is None  # nothing registered


def test_a_late_application_is_registered_and_marked_late(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, _instance, call_number = _call_published(t)
    done = _file(t, monkeypatch, call_number, "2026-04-01")  # the term ended on Tuesday 31 March
    expedient = db.session.get(Expedient, done.expedient_id)
    assert expedient is not None and done.entry_number  # registered all the same (art. 16 Ley 39/2015)
    assert expedient.subject.endswith("fora del termini de sol·licituds") or \
        expedient.subject.endswith("filed after the application term")
    data = t.show(done.instance_id)["data"]
    assert data["fora_de_termini"] is True and data["sollicitud"]["fora_de_termini"] is True
    assert data["data_publicacio_convocatoria"] == "2026-03-02"


def test_the_applicant_is_told_the_result_and_where_it_was_published(monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, call, call_number = _call_published(t)
    done = _file(t, monkeypatch, call_number, "2026-03-04")
    application = done.instance_id
    assert application is not None and done.expedient_id is not None
    t.do(application, "T_completesa", {"completa": True})
    assert pending_timers(application) == {"GW_resolucio": "2026-09-02T23:59:59+02:00"}
    assert t.fire(call, "2026-04-01") == 1
    at("2026-04-08")
    t.do(call, "T_valoracio", {"acta_comissio": "La comissió es va reunir el 7 d'abril de 2026.", "valoracions": [
        {"expedient": done.expedient_number, "sollicitant": LAIA.name, "puntuacio": 82, "import_sollicitat": 3000}]})
    t.sign(call, "T_proposta_signar")
    assert t.fire(call, "2026-04-23") == 1
    at("2026-04-23")
    t.do(call, "T_proposta_definitiva", {"resum_alegacions": "Cap al·legació."})
    t.sign(call, "T_resolucio_signar")
    t.sign(call, "T_resolucio_fe")
    result = t.show(application)["data"]["resolucio_convocatoria"]
    assert result["sentit"] == "concedir" and result["import_concedit"] == 3000
    docs = list(db.session.execute(select(Document).where(Document.expedient_id == done.expedient_id,
                                                          Document.title.like("Resultat de la convocatòria%"))
                                   ).scalars())  # fmt: skip
    assert [d.title for d in docs] == ["Resultat de la convocatòria: subvenció concedida de 3.000,00 €"]
    _doc, content = read_content(t.people["secretari"], docs[0].id)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    assert "Subvenció concedida: 3.000,00 €" in text
    assert f"edicte núm. {result['edicte_id']}" in text and "45.1.b" in text
