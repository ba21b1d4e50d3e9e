"""The sign step (``gee:sign``) and the decree block on the web and through the API: the signer
reads the very PDF she signs and types her key password; no tick box or API call stands in for
a signature; the secretary attests from her queue (batch) and the decree PDF carries its number,
CSV and verification address on every page."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from engine.base.db import db
from engine.decrees.book import Decree
from engine.documents.documents import Document, read_content
from engine.documents.verification_codes import verify_url
from engine.process.definition.deploy import deploy_process
from engine.signatures import circuits
from engine.tenancy.tokens import create_token
from tests.conftest import login
from tests.procedures_helpers import PROCESSES, Town, ready, ready_ids, town
from tests.test_signatures_helpers import KEY_PASSWORD

BPMN = PROCESSES / "instancia_generica.bpmn"
LONG = "Compleix l'ordenança de mercats municipals i el reglament de la parada. " * 90


def _to_the_mayor(t: Town, fonaments: str = "Compleix l'ordenança de mercats.") -> int:
    expedient_id = t.open_case("Petició de canvi de titularitat")
    instance_id = t.start("instancia_generica", expedient_id)
    t.do(instance_id, "Task_revisar", {"unitat_responsable": "Alcaldia", "completa": True})
    t.do(instance_id, "Task_tramitar", {"resum": "Canvi de titular de la parada 12.", "cal_resolucio": True})
    t.do(instance_id, "Task_proposta", {"sentit": "estimar", "fonaments": fonaments})
    db.session.commit()
    assert ready_ids(instance_id) == ["Task_decret"]
    return instance_id


def test_deploy_refuses_sign_steps_out_of_a_signer_lane_with_a_form_or_an_unknown_variable(tmp_path: Path) -> None:
    text = BPMN.read_text()
    text = text.replace('name="gee:sign" value="decret_esborrany"', 'name="gee:sign" value="decret_inexistent"', 1)
    form = 'name="formJsonSchemaFilename" value="instancia_generica_resposta.json"'
    text = text.replace(form, f'name="gee:sign" value="resum" /><spiffworkflow:property {form}')
    bad = tmp_path / "instancia_generica.bpmn"
    bad.write_text(text)
    result = deploy_process(None, bad, shared=True, created_by="tests")
    problems = {(p.element_id, str(p.message)) for p in result.problems}
    assert problems == {
        ("Task_decret", "The sign task Resoldre per decret d'alcaldia signs decret_inexistent, which no earlier "
                        "step sets."),
        ("Task_respondre", "The sign task Redactar la resposta is done by signing: remove its form."),
        ("Task_respondre",
         "Put the sign task Redactar la resposta in the lane of a signer: alcalde, secretari, tecnic."),
    }


def test_the_mayor_signs_on_the_task_page_the_secretary_attests_from_her_queue(client) -> None:
    t = town("instancia_generica.bpmn")
    instance_id = _to_the_mayor(t, LONG)
    task = ready(instance_id)[0]
    request = circuits.for_task(t.people["alcalde"], task.id)
    assert request is not None

    # the API cannot tick the decree into existence
    secret = create_token(t.people["alcalde"], "script").secret
    db.session.commit()
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"conforme": True}},
                          headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
    assert refused.status_code == 422 and "signing" in refused.get_data(as_text=True)
    assert ready_ids(instance_id) == ["Task_decret"] and db.session.query(Decree).one().number is None

    login(client, "alcalde.proves")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    pdf_url = f"/signatures/requests/{request.id}/document.pdf"
    assert f'src="{pdf_url}"' in page and 'type="password"' in page and "task-form" not in page
    shown = client.get(pdf_url).data
    assert shown == circuits.current_pdf(t.people["alcalde"], request.id)  # the bytes that are signed
    step_id = int(re.search(r'action="/signatures/(\d+)/sign"', page).group(1))  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    wrong = client.post(f"/signatures/{step_id}/sign", data={"csrf_token": token, "password": "no",
                                                             "task_id": task.id})
    assert wrong.status_code == 422  # the task page again, the refusal beside the password, which has the focus
    refused = wrong.get_data(as_text=True)
    assert 'id="password-error"' in refused and 'aria-describedby="password-error" autofocus' in refused
    assert f'action="/signatures/{step_id}/sign"' in refused and 'name="task_id"' in refused
    assert ready_ids(instance_id) == ["Task_decret"]
    signed = client.post(f"/signatures/{step_id}/sign", data={"csrf_token": token, "password": KEY_PASSWORD,
                                                              "task_id": task.id})
    assert signed.headers["Location"].endswith("/tasks")
    db.session.expire_all()
    assert ready_ids(instance_id) == ["Task_fe"]
    number = db.session.query(Decree).one().number
    assert number and re.fullmatch(r"DEC/\d{4}/0001", number)

    client.post("/logout", data={"csrf_token": token})
    login(client, "secretari.proves")
    queue = client.get("/signatures").get_data(as_text=True)
    step_ids = re.findall(r'data-step-id="(\d+)"', queue)
    assert len(step_ids) == 1
    token = re.search(r'name="csrf_token" value="([^"]+)"', queue).group(1)  # type: ignore[union-attr]
    attested = client.post("/signatures/batch", data={"csrf_token": token, "password": KEY_PASSWORD,
                                                      "step_id": step_ids})
    db.session.expire_all()
    assert ready_ids(instance_id) == ["Task_resolucio_notificada"]
    # the signed decree's title starts with its number: the message says the number once
    said = re.findall(r"<div class=\"alert alert-success\" role=\"status\">(.*?)</div>",
                      client.get(attested.headers["Location"]).get_data(as_text=True), re.S)
    numbered = [text for text in said if number in text]
    assert len(numbered) == 1 and numbered[0].count(number) == 1

    data = t.show(instance_id)["data"]
    doc = db.session.get(Document, data["doc_decret"]["document_id"])
    assert doc is not None and doc.version == 2
    pages = PdfReader(io.BytesIO(read_content(t.people["tramitador"], doc.id)[1])).pages
    assert len(pages) >= 2
    for page_pdf in pages:
        text = "".join(page_pdf.extract_text().split())  # the footer may wrap
        assert number in text and f"CSV{doc.csv}" in text and verify_url(doc.csv or "") in text


@pytest.mark.parametrize("reason", ["", "no"])
def test_returning_needs_a_reason(reason: str) -> None:
    t = town("instancia_generica.bpmn")
    instance_id = _to_the_mayor(t)
    with pytest.raises(Exception, match="Say why"):
        t.give_back(instance_id, "Task_decret", reason)
    db.session.rollback()
    assert ready_ids(instance_id) == ["Task_decret"]
