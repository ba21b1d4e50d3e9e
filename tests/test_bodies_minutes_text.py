"""The mayor returns the minutes for changes: the secretary corrects their free text (each item's
debate summary) on the session page, beside the mayor's reason, and the minutes drafted again print
it. What happened in the session (attendance, votes, results) cannot change there, every change is
audited, and signed minutes are final (ROF art. 109; Ley 40/2015 art. 18)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from engine.audit import AuditEvent
from engine.base.db import db
from engine.base.errors import Conflict
from engine.bodies import minutes, minutes_text, sessions
from engine.bodies.models import AgendaItem, Attendance, Body, BodySession
from engine.documents.documents import read_content
from engine.signatures import circuits
from tests.bodies_helpers import convened_session, during, hold, ple_town, present, propose, sign_all
from tests.conftest import csrf_token, login
from tests.procedures_helpers import ROLE_PEOPLE, Town
from tests.web_clerk import login_en

MAYOR = ROLE_PEOPLE["alcalde"]
THREE = ("Pere Font", "Laia Serra", "Joan Riera")
REASON = "Falta la intervenció del grup B."
EDITED = "El grup B demana que consti el cost de manteniment de la piscina."


def _returned_minutes(t: Town, ple: Body) -> BodySession:
    """A held Ple session (one item voted 4-0-0, debate "Sense debat.") whose minutes the mayor returned."""
    propose(t)
    session = hold(t, convened_session(t, ple), (4, 0, 0), *THREE)
    assert sign_all(t.people["secretari"]) == 1
    steps = circuits.pending_for(t.people["alcalde"])
    assert len(steps) == 1
    circuits.return_for_changes(t.people["alcalde"], steps[0].id, REASON)
    db.session.commit()
    return session


def _pdf_text(t: Town, document_id: int | None) -> str:
    assert document_id is not None
    pdf = read_content(t.people["secretari"], document_id)[1]
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _page(client, session_id: int) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/sessions/{session_id}").get_data(as_text=True)


def _post_text(client, session_id: int, data: dict):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/sessions/{session_id}")
    return client.post(f"/sessions/{session_id}/minutes/text", data={"csrf_token": token, **data})


def _item(session: BodySession) -> AgendaItem:
    db.session.expire_all()
    found = db.session.get(BodySession, session.id)
    assert found is not None
    return found.items[0]


def test_a_returned_minutes_debate_is_edited_beside_the_reason_and_the_new_minutes_print_it(client) -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    item = session.items[0]
    field = minutes_text.debate_field(item.id)

    login_en(client, "secretari.proves")
    html = _page(client, session.id)
    section = re.search(r'<section[^>]*id="minutes-text".*?</section>', html, re.S)
    assert section is not None, "the text form is where the returned-minutes notice is"
    assert 'id="returned-minutes"' in section.group(0) and "Falta la intervenció del grup B." in section.group(0)
    assert f'id="{field}"' in section.group(0) and "Sense debat." in section.group(0)
    assert "cannot be changed" in section.group(0)  # the help says the votes and attendance stay

    answer = _post_text(client, session.id, {field: f"  {EDITED}\r\n\r\n\r\nEl grup A hi està d'acord.  "})
    assert answer.status_code == 302
    assert "The text of the minutes is saved" in _page(client, session.id)
    assert _item(session).debate == f"{EDITED}\n\nEl grup A hi està d'acord."

    event = db.session.query(AuditEvent).filter_by(action="body.minutes_text_edited").one()
    assert event.before["debate"] == "Sense debat."
    assert event.after["debate"] == f"{EDITED}\n\nEl grup A hi està d'acord."
    assert event.actor and event.expedient_id == item.expedient_id

    returned_document = session.minutes_document_id
    assert client.post(f"/sessions/{session.id}/minutes",
                       data={"csrf_token": csrf_token(client, f"/sessions/{session.id}")}).status_code == 302
    db.session.expire_all()
    again = db.session.get(BodySession, session.id)
    assert again is not None and again.minutes_document_id not in (None, returned_document)
    text = _pdf_text(t, again.minutes_document_id)
    assert EDITED in text and "El grup A hi està d'acord." in text
    assert "Sense debat." not in text
    assert "4 a favor, 0 en contra, 0 abstencions — APROVAT" in text  # the vote as recorded
    assert not re.search(r'id="minutes-text"', _page(client, session.id))  # waiting for signatures again


def test_signed_minutes_cannot_be_edited_not_even_by_a_post(client) -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    secretary = t.people["secretari"]
    minutes.draft_minutes(secretary, session.id)
    db.session.commit()
    assert sign_all(secretary) == 1 and sign_all(t.people["alcalde"]) == 1
    db.session.expire_all()
    assert db.session.get(BodySession, session.id).minutes_signed  # type: ignore[union-attr]
    item = _item(session)

    login_en(client, "secretari.proves")
    assert 'id="minutes-text-form"' not in _page(client, session.id)
    answer = _post_text(client, session.id, {minutes_text.debate_field(item.id): EDITED})
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert 'id="minutes-text-error"' in html
    assert "The minutes are signed: their text can no longer be changed." in html
    assert _item(session).debate == "Sense debat."
    with pytest.raises(Conflict, match="signed"):
        minutes_text.edit_minutes_text(secretary, session.id, {item.id: EDITED})
    assert db.session.query(AuditEvent).filter_by(action="body.minutes_text_edited").count() == 0


def test_minutes_waiting_for_signatures_are_not_edited_behind_the_signers_back(client) -> None:
    t, ple = ple_town(7)
    propose(t)
    session = hold(t, convened_session(t, ple), (4, 0, 0), *THREE)  # drafted: in the signers' queue
    item = session.items[0]
    login(client, "secretari.proves")
    assert 'id="minutes-text-form"' not in _page(client, session.id)
    assert _post_text(client, session.id, {minutes_text.debate_field(item.id): EDITED}).status_code == 409
    assert _item(session).debate == "Sense debat."


def test_a_crafted_post_with_votes_attendance_or_results_changes_none_of_them(client) -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    item = session.items[0]
    attendance = {a.member_id: a.present for a in session.attendance}
    login(client, "secretari.proves")
    crafted = {
        minutes_text.debate_field(item.id): EDITED,
        "votes_for": "0", "against": "4", "abstentions": "0", "result": "rejected", "casting_vote": "against",
        f"votes_for-{item.id}": "0", f"result-{item.id}": "rejected", "title": "Un altre acord",
        "present": [str(m) for m in attendance], "place": "Un altre lloc", "debate": "un altre debat",
        minutes_text.debate_field(item.id + 1000): "un ítem d'una altra sessió",
    }
    assert _post_text(client, session.id, crafted).status_code == 302
    after = _item(session)
    assert after.debate == EDITED  # the debate is the only thing the form changes
    assert (after.votes_for, after.votes_against, after.abstentions, after.result) == (4, 0, 0, "approved")
    assert after.casting_vote is None and after.title == item.title
    rows = db.session.query(Attendance).filter_by(session_id=session.id).all()
    assert {a.member_id: a.present for a in rows} == attendance
    assert db.session.get(BodySession, session.id).place == "Sala de plens"  # type: ignore[union-attr]


def test_a_too_long_debate_is_refused_beside_its_field_as_typed(client) -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    item = session.items[0]
    field = minutes_text.debate_field(item.id)
    login(client, "secretari.proves")
    long_text = "Intervenció " + "x" * minutes_text.DEBATE_LIMIT
    answer = _post_text(client, session.id, {field: long_text})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'id="{field}-error"' in html and str(minutes_text.DEBATE_LIMIT) in html
    assert long_text in html  # the text comes back as typed
    assert 'id="returned-minutes"' in html  # the mayor's reason still beside it
    assert _item(session).debate == "Sense debat."


def test_without_the_csrf_token_nothing_changes(client) -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    item = session.items[0]
    login(client, "secretari.proves")
    answer = client.post(f"/sessions/{session.id}/minutes/text", data={minutes_text.debate_field(item.id): EDITED})
    assert answer.status_code == 400
    assert _item(session).debate == "Sense debat."


def test_the_mayor_reads_the_reason_but_gets_no_form_and_cannot_post(client) -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    item = session.items[0]
    login(client, "alcalde.proves")
    html = _page(client, session.id)
    assert 'id="returned-minutes"' in html and 'id="minutes-text-form"' not in html
    assert _post_text(client, session.id, {minutes_text.debate_field(item.id): EDITED}).status_code == 403
    assert _item(session).debate == "Sense debat."


def test_an_emptied_debate_leaves_the_minutes_without_one() -> None:
    t, ple = ple_town(7)
    session = _returned_minutes(t, ple)
    secretary = t.people["secretari"]
    changed = minutes_text.edit_minutes_text(secretary, session.id, {session.items[0].id: "  \n "})
    assert [i.id for i in changed] == [session.items[0].id]
    minutes.draft_minutes(secretary, session.id)
    db.session.commit()
    text = _pdf_text(t, session.minutes_document_id)
    assert "Sense debat." not in text and "Debat:" not in text


def test_before_the_first_draft_the_debate_is_corrected_and_drafted_in_one_step(client) -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    secretary = t.people["secretari"]
    with during(session):
        sessions.record_attendance(secretary, session.id, present(session, *THREE), {})
        sessions.vote_item(secretary, session.id, session.items[0].id, votes_for=3, against=1, abstentions=0,
                           debate="El grup B hi vota en contra")
        sessions.close_session(secretary, session.id)
    db.session.commit()
    item = session.items[0]
    field = minutes_text.debate_field(item.id)

    login_en(client, "secretari.proves")
    html = _page(client, session.id)
    assert 'id="minutes-text-form"' in html and 'id="returned-minutes"' not in html
    assert "Save and draft the minutes" in html
    answer = _post_text(client, session.id, {field: "El grup B hi vota en contra pel cost.", "then": "draft"})
    assert answer.status_code == 302
    assert "The minutes wait for the signatures of the secretary and the mayor." in _page(client, session.id)
    db.session.expire_all()
    drafted = db.session.get(BodySession, session.id)
    assert drafted is not None and drafted.minutes_number is not None
    assert "El grup B hi vota en contra pel cost." in _pdf_text(t, drafted.minutes_document_id)
