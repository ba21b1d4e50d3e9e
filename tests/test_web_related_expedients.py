"""Related expedients on the expedient page: a clerk sees them (number, state, subject, a link) and
relates one by its number; a mistyped number, another town's number or a closed expedient are
refused with the reason beside the form and nothing related. The API lists them too."""

from __future__ import annotations

import re

import pytest

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.expedients.expedients import expedient_relations
from tests.conftest import ctx_for, make_user
from tests.web_clerk import field_error, login_en, open_case, token


@pytest.fixture
def cases(world):
    call = open_case(world, subject="Subvencions a entitats esportives 2026").expedient
    application = open_case(world, subject="Sol·licitud de subvenció: Lliga de bàsquet", nif="39847512N",
                            name="Jordi Farré").expedient
    db.session.commit()
    return call, application


def _related_section(html: str) -> str:
    match = re.search(r'<section[^>]*id="related".*?</section>', html, re.S)
    assert match, "the page has no related expedients section"
    return match.group(0)


def _relations() -> list[tuple[int, int]]:
    return sorted((row[0], row[1]) for row in db.session.execute(db.select(expedient_relations)))


def test_relating_by_number_shows_each_on_the_others_page(client, world, cases):
    call, application = cases
    login_en(client, "anna")
    section = _related_section(client.get(f"/expedients/{application.id}").get_data(as_text=True))
    assert "None." in section and "Related case files" in section and 'name="number"' in section

    answer = client.post(f"/expedients/{application.id}/related",
                         data={"csrf_token": token(client), "number": f" {call.number} "})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/expedients/{application.id}#related")
    page = client.get(f"/expedients/{application.id}").get_data(as_text=True)
    assert f"Related to case file {call.number}." in page
    section = _related_section(page)
    assert f'href="/expedients/{call.id}">{call.number}</a>' in section
    assert "Subvencions a entitats esportives 2026" in section and ">Open</span>" in section

    other_side = _related_section(client.get(f"/expedients/{call.id}").get_data(as_text=True))
    assert f'href="/expedients/{application.id}">{application.number}</a>' in other_side
    assert "Lliga de bàsquet" in other_side
    # Both histories say so, once each, naming the other.
    events = db.session.execute(db.select(AuditEvent.expedient_id).where(AuditEvent.action == "expedient.related"))
    assert sorted(events.scalars()) == sorted([call.id, application.id])
    history = re.search(r"<ol class=\"timeline.*?</ol>", page, re.S).group(0)
    related = '<span class="action" title="expedient.related">related to another case file</span>'
    assert f"{related} — {call.number}" in history

    # Relating them again changes nothing.
    client.post(f"/expedients/{application.id}/related", data={"csrf_token": token(client), "number": call.number})
    assert _relations() == sorted([(call.id, application.id), (application.id, call.id)])


@pytest.mark.parametrize(("number", "reason"), [
    ("", "Give the number of the case file to relate, e.g. 2026/000012."),
    ("2026/999999", "No case file numbered 2026/999999."),
    ("carrer major", "No case file numbered carrer major."),
])
def test_a_wrong_number_is_explained_beside_the_form(client, world, cases, number, reason):
    _, application = cases
    login_en(client, "anna")
    answer = client.post(f"/expedients/{application.id}/related", data={"csrf_token": token(client), "number": number})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert field_error(html, "relate") == reason
    assert f'value="{number}"' in _related_section(html)  # what the clerk typed stays in the box
    assert _relations() == []


def test_itself_another_towns_number_and_a_closed_expedient_are_refused(client, world, cases):
    call, application = cases
    theirs = open_case(world, user=world.outsider, tenant=world.other_tenant, nif="00000000T", name="Pere Altre")
    db.session.commit()
    login_en(client, "anna")

    mine = client.post(f"/expedients/{application.id}/related",
                       data={"csrf_token": token(client), "number": application.number})
    assert field_error(mine.get_data(as_text=True), "relate") == "A case file cannot be related to itself."
    # Their expedient has a number of the same shape; here it is simply not one of ours.
    assert theirs.expedient.number == call.number
    their_id = client.post(f"/expedients/{theirs.expedient.id}/related",
                           data={"csrf_token": token(client), "number": call.number})
    assert their_id.status_code == 404
    assert _relations() == []

    from engine.documents.closing import close_expedient

    close_expedient(ctx_for(world.clerk, world.tenant), call.id)
    db.session.commit()
    closed_page = client.get(f"/expedients/{call.id}").get_data(as_text=True)
    assert 'name="number"' not in _related_section(closed_page)
    refused = client.post(f"/expedients/{call.id}/related",
                          data={"csrf_token": token(client), "number": application.number})
    assert refused.status_code == 409 and _relations() == []
    # An open one may still name a closed one (an application to a call already resolved).
    client.post(f"/expedients/{application.id}/related", data={"csrf_token": token(client), "number": call.number})
    assert len(_relations()) == 2


def test_only_those_who_open_expedients_relate_them(client, world, cases):
    call, application = cases
    make_user("dani", world.tenant, ("dissenyador",))
    db.session.commit()
    login_en(client, "toni")  # the technician sees the section without the form
    assert 'name="number"' not in _related_section(client.get(f"/expedients/{application.id}").get_data(as_text=True))
    assert client.post(f"/expedients/{application.id}/related",
                       data={"csrf_token": token(client), "number": call.number}).status_code == 403
    assert _relations() == []


def test_the_api_lists_the_related_expedients(client, world, cases):
    from engine.expedients.expedients import relate
    from engine.tenancy.tokens import create_token

    call, application = cases
    relate(ctx_for(world.clerk, world.tenant), application.id, call.id)
    secret = create_token(ctx_for(world.clerk, world.tenant), "integració").secret
    db.session.commit()
    body = client.get(f"/api/v1/expedients/{application.id}", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [(e["number"], e["subject"]) for e in body["related"]] == [(call.number, call.subject)]
