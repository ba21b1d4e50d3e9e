"""A party's postal details and notification channel as the clerk sees them: every missing postal field
flagged at once, in words that suit someone else's data, a postal code that is a Spanish one (desk, party
page, API, the citizen's own details), the desk's link to the party's page in a new tab (and a breadcrumb
back to the registry), no offer to change an entity's channel (art. 14.2 Ley 39/2015), and the channel
in words where a document is notified."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.base.db import db
from engine.documents.documents import issue_document, store_document
from engine.expedients.parties import Party, find_or_create_party
from engine.registry.entries import RegistryEntry
from engine.tenancy.tokens import create_token
from tests.conftest import csrf_token, ctx_for, login
from tests.test_seu import citizen_login, token_of
from tests.web_clerk import login_en, make_world, open_case

PERE = "12345678Z"
COMPANY = "B12345674"
PAPER = "Required for paper notifications."


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def pere(world) -> Party:
    """Pere Serra, in an expedient, notified on paper at home."""
    opened = open_case(world, nif=PERE, name="Pere Serra")
    party = _party(PERE)
    party.address, party.postal_code, party.municipality = "Carrer Vell 1", "25001", "Lleida"
    party.preferred_channel = "postal"
    db.session.commit()
    party.expedient_id = opened.expedient.id  # type: ignore[attr-defined]
    return party


def _party(nif: str) -> Party:
    db.session.expire_all()
    return db.session.execute(select(Party).where(Party.nif == nif)).scalar_one()


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _page(response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.get_data(as_text=True))


def _errors(page: lxml_html.HtmlElement) -> dict[str, str]:
    """The message beside each field (``<field>-error``), by field."""
    return {box.get("id").removesuffix("-error"): " ".join(box.text_content().split())
            for box in page.xpath('//*[contains(@class, "invalid-feedback")][@id]')}


def _desk(client, nif: str, **fields: str):
    data = {"csrf_token": csrf_token(client, "/registry/new"), "nif": nif, "party_name": "Laia Vidal",
            "subject": "Sol·licitud de gual", "channel": "in_person", "tipo_documental": "TD14",
            "preferred_channel": "postal", "address": "Carrer Major, 3", "postal_code": "25001",
            "municipality": "Lleida", **fields}
    return client.post("/registry/new", content_type="multipart/form-data", data=data)


def _edit(client, party: Party, **fields: str):
    url = f"/parties/{party.id}/edit"
    data = {"csrf_token": csrf_token(client, url), "name": party.name, "address": party.address or "",
            "postal_code": party.postal_code or "", "municipality": party.municipality or "", "email": "",
            "phone": "", "preferred_channel": party.preferred_channel, **fields}
    return client.post(url, data=data)


# -- 1 and 2: every missing field at once, in words for a clerk --------------------------------------


def test_the_desk_flags_every_missing_postal_field_at_once(client, world):
    login_en(client, "anna")
    refused = _desk(client, "00000000T", address="", postal_code="", municipality="")
    assert refused.status_code == 422
    errors = _errors(_page(refused))
    assert {field: errors.get(field) for field in ("address", "postal_code", "municipality")} == {
        "address": PAPER, "postal_code": PAPER, "municipality": PAPER}
    assert _count(RegistryEntry) == 0 and _count(Party) == 0


def test_the_party_page_flags_the_address_and_the_municipality_cleared(client, world, pere):
    login_en(client, "anna")
    refused = _edit(client, pere, address="", municipality="")
    assert refused.status_code == 422
    page = _page(refused)
    errors = _errors(page)
    assert (errors.get("address"), errors.get("municipality")) == (PAPER, PAPER)
    assert "postal_code" not in errors
    # the form's summary lists both, each linking to its field
    assert page.xpath('//*[@id="party-errors"]//a/@href') == ["#address", "#municipality"]
    assert _party(PERE).address == "Carrer Vell 1"


def test_the_clerk_is_not_addressed_as_the_person_notified(client, world):
    """Catalan, the default: whatever the translation, the message speaks of the notifications, not of "you"."""
    login(client, "anna")
    errors = _errors(_page(_desk(client, "00000000T", address="")))
    assert errors["address"] and "-vos" not in errors["address"] and "vostr" not in errors["address"]


# -- 3: a Spanish postal code -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2570", "53001", "00123", "2500A"])
def test_the_desk_refuses_a_postal_code_that_is_none_beside_it(client, world, typed):
    login_en(client, "anna")
    refused = _desk(client, "00000000T", postal_code=typed)
    assert refused.status_code == 422
    errors = _errors(_page(refused))
    assert f"postal code {typed} is not valid" in errors["postal_code"] and "5 digits" in errors["postal_code"]
    assert _count(Party) == 0


def test_the_desk_refuses_a_bad_postal_code_even_for_the_e_office(client, world):
    login_en(client, "anna")
    refused = _desk(client, "00000000T", preferred_channel="electronic", postal_code="2570", address="",
                    municipality="")
    assert refused.status_code == 422
    assert "is not valid" in _errors(_page(refused))["postal_code"]


def test_the_desk_keeps_a_good_postal_code(client, world):
    login_en(client, "anna")
    assert _desk(client, "00000000T", postal_code="08001").status_code == 302
    assert _party("00000000T").postal_code == "08001"


def test_the_party_page_refuses_a_postal_code_that_is_none(client, world, pere):
    login_en(client, "anna")
    refused = _edit(client, pere, postal_code="2570")
    assert refused.status_code == 422
    assert "postal code 2570 is not valid" in _errors(_page(refused))["postal_code"]
    assert _party(PERE).postal_code == "25001"
    assert _edit(client, pere, postal_code="52001").status_code == 302  # Melilla, the last province
    assert _party(PERE).postal_code == "52001"


def test_the_api_refuses_a_postal_code_that_is_none(client, world):
    secret = create_token(ctx_for(world.clerk, world.tenant), "script").secret
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    refused = client.post("/api/v1/parties", headers=headers,
                          json={"nif": "00000000T", "name": "Laia Vidal", "postal_code": "2570"})
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "postal_code" and "is not valid" in refused.get_json()["message"]
    added = client.post("/api/v1/parties", headers=headers,
                        json={"nif": "00000000T", "name": "Laia Vidal", "postal_code": "25001"})
    assert added.status_code == 201 and added.get_json()["postal_code"] == "25001"


def test_the_citizen_is_refused_a_postal_code_that_is_none_in_their_details(client, world, pere):
    citizen_login(client, world.tenant.code, PERE, "Pere Serra")
    client.post("/locale", data={"locale": "en", "csrf_token": token_of(client.get("/seu/").get_data(as_text=True))})
    path = f"/seu/{world.tenant.code}/les-meves-dades"
    token = token_of(client.get(path).get_data(as_text=True))
    refused = client.post(path, data={"csrf_token": token, "preferred_channel": "postal", "email": "",
                                      "address": "Carrer Vell 1", "postal_code": "2570", "municipality": "Lleida"})
    assert refused.status_code == 422
    assert "postal code 2570 is not valid" in _errors(_page(refused))["postal_code"]
    assert _party(PERE).postal_code == "25001"
    # and with nothing where to deliver, every field at once, in the same words
    empty = client.post(path, data={"csrf_token": token, "preferred_channel": "postal", "email": "",
                                    "address": "", "postal_code": "", "municipality": ""})
    errors = _errors(_page(empty))
    assert (errors.get("address"), errors.get("postal_code"), errors.get("municipality")) == (PAPER, PAPER, PAPER)


# -- 4 and 5: the desk's link to the party's page -------------------------------------------------


def test_the_desk_opens_the_party_page_in_a_new_tab_which_says_registry(client, world, pere):
    login_en(client, "anna")
    desk = _page(client.get(f"/registry/new?nif={PERE}"))
    link = desk.get_element_by_id("change-channel")
    assert (link.get("target"), link.get("rel")) == ("_blank", "noopener")
    assert link.xpath('.//*[contains(@class, "visually-hidden")]')[0].text_content().strip() == "(opens in a new tab)"
    party_page = _page(client.get(link.get("href")))
    crumbs = [" ".join(c.text_content().split()) for c in party_page.xpath('//ol[@class="breadcrumb"]/li')]
    assert crumbs == ["Registry", "Pere Serra"]


def test_the_party_page_from_an_expedient_still_says_expedients(client, world, pere):
    login_en(client, "anna")
    page = _page(client.get(f"/parties/{pere.id}/edit?expedient={pere.expedient_id}"
                            f"&next=/expedients/{pere.expedient_id}"))
    crumbs = [" ".join(c.text_content().split()) for c in page.xpath('//ol[@class="breadcrumb"]/li')]
    assert crumbs[0] == "Case files" and "Registry" not in crumbs


def test_an_entity_on_record_is_offered_no_change_of_channel_but_told_why(client, world):
    find_or_create_party(ctx_for(world.clerk, world.tenant), COMPANY, "Obres Roca, SL", email="obres@example.cat")
    db.session.commit()
    login_en(client, "anna")
    for path in (f"/registry/new?nif={COMPANY}", f"/registry/party-channel?nif={COMPANY}"):
        page = _page(client.get(path))
        assert not page.xpath('//*[@id="change-channel"]')
        assert "must be notified electronically" in page.get_element_by_id("channel-fixed-reason").text_content()
    filed = _desk(client, COMPANY, party_name="")
    assert filed.status_code == 302
    entry = _page(client.get(filed.headers["Location"]))
    assert not entry.xpath('//*[@id="change-channel"]')
    assert "art. 14.2" in entry.get_element_by_id("party-channel").text_content()


# -- 6: the channel in words where a document is notified -------------------------------------------


def test_notify_a_document_lists_each_party_with_the_channel_in_words(client, world, pere):
    ctx = ctx_for(world.clerk, world.tenant)
    doc = store_document(ctx, pere.expedient_id, "resolucio.pdf", b"%PDF-1.4\n%%EOF\n", title="Resolució",
                         tipo_documental="TD01", from_administration=True)
    issue_document(ctx, doc.id)
    db.session.commit()
    login_en(client, "anna")
    page = _page(client.get(f"/expedients/{pere.expedient_id}"))
    options = [" ".join(o.text_content().split()) for o in page.xpath('//select[@id="notify-party"]/option')]
    assert options == ["Pere Serra (12345678Z) · On paper"]
