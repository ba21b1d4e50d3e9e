"""The secretary's queue tells a decree the mayor signed (to attest) from a decree proposal, and the
attest page lists the signatures already on the decree and offers to attest it."""

from __future__ import annotations

from lxml import html as lxml_html

from engine.base.db import db
from engine.decrees.book import create_draft
from engine.signatures.circuits import request_signatures, return_for_changes, sign
from tests.records_helpers import new_expedient
from tests.test_signatures_helpers import KEY_PASSWORD, town
from tests.web_clerk import login_en


def _signed_by_the_mayor():  # type: ignore[no-untyped-def]
    people = town()
    expedient = new_expedient(people["clerk"])
    decree = create_draft(people["clerk"], title="Concessió de llicència", text="RESOLC: concedir.",
                          expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    return people, decree, request


def _row(page: str, step_id: int):  # type: ignore[no-untyped-def]
    return lxml_html.fromstring(page).xpath(f'//tr[@data-step-id="{step_id}"]')[0]


def test_the_secretary_attests_a_decree_the_mayor_signed(client) -> None:
    _people, _decree, request = _signed_by_the_mayor()
    step = request.steps[1]
    login_en(client, "secretary.ajt-proves")
    row = _row(client.get("/signatures").get_data(as_text=True), step.id)
    kind = row.xpath("./td")[3].text_content().strip()
    assert kind == "Decree (awaiting attestation)"
    page = lxml_html.fromstring(client.get(f"/signatures/{step.id}").get_data(as_text=True))
    made = page.xpath('//*[@id="signatures-made"]//li')
    assert [li.text_content().split(",")[0] for li in made] == ["Joan Batlle"]
    assert page.xpath('//form[@id="sign-form"]//button')[0].text_content().strip() == "Attest"


def test_sent_again_for_attestation_the_page_still_shows_the_mayors_signature(client) -> None:
    people, decree, request = _signed_by_the_mayor()
    return_for_changes(people["secretary"], request.steps[1].id, "Cal adjuntar l'informe jurídic")
    db.session.commit()
    again = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    assert [s.role for s in again.steps] == ["secretari"]
    login_en(client, "secretary.ajt-proves")
    queue = client.get("/signatures").get_data(as_text=True)
    assert _row(queue, again.steps[0].id).xpath("./td")[3].text_content().strip() == "Decree (awaiting attestation)"
    page = lxml_html.fromstring(client.get(f"/signatures/{again.steps[0].id}").get_data(as_text=True))
    made = [li.text_content() for li in page.xpath('//*[@id="signatures-made"]//li')]
    assert len(made) == 1 and made[0].startswith("Joan Batlle, on ")
    assert page.xpath('//form[@id="sign-form"]//button')[0].text_content().strip() == "Attest"


def test_the_mayor_still_signs_a_decree_proposal(client) -> None:
    people = town()
    decree = create_draft(people["clerk"], title="Concessió de llicència", text="RESOLC: concedir.",
                          expedient_id=new_expedient(people["clerk"]).id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    login_en(client, "mayor.ajt-proves")
    row = _row(client.get("/signatures").get_data(as_text=True), request.steps[0].id)
    assert row.xpath("./td")[3].text_content().strip() == "Decree proposal"
    page = lxml_html.fromstring(client.get(f"/signatures/{request.steps[0].id}").get_data(as_text=True))
    assert not page.xpath('//*[@id="signatures-made"]')
    assert page.xpath('//form[@id="sign-form"]//button')[0].text_content().strip() == "Sign"
