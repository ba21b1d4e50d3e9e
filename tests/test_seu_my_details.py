"""Les meves dades in the e-office: the citizen sees their NIF and name as the municipality has them and
chooses how they are notified (paper or the e-office, art. 14.1 Ley 39/2015; entities always electronic,
art. 14.2) and where the notices go (art. 41.1); paper needs the postal address. Only ever their own."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import html as lxml_html
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.expedients.parties import Party, find_or_create_party
from tests.conftest import ctx_for, make_user
from tests.public_pages import municipality_frame
from tests.test_seu import citizen_login, token_of

MARIA_NIF = "12345678Z"
JORDI_NIF = "87654321X"
COMPANY_CIF = "B12345674"


def _party(nif: str) -> Party:
    db.session.expire_all()
    return db.session.execute(select(Party).where(Party.nif == nif)).scalar_one()


def _updates() -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == "party.updated")).scalars())


@pytest.fixture
def town(tenant):
    """Maria is on record on paper at her address (she came to the registry desk); Jordi never filed."""
    clerk = ctx_for(make_user("clerk", tenant, ("registre",)), tenant)
    find_or_create_party(clerk, MARIA_NIF, "Maria Puig i Serra", address="Carrer Major, 3", postal_code="25001",
                         municipality="Lleida", preferred_channel="postal")
    find_or_create_party(clerk, COMPANY_CIF, "Construccions Roca, SL", email="roca@example.cat")
    db.session.commit()
    return tenant


def _as(client: FlaskClient, town: Any, nif: str = MARIA_NIF, name: str = "Maria Puig i Serra") -> str:
    """``client`` identified as this citizen, reading English; the page's path."""
    citizen_login(client, town.code, nif, name)
    client.post("/locale", data={"locale": "en", "csrf_token": token_of(client.get("/seu/").get_data(as_text=True))})
    return f"/seu/{town.code}/les-meves-dades"


def _save(client: FlaskClient, path: str, **fields: str) -> Any:
    token = token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _error(page: Any, field: str) -> str:
    return " ".join(page.xpath(f'//*[@id="{field}-error"]')[0].text_content().split())


def _value(page: Any, field: str) -> str:
    return page.xpath(f'//input[@name="{field}"]/@value')[0]


def _checked(page: Any) -> list[str]:
    return page.xpath('//input[@name="preferred_channel"][@checked]/@value')


def test_the_folder_leads_to_my_details_which_needs_identification(client, town):
    path = f"/seu/{town.code}/les-meves-dades"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/entrar" in anonymous.headers["Location"]
    _as(client, town)
    folder = lxml_html.fromstring(client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True))
    [link] = folder.xpath('//a[@id="my-details-link"]')
    assert link.get("href") == path


def test_maria_sees_her_record_and_the_accessible_form(client, town):
    path = _as(client, town)
    page, _nav = municipality_frame(client.get(path).get_data(as_text=True), town.code, town.name)
    assert page.xpath("//h1")[0].text_content().strip() == "My details"
    shown = " ".join(page.xpath('//dl[@id="identification"]')[0].text_content().split())
    assert "Maria Puig i Serra" in shown and MARIA_NIF in shown
    assert _checked(page) == ["postal"]
    assert _value(page, "address") == "Carrer Major, 3" and _value(page, "municipality") == "Lleida"
    # the two choices are a group with its question, each labelled and explained
    [legend] = page.xpath('//fieldset[.//input[@name="preferred_channel"]]/legend')
    assert legend.text_content().strip() == "How do you want to be notified?"
    labels = {lab.get("for"): " ".join(lab.text_content().split()) for lab in page.xpath("//form//label")}
    assert labels["preferred_channel-postal"] == "On paper"
    assert labels["preferred_channel-electronic"] == "Electronically, in the e-office"
    assert {"email", "address", "postal_code", "municipality"} <= labels.keys()
    text = " ".join(page.text_content().split())
    assert "deemed rejected" in text and "ten natural days" in text  # art. 43.2
    assert "applies to the notifications made from then on" in text


def test_maria_switches_to_the_e_office_with_an_e_mail(client, town):
    path = _as(client, town)
    saved = _save(client, path, preferred_channel="electronic", email="maria@example.cat",
                  address="Carrer Major, 3", postal_code="25001", municipality="Lleida")
    assert saved.status_code == 302 and saved.headers["Location"].endswith(path)
    maria = _party(MARIA_NIF)
    assert maria.preferred_channel == "electronic" and maria.email == "maria@example.cat"
    [change] = _updates()
    assert change.actor == f"seu:{MARIA_NIF}" and change.object_id == str(maria.id)
    assert change.before is not None and change.after is not None
    assert (change.before["preferred_channel"], change.before["email"]) == ("postal", None)
    assert (change.after["preferred_channel"], change.after["email"]) == ("electronic", "maria@example.cat")
    page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
    assert "from now on" in page.xpath('//*[contains(@class, "alert-success")]')[0].text_content()
    assert _checked(page) == ["electronic"] and _value(page, "email") == "maria@example.cat"
    # saving it again unchanged records nothing
    again = _save(client, path, preferred_channel="electronic", email="maria@example.cat",
                  address="Carrer Major, 3", postal_code="25001", municipality="Lleida")
    assert again.status_code == 302 and len(_updates()) == 1


def test_paper_without_an_address_is_refused_beside_the_address(client, town):
    path = _as(client, town)
    refused = _save(client, path, preferred_channel="postal", email="maria@example.cat", address="  ",
                    postal_code="25001", municipality="Lleida")
    assert refused.status_code == 422
    page = lxml_html.fromstring(refused.get_data(as_text=True))
    assert _error(page, "address") == "Required for paper notifications."
    assert page.xpath('//input[@name="address"]/@aria-invalid') == ["true"]
    assert page.xpath('//*[@id="details-errors"]//a/@href') == ["#address"]  # the form's own summary
    # what was typed is still there
    assert _checked(page) == ["postal"] and _value(page, "email") == "maria@example.cat"
    assert _value(page, "postal_code") == "25001"
    maria = _party(MARIA_NIF)
    assert maria.address == "Carrer Major, 3" and maria.email is None and _updates() == []


def test_a_bad_e_mail_is_refused_beside_it(client, town):
    path = _as(client, town)
    refused = _save(client, path, preferred_channel="electronic", email="maria(at)example", address="",
                    postal_code="", municipality="")
    assert refused.status_code == 422
    page = lxml_html.fromstring(refused.get_data(as_text=True))
    assert "maria(at)example" in _error(page, "email") and "not valid" in _error(page, "email")
    assert _value(page, "email") == "maria(at)example" and _checked(page) == ["electronic"]
    maria = _party(MARIA_NIF)
    assert maria.preferred_channel == "postal" and maria.email is None and _updates() == []


def test_an_entity_is_always_notified_electronically(client, town):
    path = _as(client, town, COMPANY_CIF, "Construccions Roca, SL")
    page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
    assert page.xpath('//input[@name="preferred_channel"]') == []  # nothing to choose
    channel = " ".join(page.xpath('//*[@id="preferred_channel"]')[0].text_content().split())
    assert "Electronically, in the e-office" in channel and "art. 14.2" in channel
    refused = _save(client, path, preferred_channel="postal", email="roca@example.cat", address="Carrer Nou, 1",
                    postal_code="25002", municipality="Lleida")
    assert refused.status_code == 422
    assert "art. 14.2" in _error(lxml_html.fromstring(refused.get_data(as_text=True)), "preferred_channel")
    assert _party(COMPANY_CIF).preferred_channel == "electronic" and _updates() == []
    # its e-mail for the notices it may change
    assert _save(client, path, email="avisos@roca.example.cat", address="", postal_code="",
                 municipality="").status_code == 302
    company = _party(COMPANY_CIF)
    assert company.email == "avisos@roca.example.cat" and company.preferred_channel == "electronic"


def test_a_citizen_never_on_record_is_told_the_first_filing_creates_it(client, town):
    path = _as(client, town, JORDI_NIF, "Jordi Vidal Roca")
    page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
    assert "no record of you yet" in page.xpath('//*[@id="no-record"]')[0].text_content()
    assert page.xpath("//main//form") == []  # nothing to change
    token = token_of(client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True))
    tried = client.post(path, data={"csrf_token": token, "preferred_channel": "electronic", "email": "j@example.cat"})
    assert tried.status_code == 404
    assert db.session.execute(select(Party).where(Party.nif == JORDI_NIF)).scalar_one_or_none() is None


def test_another_citizen_sees_and_changes_only_their_own(app, town):
    maria, jordi = app.test_client(), app.test_client()
    path = _as(maria, town)
    assert _save(maria, path, preferred_channel="electronic", email="maria@example.cat", address="Carrer Major, 3",
                 postal_code="25001", municipality="Lleida").status_code == 302
    clerk = ctx_for(make_user("desk", town, ("registre",)), town)
    find_or_create_party(clerk, JORDI_NIF, "Jordi Vidal Roca", address="Plaça Nova, 8", postal_code="25003",
                         municipality="Lleida")
    db.session.commit()
    _as(jordi, town, JORDI_NIF, "Jordi Vidal Roca")
    html = jordi.get(path).get_data(as_text=True)
    assert "Jordi Vidal Roca" in html and JORDI_NIF in html
    assert "Maria" not in html and MARIA_NIF not in html and "maria@example.cat" not in html
    # whatever Jordi posts (even Maria's NIF or her party's id) changes his own record only
    maria_party = _party(MARIA_NIF)
    assert _save(jordi, path, preferred_channel="postal", email="jordi@example.cat", address="Plaça Nova, 8",
                 postal_code="25003", municipality="Lleida", nif=MARIA_NIF,
                 party_id=str(maria_party.id)).status_code == 302
    after = _party(MARIA_NIF)
    assert after.preferred_channel == "electronic" and after.email == "maria@example.cat"
    jordi_party = _party(JORDI_NIF)
    assert jordi_party.email == "jordi@example.cat"
    assert [e.object_id for e in _updates()] == [str(maria_party.id), str(jordi_party.id)]


def test_saving_needs_the_csrf_token(client, town):
    path = _as(client, town)
    refused = client.post(path, data={"preferred_channel": "electronic", "email": "maria@example.cat",
                                      "address": "Carrer Major, 3", "postal_code": "25001", "municipality": "Lleida"})
    assert refused.status_code == 400
    maria = _party(MARIA_NIF)
    assert maria.preferred_channel == "postal" and maria.email is None and _updates() == []
