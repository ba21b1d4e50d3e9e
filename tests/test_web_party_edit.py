"""A clerk changes an interested party's address, contact data and notification channel from the
expedient page (Ley 39/2015 art. 14.1: a person may change the choice at any time; art. 14.2: an entity
is always electronic): saved, audited in the expedient's history, refusals beside their field."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.documents.documents import issue_document, store_document
from engine.expedients.parties import Party
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, open_case, ready_task, token

PERE_NIF = "12345678Z"
COMPANY_NIF = "B12345674"


@pytest.fixture
def pere(world):
    """Pere Serra's expedient, with a resolution to notify him: he came to the desk, so he is notified on
    paper at his old address."""
    opened = open_case(world, nif=PERE_NIF, name="Pere Serra")
    ctx = ctx_for(world.clerk, world.tenant)
    resolution = store_document(ctx, opened.expedient.id, "resolucio.pdf", b"%PDF-1.4\n%%EOF\n", title="Resolució",
                                tipo_documental="TD01", from_administration=True)
    issue_document(ctx, resolution.id)
    party = _party(PERE_NIF)
    party.address, party.postal_code, party.municipality = "Carrer Vell 1", "25001", "Lleida"
    db.session.commit()
    return {"expedient": opened.expedient, "party_id": party.id}


@pytest.fixture
def company(world):
    opened = open_case(world, subject="Llicència d'activitat", nif=COMPANY_NIF, name="Construccions Segre SL")
    db.session.commit()
    return {"expedient": opened.expedient, "party_id": _party(COMPANY_NIF).id}


def _party(nif: str) -> Party:
    db.session.expire_all()
    return db.session.execute(db.select(Party).where(Party.nif == nif)).scalar_one()


def _updates() -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "party.updated")).scalars())


def _edit_link(page: str, name: str) -> str:
    """The href of the "Edit" link beside ``name`` in the summary (the name read out to screen readers)."""
    match = re.search(rf'<a class="[^"]*party-edit" href="([^"]+)">Edit<span class="visually-hidden"> {name}</span>',
                      page)
    assert match, f"no Edit link for {name}"
    return html_lib.unescape(match.group(1))


def _hidden(page: str, name: str) -> str | None:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    return html_lib.unescape(match.group(1)) if match else None


def _form(client, url: str, **changes: str) -> dict[str, str]:
    """What the browser sends from the form at ``url`` with ``changes`` typed in."""
    page = re.search(r'<form[^>]*id="party-form".*?</form>', client.get(url).get_data(as_text=True), re.S).group(0)
    data = {"csrf_token": _hidden(page, "csrf_token") or ""}
    for field in ("expedient", "next"):
        if _hidden(page, field) is not None:
            data[field] = _hidden(page, field) or ""
    for field in ("name", "address", "postal_code", "municipality", "email", "phone"):
        match = re.search(rf'id="{field}" name="{field}"[^>]* value="([^"]*)"', page)
        data[field] = html_lib.unescape(match.group(1)) if match else ""
    checked = re.search(r'name="preferred_channel" id="[^"]+" value="(\w+)" checked', page)
    if checked:
        data["preferred_channel"] = checked.group(1)
    return {**data, **changes}


def test_a_clerk_changes_the_address_and_moves_pere_to_the_e_office(client, world, pere):
    login_en(client, "anna")
    eid = pere["expedient"].id
    page = client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert re.search(r"Pere Serra \(12345678Z\) · On paper</option>", page)  # the notify form's party
    url = _edit_link(page, "Pere Serra")

    form_page = client.get(url).get_data(as_text=True)
    assert "Edit Pere Serra" in form_page
    assert f'id="party-nif">{PERE_NIF}<' in form_page and "natural person" in form_page
    assert 'id="name" name="name"' in form_page and 'name="nif"' not in form_page  # the NIF is not editable
    assert 'value="postal" checked' in form_page and "On paper" in form_page
    assert "Electronically, in the e-office" in form_page

    done = client.post(url.split("?")[0], data=_form(client, url, address="Plaça Major 7, 2n", postal_code="25002",
                                                      preferred_channel="electronic"))
    assert done.status_code == 302 and done.headers["Location"] == f"/expedients/{eid}"

    shown = client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert "The changes to Pere Serra are saved." in shown
    assert "interested party changed" in shown  # in the expedient's history
    # notified electronically now
    assert re.search(r"Pere Serra \(12345678Z\) · Electronically, in the e-office</option>", shown)
    party = _party(PERE_NIF)
    assert (party.address, party.postal_code, party.preferred_channel) == ("Plaça Major 7, 2n", "25002", "electronic")
    [event] = _updates()
    assert event.expedient_id == eid
    assert (event.before["address"], event.after["address"]) == ("Carrer Vell 1", "Plaça Major 7, 2n")
    assert (event.before["preferred_channel"], event.after["preferred_channel"]) == ("postal", "electronic")
    again = client.get(url).get_data(as_text=True)
    assert 'value="Plaça Major 7, 2n"' in again and 'value="electronic" checked' in again


def test_from_the_task_page_the_clerk_comes_back_to_the_task(client, world, pere):
    login_en(client, "anna")
    task = ready_task(pere["expedient"].id)
    url = _edit_link(client.get(f"/tasks/{task.id}").get_data(as_text=True), "Pere Serra")
    done = client.post(url.split("?")[0], data=_form(client, url, phone="973 000 111"))
    assert done.status_code == 302 and done.headers["Location"] == f"/tasks/{task.id}"
    assert _party(PERE_NIF).phone == "973 000 111"


def test_next_never_leaves_the_site(client, world, pere):
    login_en(client, "anna")
    eid, pid = pere["expedient"].id, pere["party_id"]
    data = _form(client, f"/parties/{pid}/edit?expedient={eid}", phone="973 000 222",
                 next="https://evil.example/")
    done = client.post(f"/parties/{pid}/edit", data=data)
    assert done.status_code == 302 and done.headers["Location"] == f"/expedients/{eid}"


def test_an_entity_cannot_be_notified_on_paper(client, world, company):
    login_en(client, "anna")
    eid, pid = company["expedient"].id, company["party_id"]
    url = f"/parties/{pid}/edit?expedient={eid}"
    page = client.get(url).get_data(as_text=True)
    assert "legal person or entity" in page
    assert 'name="preferred_channel"' not in page  # no choice offered...
    assert "Electronically, in the e-office" in page and "art. 14.2" in page  # ...and why

    refused = client.post(f"/parties/{pid}/edit", data=_form(client, url, address="Polígon Est, nau 4",
                                                             preferred_channel="postal"))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "must be notified electronically" in field_error(body, "preferred_channel")
    assert 'value="Polígon Est, nau 4"' in body  # what was typed is kept
    party = _party(COMPANY_NIF)
    assert party.preferred_channel == "electronic" and party.address is None
    assert _updates() == []


@pytest.mark.parametrize(("field", "typed", "reason"), [
    ("email", "pere@@nowhere", "is not valid"),
    ("postal_code", "25001-25002", "is not valid"),
])
def test_bad_input_is_refused_beside_its_field_with_what_was_typed(client, world, pere, field, typed, reason):
    login_en(client, "anna")
    eid, pid = pere["expedient"].id, pere["party_id"]
    url = f"/parties/{pid}/edit?expedient={eid}"
    refused = client.post(f"/parties/{pid}/edit", data=_form(client, url, address="Plaça Major 7", **{field: typed}))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert reason in field_error(body, field)
    assert re.search(rf'id="{field}" name="{field}"[^>]* value="{re.escape(html_lib.escape(typed))}"', body)
    assert f'aria-describedby="{field}-error"' in body
    assert 'value="Plaça Major 7"' in body
    assert _party(PERE_NIF).address == "Carrer Vell 1" and _updates() == []


def test_on_paper_pere_keeps_an_address_to_be_notified_at(client, world, pere):
    login_en(client, "anna")
    eid, pid = pere["expedient"].id, pere["party_id"]
    url = f"/parties/{pid}/edit?expedient={eid}"
    refused = client.post(f"/parties/{pid}/edit", data=_form(client, url, address="", postal_code=""))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert field_error(body, "address") == "Required for paper notifications."
    assert _party(PERE_NIF).address == "Carrer Vell 1" and _updates() == []


def test_another_municipalitys_party_is_not_found(client, world, pere):
    theirs = open_case(world, user=world.outsider, tenant=world.other_tenant, nif="00000000T", name="Pere Altre")
    db.session.commit()
    their_party = _party("00000000T")
    login_en(client, "anna")
    assert client.get(f"/parties/{their_party.id}/edit").status_code == 404
    assert client.post(f"/parties/{their_party.id}/edit", data={
        "csrf_token": token(client), "name": "Pere Canviat", "address": "Aquí"}).status_code == 404
    # Nor may one's own party be tied to the neighbour's expedient (its history would show the change).
    own = pere["party_id"]
    assert client.get(f"/parties/{own}/edit?expedient={theirs.expedient.id}").status_code == 404
    assert client.post(f"/parties/{own}/edit", data={
        "csrf_token": token(client), "expedient": str(theirs.expedient.id), "name": "Pere Serra",
        "address": "Aquí"}).status_code == 404
    assert _party("00000000T").name == "Pere Altre" and _party(PERE_NIF).address == "Carrer Vell 1"
    assert _updates() == []


def test_a_technician_sees_no_edit_link_and_may_not_edit(client, world, pere):
    login_en(client, "toni")
    eid, pid = pere["expedient"].id, pere["party_id"]
    page = client.get(f"/expedients/{eid}").get_data(as_text=True)
    assert "Pere Serra" in page and "party-edit" not in page
    assert client.get(f"/parties/{pid}/edit").status_code == 403
    assert client.post(f"/parties/{pid}/edit", data={
        "csrf_token": token(client), "name": "Pere Serra", "address": "Aquí"}).status_code == 403
    assert _party(PERE_NIF).address == "Carrer Vell 1"


def test_csrf_is_required(client, world, pere):
    login_en(client, "anna")
    pid = pere["party_id"]
    assert client.post(f"/parties/{pid}/edit", data={"name": "Pere Serra", "address": "Aquí",
                                                     "preferred_channel": "electronic"}).status_code == 400
    party = _party(PERE_NIF)
    assert party.address == "Carrer Vell 1" and party.preferred_channel == "postal"
    assert _updates() == []


def test_saving_without_a_change_adds_nothing_to_the_history(client, world, pere):
    login_en(client, "anna")
    eid, pid = pere["expedient"].id, pere["party_id"]
    url = f"/parties/{pid}/edit?expedient={eid}"
    assert client.post(f"/parties/{pid}/edit", data=_form(client, url)).status_code == 302
    assert _updates() == []


def test_the_secretary_may_edit_too(client, world, pere):
    login_en(client, "sergi")
    pid = pere["party_id"]
    done = client.post(f"/parties/{pid}/edit", data=_form(client, f"/parties/{pid}/edit", email="pere@example.cat"))
    assert done.status_code == 302 and done.headers["Location"] == "/expedients"
    assert _party(PERE_NIF).email == "pere@example.cat"
