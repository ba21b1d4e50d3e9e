"""The new-expedient form refused and shown again: a NIF of a person already on record shows that person
(as the lookup does when typed), not the empty fields to add a new one; a new person keeps what was typed."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.base.db import db
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party, find_or_create_party
from tests.conftest import ctx_for
from tests.web_clerk import World, field_error, login_en, make_world, token

MARIA = "12345678Z"


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def maria(world: World) -> Party:
    party = find_or_create_party(ctx_for(world.clerk, world.tenant), MARIA, "Maria Soler Vidal",
                                 email="maria@example.org")
    db.session.commit()
    return party


def _refused(client: FlaskClient, world: World, **fields: str) -> str:
    """The form sent without a subject (refused), with ``fields``."""
    response = client.post("/expedients/new", data={"csrf_token": token(client), "process_model_id": world.model.id,
                                                    "subject": " ", **fields})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "subject") == "The subject is required."
    return html


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_refused_form_shows_the_party_on_record_not_fields_for_a_new_one(client: FlaskClient, world: World,
                                                                           maria: Party) -> None:
    login_en(client, "anna")

    page = lxml_html.fromstring(_refused(client, world, nif="12345678-z"))

    shown = page.xpath('//div[@id="party-details"]//*[@data-party-id]')
    assert [element.get("data-party-id") for element in shown] == [str(maria.id)]
    assert "Maria Soler Vidal" in shown[0].text_content() and MARIA in shown[0].text_content()
    assert page.xpath('//input[@id="nif"]/@value') == ["12345678-z"]  # as typed
    assert page.xpath('//input[@id="party_name"]') == []  # nothing to fill in for a new person
    assert "There is no interested party with this NIF yet" not in page.text_content()
    assert _count(Expedient) == 0


def test_sent_again_with_a_subject_it_opens_for_the_party_on_record(client: FlaskClient, world: World,
                                                                   maria: Party) -> None:
    login_en(client, "anna")
    _refused(client, world, nif=MARIA)

    opened = client.post("/expedients/new", data={"csrf_token": token(client), "process_model_id": world.model.id,
                                                  "nif": MARIA, "subject": "Certificat de convivència"})

    assert opened.status_code == 302
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Maria Soler Vidal" in page
    assert _count(Party) == 1 and db.session.get(Party, maria.id).name == "Maria Soler Vidal"


def test_a_new_person_refused_keeps_the_fields_typed_and_is_not_on_record(client: FlaskClient, world: World) -> None:
    login_en(client, "anna")

    page = lxml_html.fromstring(_refused(client, world, nif="87654321X", party_name="Pere Vila Pons",
                                         email="pere@example.org"))

    assert page.xpath('//div[@id="party-details"]//*[@data-party-id]') == []
    assert page.xpath('//input[@id="party_name"]/@value') == ["Pere Vila Pons"]
    assert page.xpath('//input[@id="email"]/@value') == ["pere@example.org"]
    assert _count(Party) == 0  # the refused form added nobody


def test_an_invalid_nif_refused_still_says_why(client: FlaskClient, world: World, maria: Party) -> None:
    login_en(client, "anna")
    response = client.post("/expedients/new", data={"csrf_token": token(client), "process_model_id": world.model.id,
                                                    "nif": "12345678A", "subject": "Certificat"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "nif") == "NIF/NIE/CIF 12345678A: the check letter or digit is wrong."
    assert f'data-party-id="{maria.id}"' not in html
