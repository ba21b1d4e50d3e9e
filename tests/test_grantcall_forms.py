"""The grant call's forms start with what GEE knows and refuse what cannot be: the title of the call comes
from the expedient's subject; the committee's scoring form has one row per admitted application (number,
applicant, amount requested), and a row naming an expedient that is not an application of this call is refused
beside that row before any proposal is generated; the call's publication cannot be dated before the bases were
approved. Through the task pages, as the clerk and the technician see them."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.base.db import db
from engine.expedients.expedients import Expedient
from tests.conftest import login
from tests.procedures_helpers import ready, ready_ids, spiff_clock, town
from tests.test_procedures_obres import at, frozen_clock
from tests.test_procedures_subvencions import ENTITATS, REQUESTED, _apply, _call_published
from tests.web_clerk import field_error, token

__all__ = ["frozen_clock", "spiff_clock"]  # the fixtures, used by name (frozen_clock is autouse)
pytestmark = pytest.mark.usefixtures("spiff_clock")


def _task_id(instance_id: int, element_id: str) -> int:
    return next(t.id for t in ready(instance_id) if t.element_id == element_id)


def _value(html: str, dom_id: str) -> str | None:
    """What the field ``dom_id`` shows (an input's value or a textarea's text), None when empty."""
    match = re.search(rf'id="{re.escape(dom_id)}"([^>]*)>([^<]*)', html)
    assert match, f"no field {dom_id}"
    found = re.search(r'value="([^"]*)"', match.group(1))
    shown = found.group(1) if found else match.group(2).strip()
    return shown or None


def test_the_title_of_the_call_comes_from_the_subject_and_dates_keep_their_order(client: FlaskClient) -> None:
    t = town("subvencio_convocatoria.bpmn")
    expedient_id = t.open_case("Subvencions a entitats esportives 2026", "P0800000B", "Ajuntament de Sant Proves")
    instance_id = t.start("subvencio_convocatoria", expedient_id)
    login(client, "tramitador.proves")
    page = client.get(f"/tasks/{_task_id(instance_id, 'T_bases')}").get_data(as_text=True)
    assert _value(page, "f-data-titol_convocatoria") == "Subvencions a entitats esportives 2026"
    t.do(instance_id, "T_bases", {"titol_convocatoria": "Subvencions a entitats esportives 2026",
                                  "data_aprovacio_bases": "2026-01-20", "butlleti_bases": "BOP núm. 22",
                                  "aplicacio_pressupostaria": "341.48000", "import_total": 5000})
    t.sign(instance_id, "T_credit_signar")
    t.sign(instance_id, "T_fiscalitzacio_signar")
    task_id = _task_id(instance_id, "T_convocatoria")
    form = {"csrf_token": token(client), "action": "complete", "data.codi_bdns": "812346",
            "data.termini_sollicituds": "20", "data.puntuacio_minima": "50",
            "data.data_limit_justificacio": "2026-10-30"}
    before = client.post(f"/tasks/{task_id}", data={**form, "data.data_publicacio_bop": "2026-01-19"})
    assert before.status_code == 422
    assert "20 de gener del 2026" in (field_error(before.get_data(as_text=True), "f-data-data_publicacio_bop") or "")
    future = client.post(f"/tasks/{task_id}", data={**form, "data.data_publicacio_bop": "2026-03-03"})
    assert future.status_code == 422 and field_error(future.get_data(as_text=True), "f-data-data_publicacio_bop")
    assert ready_ids(instance_id) == ["T_convocatoria"]
    done = client.post(f"/tasks/{task_id}", data={**form, "data.data_publicacio_bop": "2026-03-02"})
    assert done.status_code == 302 and ready_ids(instance_id) == []


def test_the_scoring_form_has_one_row_per_application_and_refuses_a_stranger(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    t = town("subvencio_convocatoria.bpmn", "subvencio_sollicitud.bpmn")
    _call_id, call, call_number = _call_published(t)
    apps = {who: _apply(t, monkeypatch, who, call_number) for who in "AB"}
    for _expedient_id, instance_id, _number in apps.values():
        t.do(instance_id, "T_completesa", {"completa": True})
    # an expedient of the town that is not an application of this call
    stranger = t.open_case("Llicència d'obres menors")
    stranger_number = db.session.get(Expedient, stranger).number  # type: ignore[union-attr]
    assert t.fire(call, "2026-04-01") == 1
    at("2026-04-07")
    login(client, "tecnic.proves")
    task_id = _task_id(call, "T_valoracio")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    for row, who in enumerate("AB"):
        assert _value(page, f"f-data-valoracions-{row}-expedient") == apps[who][2]
        assert _value(page, f"f-data-valoracions-{row}-sollicitant") == ENTITATS[who].name
        assert _value(page, f"f-data-valoracions-{row}-import_sollicitat") == str(REQUESTED[who])
        assert _value(page, f"f-data-valoracions-{row}-puntuacio") is None  # the only thing left to type

    def scored(second_number: str) -> dict[str, str]:
        return {"csrf_token": token(client), "action": "complete", "data.acta_comissio": "Reunida el 7 d'abril.",
                "data.valoracions.0.expedient": apps["A"][2], "data.valoracions.0.sollicitant": ENTITATS["A"].name,
                "data.valoracions.0.puntuacio": "82", "data.valoracions.0.import_sollicitat": "6000",
                "data.valoracions.1.expedient": second_number, "data.valoracions.1.sollicitant": "Jordi Pla",
                "data.valoracions.1.puntuacio": "75", "data.valoracions.1.import_sollicitat": "8000"}

    refused = client.post(f"/tasks/{task_id}", data=scored(stranger_number))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert stranger_number in (field_error(html, "f-data-valoracions-1-expedient") or "")
    assert field_error(html, "f-data-valoracions-0-expedient") is None
    twice = client.post(f"/tasks/{task_id}", data=scored(apps["A"][2]))
    assert twice.status_code == 422 and field_error(twice.get_data(as_text=True), "f-data-valoracions-1-expedient")
    # nothing was generated: the committee's task is still there and no proposal exists
    assert ready_ids(call) == ["T_valoracio"] and "doc_proposta_provisional" not in t.show(call)["data"]
    done = client.post(f"/tasks/{task_id}", data=scored(apps["B"][2]))
    assert done.status_code == 302
    ranking = t.show(call)["data"]["ranquing"]
    # the names in the ranking are the applicants' own, whatever was typed
    assert [(r["expedient"], r["sollicitant"]) for r in ranking] == [
        (apps["A"][2], ENTITATS["A"].name), (apps["B"][2], ENTITATS["B"].name)]
