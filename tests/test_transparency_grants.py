"""Grants awarded on the transparency portal (Llei 19/2014 art. 15), from the published resolution of a
grant call run with the shipped procedures: an association is named, a natural person is not; nothing shows
before the resolution is published. The call (10.000 €) is the one of tests/test_procedures_subvencions.py:
the association scores 82 and gets the 6.000 € it asked for, the person 75 and the 4.000 € left."""

from __future__ import annotations

import pytest

from engine.base.db import db
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.registry.entries import Upload
from tests.procedures_acts import PDF, registry_day
from tests.procedures_helpers import Town, spiff_clock, town
from tests.test_procedures_obres import at, frozen_clock
from tests.test_procedures_subvencions import _call_published
from tests.test_transparency_open_data import _validated

__all__ = ["frozen_clock", "spiff_clock"]  # the fixtures, used by name (frozen_clock is autouse)
pytestmark = pytest.mark.usefixtures("spiff_clock")

ASSOCIATION = CitizenIdentity(nif="G25000001", name="Associació Cultural de Sant Proves")
PERSON = CitizenIdentity(nif="11234567X", name="Jordi Pla Roca")
GRANTS = "/transparencia/sant-proves/grants.json"


def _apply(t: Town, monkeypatch: pytest.MonkeyPatch, who: CitizenIdentity, amount: int, call_number: str,
           hour: int) -> tuple[int, str]:
    with registry_day(monkeypatch, "2026-03-04", hour=hour):
        done = filing.file_request(t.tenant, who, "subvencio_sollicitud",
                                   {"expedient_convocatoria": call_number, "data_publicacio_convocatoria": "2026-03-02",
                                    "activitat": f"Activitat de {who.name}", "import_sollicitat": amount},
                                   [Upload("projecte.pdf", PDF, "Projecte")])
    db.session.commit()
    assert done.instance_id and done.expedient_number
    t.do(done.instance_id, "T_completesa", {"completa": True})
    return done.instance_id, done.expedient_number


def test_grants_awarded_are_published_with_entities_named_and_people_not(client, monkeypatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, call, call_number = _call_published(t)
    _a, association = _apply(t, monkeypatch, ASSOCIATION, 6000, call_number, 9)
    _b, person = _apply(t, monkeypatch, PERSON, 8000, call_number, 10)
    assert t.fire(call, "2026-04-01") == 1
    at("2026-04-08")
    t.do(call, "T_valoracio", {"acta_comissio": "La comissió es va reunir el 7 d'abril de 2026.", "valoracions": [
        {"expedient": person, "sollicitant": PERSON.name, "puntuacio": 75, "import_sollicitat": 8000},
        {"expedient": association, "sollicitant": ASSOCIATION.name, "puntuacio": 82, "import_sollicitat": 6000}]})
    t.sign(call, "T_proposta_signar")  # published on the notice board
    assert t.fire(call, "2026-04-23") == 1
    t.do(call, "T_proposta_definitiva", {"resum_alegacions": "Cap al·legació."})
    at("2026-04-28")
    t.sign(call, "T_resolucio_signar")
    assert client.get(GRANTS).get_json()["rows"] == []  # signed, but not published yet
    t.sign(call, "T_resolucio_fe")  # attested: published on the notice board that day
    decree = t.show(call)["data"]["doc_decret"]["number"]

    t.do(call, "T_publicar_resolucio", {"referencia_bdns": "BDNS 812345"})
    rows = _validated(client, "grants")["data"]["rows"]  # and the JSON matches its schema
    assert [(r["beneficiary"], r["beneficiary_kind"], r["amount"]) for r in rows] == [
        ("Associació Cultural de Sant Proves", "entity", 6000), (None, "person", 4000)]
    assert {(r["purpose"], r["bdns_code"], r["decree"], r["published_on"]) for r in rows} == {
        ("Subvencions a entitats 2026", "812345", decree, "2026-04-28")}
    html = client.get("/transparencia/sant-proves/").get_data(as_text=True)
    assert "Associació Cultural de Sant Proves" in html and PERSON.name not in html
    assert "persona física (no se'n publica el nom)" in html
