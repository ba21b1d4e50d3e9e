"""The expedient's history says what a change of an interested party changed, in the words of the party's
form ("Pere Serra: Notification channel: On paper → Electronically, in the e-office; changes in: Address"),
never a stored field name or code."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from engine.base.db import db
from engine.expedients.parties import Party, update_party
from tests.conftest import ctx_for, login
from tests.web_clerk import login_en, make_world, open_case, token

PERE_NIF = "12345678Z"
#: What the history must never show: the stored names of the fields and the codes of the channels.
RAW = re.compile(r"\b(preferred_channel|postal_code|representative_id|postal|electronic)\b")


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def pere(world) -> dict[str, int]:
    """Pere Serra's expedient; he came to the desk, so he is notified on paper at his old address."""
    opened = open_case(world, nif=PERE_NIF, name="Pere Serra")
    party = db.session.execute(db.select(Party).where(Party.nif == PERE_NIF)).scalar_one()
    party.address, party.postal_code, party.municipality = "Carrer Vell 1", "25001", "Lleida"
    db.session.commit()
    return {"expedient": opened.expedient.id, "party": party.id}


def _changes_shown(client, expedient_id: int) -> list[str]:
    """The party changes the expedient's history tells, newest first."""
    page = lxml_html.fromstring(client.get(f"/expedients/{expedient_id}").get_data(as_text=True))
    return [" ".join(span.text_content().split()) for span in page.xpath('//ol[contains(@class, "timeline")]'
                                                                         '//span[@class="party-change"]')]


def test_a_change_made_on_the_partys_form_is_told_in_the_history(client, world, pere):
    login_en(client, "anna")
    eid = pere["expedient"]
    saved = client.post(f"/parties/{pere['party']}/edit", data={
        "csrf_token": token(client), "expedient": str(eid), "name": "Pere Serra", "address": "Plaça Major 7, 2n",
        "postal_code": "25002", "municipality": "Lleida", "email": "", "phone": "",
        "preferred_channel": "electronic"})
    assert saved.status_code == 302
    [line] = _changes_shown(client, eid)
    assert line == "Pere Serra: Notification channel: On paper → Electronically, in the e-office; " \
                   "changes in: Address, Postal code"
    assert not RAW.search(line) and "Plaça Major" not in line  # labels, not codes; the address is not copied


def test_a_new_name_and_contact_data_are_told_as_the_form_names_them(client, world, pere):
    ctx = ctx_for(world.clerk, world.tenant)
    eid = pere["expedient"]
    update_party(ctx, pere["party"], expedient_id=eid, name="Pere Serra i Vidal", email="pere@example.cat",
                 phone="973 000 000")
    db.session.commit()
    update_party(ctx, pere["party"], expedient_id=eid, municipality="Alcoletge")
    db.session.commit()
    login_en(client, "anna")
    assert _changes_shown(client, eid) == [
        "Pere Serra i Vidal: changes in: Municipality",
        "Pere Serra i Vidal: Name or company name: Pere Serra → Pere Serra i Vidal; changes in: E-mail, Phone",
    ]


def test_in_catalan_the_history_line_shows_no_codes(client, world, pere):
    """The default language: the words are the catalogue's, never the stored codes."""
    update_party(ctx_for(world.clerk, world.tenant), pere["party"], expedient_id=pere["expedient"],
                 preferred_channel="electronic", address="Plaça Major 7")
    db.session.commit()
    login(client, "anna")
    [line] = _changes_shown(client, pere["expedient"])
    assert line.startswith("Pere Serra: ") and "→" in line and not RAW.search(line)
