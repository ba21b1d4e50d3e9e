"""The registry desk and a person already on record: the new entry's form shows the channel on record (and,
on paper, where it goes) with a link to change it on the party's page, instead of a choice it would ignore;
without JavaScript the entry is filed, the channel kept and the confirmation says which."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.expedients.parties import Party, find_or_create_party
from engine.registry.entries import RegistryEntry
from tests.conftest import ctx_for
from tests.test_web_registry import WHERE_TO_NOTIFY
from tests.web_clerk import field_error, login_en, make_world, token

MARIA = "12345678Z"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def maria(world) -> Party:
    """Maria Soler Vidal, on record, notified on paper at home."""
    party = find_or_create_party(ctx_for(world.clerk, world.tenant), MARIA, "Maria Soler Vidal",
                                 preferred_channel="postal", address="Carrer Major, 3", postal_code="25001",
                                 municipality="Lleida")
    db.session.commit()
    return party


def _page(response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(page: lxml_html.HtmlElement, dom_id: str) -> str:
    return " ".join(page.get_element_by_id(dom_id).text_content().split())


def _channel_radios(page: lxml_html.HtmlElement) -> list[str]:
    return [box.get("value") for box in page.xpath('//input[@name="preferred_channel"]')]


def _file(client, **fields):
    data = {"csrf_token": token(client), "subject": "Sol·licitud de gual", "channel": "in_person",
            "tipo_documental": "TD14", **fields}
    return client.post("/registry/new", content_type="multipart/form-data", data=data)


def _updates() -> int:
    return db.session.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "party.updated")).scalar_one()


def test_the_desk_shows_the_channel_on_record_instead_of_asking(client, world, maria):
    login_en(client, "anna")
    page = _page(client.get(f"/registry/new?nif={MARIA}"))
    assert _channel_radios(page) == []  # nothing to choose that would be ignored
    assert _text(page, "channel-on-record") == "On paper · Carrer Major, 3, 25001 Lleida"
    assert "Maria Soler Vidal is already on record" in _text(page, "channel-on-record-help")
    assert page.get_element_by_id("party-details").xpath(".//strong")[0].text == "Maria Soler Vidal"
    assert not page.xpath('//input[@name="party_name"]')  # nor the details of a new person
    change = page.get_element_by_id("change-channel")
    # in a new tab, so what the clerk typed on the desk stays; screen readers are told
    assert " ".join(change.text_content().split()) == "Change it on the party's page (opens in a new tab)"
    assert (change.get("target"), change.get("rel")) == ("_blank", "noopener")
    assert urlsplit(change.get("href")).path == f"/parties/{maria.id}/edit"


def test_the_nif_lookup_answers_with_the_channel_on_record_or_the_choice(client, world, maria):
    """What htmx swaps in when the NIF typed changes."""
    login_en(client, "anna")
    known = _page(client.get(f"/registry/party-channel?nif={MARIA.lower()}"))  # any spelling
    assert _text(known, "channel-on-record") == "On paper · Carrer Major, 3, 25001 Lleida"
    assert _channel_radios(known) == []

    newcomer = _page(client.get("/registry/party-channel?nif=X1234567L&preferred_channel=electronic"))
    assert _channel_radios(newcomer) == ["postal", "electronic"]
    assert newcomer.xpath('//input[@name="preferred_channel"][@checked]')[0].get("value") == "electronic"  # kept

    company = _page(client.get("/registry/party-channel?nif=B12345674"))
    assert _channel_radios(company) == []  # an entity has no choice (art. 14.2)
    assert _text(company, "channel-fixed") == "Electronically, in the e-office"

    assert _channel_radios(_page(client.get("/registry/party-channel?nif=1234"))) == ["postal", "electronic"]


def test_another_municipalitys_party_is_not_on_record_here(client, world, maria):
    login_en(client, "oriol")
    page = _page(client.get(f"/registry/party-channel?nif={MARIA}"))
    assert _channel_radios(page) == ["postal", "electronic"] and not page.xpath('//*[@id="channel-on-record"]')


def test_without_javascript_the_entry_is_filed_and_the_channel_kept_and_said(client, world, maria):
    """The form did not know the NIF yet, so it offered the radios: what was ticked is not applied."""
    login_en(client, "anna")
    filed = _file(client, nif=MARIA, preferred_channel="electronic", party_name="", address="", postal_code="",
                  municipality="")
    assert filed.status_code == 302
    entry = db.session.execute(select(RegistryEntry)).scalar_one()
    assert entry.party_id == maria.id
    db.session.expire_all()
    assert db.session.get(Party, maria.id).preferred_channel == "postal" and _updates() == 0  # never silently

    shown = _page(client.get(filed.headers["Location"]))
    said = " ".join(shown.xpath('//div[@role="status"]/text()'))
    assert ("Maria Soler Vidal was already on record and is still notified by the channel on record: On paper."
            in said)
    assert _text(shown, "party-channel").startswith("On paper ·")
    change = shown.get_element_by_id("change-channel")
    assert urlsplit(change.get("href")).path == f"/parties/{maria.id}/edit"


def test_a_refused_entry_of_a_known_person_still_shows_them_on_record(client, world, maria):
    login_en(client, "anna")
    refused = _file(client, nif=MARIA, subject="")
    assert refused.status_code == 422
    page = _page(refused)
    assert field_error(refused.get_data(as_text=True), "subject")
    assert _text(page, "channel-on-record").startswith("On paper")
    assert not page.xpath('//input[@name="party_name"]') and _channel_radios(page) == []
    assert db.session.execute(select(func.count()).select_from(RegistryEntry)).scalar_one() == 0


def test_a_new_person_is_still_asked_how_to_be_notified(client, world):
    login_en(client, "anna")
    assert _channel_radios(_page(client.get("/registry/new"))) == ["postal", "electronic"]
    refused = _file(client, nif="X1234567L", party_name="John Smith", preferred_channel="electronic", subject="")
    assert refused.status_code == 422
    page = _page(refused)
    assert page.xpath('//input[@name="preferred_channel"][@checked]')[0].get("value") == "electronic"
    assert _file(client, nif="X1234567L", party_name="John Smith", **WHERE_TO_NOTIFY).status_code == 302
    shown = client.get(f"/registry/{db.session.execute(select(RegistryEntry)).scalar_one().id}")
    assert "already on record" not in shown.get_data(as_text=True)  # nobody was on record


def test_the_channel_is_changed_on_the_partys_page_and_the_desk_shows_it(client, world, maria):
    login_en(client, "anna")
    desk = _page(client.get(f"/registry/new?nif={MARIA}"))
    edit_url = desk.get_element_by_id("change-channel").get("href")
    form = _page(client.get(edit_url)).get_element_by_id("party-form")
    data = {box.get("name"): box.get("value") or "" for box in form.xpath(".//input[@type!='radio']")}
    saved = client.post(form.get("action"), data={**data, "preferred_channel": "electronic"})
    assert saved.status_code == 302
    back = saved.headers["Location"]
    assert urlsplit(back).path == "/registry/new"
    assert _text(_page(client.get(back)), "channel-on-record") == "Electronically, in the e-office"
    db.session.expire_all()
    assert db.session.get(Party, maria.id).preferred_channel == "electronic" and _updates() == 1
