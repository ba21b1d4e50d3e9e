"""What a secretary walking a Ple session from agenda to certificate runs into: the minutes read like
minutes (their headings, one abstention), a convocation, minutes or certificate the mayor returns for
changes can be drafted again, nothing is recorded before the session begins (attendance, votes, the
closing: Ley 40/2015 art. 17, ROF art. 87), minutes are approved once (ROF art. 91.1), and the debate
before a repeated vote stays in the minutes beside the repeat's (LBRL art. 46.2.d, ROF art. 109)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from engine.base.clock import local_date
from engine.base.db import db
from engine.base.errors import Conflict
from engine.bodies import certificates, minutes, sessions
from engine.bodies.models import AgendaItem, BodySession
from engine.bodies.proposals import pending_proposals
from engine.documents.documents import read_content
from engine.signatures import circuits
from tests.bodies_helpers import (
    approve_minutes,
    convened_session,
    during,
    hold,
    ple_town,
    present,
    propose,
    sign_all,
    working_days_ahead,
)
from tests.conftest import csrf_token
from tests.procedures_helpers import ROLE_PEOPLE, Town, ready_ids
from tests.web_clerk import login_en

MAYOR = ROLE_PEOPLE["alcalde"]
THREE = ("Pere Font", "Laia Serra", "Joan Riera")


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _pdf(t: Town, document_id: int | None) -> str:
    assert document_id is not None
    return _text(read_content(t.people["secretari"], document_id)[1])


def _return_all(signer_ctx, reason: str) -> int:  # type: ignore[no-untyped-def]
    """The signer returns every step waiting in their queue, with ``reason``; how many."""
    steps = circuits.pending_for(signer_ctx)
    for step in steps:
        circuits.return_for_changes(signer_ctx, step.id, reason)
    db.session.commit()
    return len(steps)


def _page(client, session_id: int) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/sessions/{session_id}").get_data(as_text=True)


def _post(client, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    """Post a form of a session page (``/sessions/<id>/...``), with that page's CSRF token."""
    page = "/".join(path.split("/")[:3])
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


# -- 1. the minutes and the certificate read as such ---------------------------------------------


def test_the_minutes_head_the_items_dealt_with_and_one_abstention_is_singular() -> None:
    t, ple = ple_town(7)
    propose(t)
    session = hold(t, convened_session(t, ple), (3, 0, 1), *THREE)
    convocation, acta = _pdf(t, session.convocation_document_id), _pdf(t, session.minutes_document_id)
    assert "Ordre del dia" in convocation
    assert "Assumptes tractats" in acta  # the heading of the items dealt with (ROF art. 109.1.g)
    for text in (convocation, acta):
        assert "built-in method" not in text and "<" not in text
    assert "3 a favor, 0 en contra, 1 abstenció — APROVAT" in acta
    assert "1 abstencions" not in acta

    sign_all(t.people["secretari"])
    sign_all(t.people["alcalde"])
    item = certificates.issue_certificate(t.people["secretari"], session.items[0].id)
    db.session.commit()
    certificate = _pdf(t, item.certificate_document_id)
    assert "(3 vots a favor, 0 en contra i 1 abstenció)" in certificate
    assert "built-in method" not in certificate


# -- 2. returned for changes ------------------------------------------------------------------


def test_a_returned_convocation_says_who_and_why_and_is_convened_again(client) -> None:
    t, ple = ple_town(7)
    propose(t)
    secretary, mayor = t.people["secretari"], t.people["alcalde"]
    session = sessions.create_session(secretary, ple.id, kind="ordinary", starts_at=working_days_ahead(t, 4),
                                      place="Sala de plens")
    sessions.add_proposal(secretary, session.id, pending_proposals(secretary, ple.id)[0].id)
    sessions.convene(secretary, session.id)
    db.session.commit()
    first_document = session.convocation_document_id
    assert _return_all(mayor, "Cal afegir la moció sobre la piscina.") == 1

    login_en(client, "secretari.proves")
    html = _page(client, session.id)
    assert 'data-returned="convocation"' in html and "returned for changes" in html
    notice = re.search(r'id="returned-convocation">(.*?)</div>', html, re.S)
    assert notice is not None
    assert MAYOR in notice.group(1) and "Cal afegir la moció sobre la piscina." in notice.group(1)
    assert "Convene again: send to the mayor to sign" in html
    assert 'id="agenda-form"' in html  # the agenda can change before convening again

    # the mayor asked for another item: it joins the agenda as an ordinary one (not urgent)
    propose(t, "Moció sobre la piscina")
    late = sessions.add_proposal(secretary, session.id, pending_proposals(secretary, ple.id)[0].id)
    db.session.commit()
    assert not late.urgent

    assert _post(client, f"/sessions/{session.id}/convene").status_code == 302
    db.session.expire_all()
    again = db.session.get(BodySession, session.id)
    assert again is not None and again.status == "convening"
    assert again.convocation_document_id not in (None, first_document)
    assert "Moció sobre la piscina" in _pdf(t, again.convocation_document_id)
    assert "returned-convocation" not in _page(client, session.id)
    assert sign_all(mayor) == 1
    db.session.expire_all()
    assert db.session.get(BodySession, session.id).status == "convened"  # type: ignore[union-attr]


def test_a_convocation_still_waiting_for_the_mayor_cannot_be_convened_twice() -> None:
    t, ple = ple_town(7)
    propose(t)
    secretary = t.people["secretari"]
    session = sessions.create_session(secretary, ple.id, kind="ordinary", starts_at=working_days_ahead(t, 4),
                                      place="Sala de plens")
    sessions.add_proposal(secretary, session.id, pending_proposals(secretary, ple.id)[0].id)
    sessions.convene(secretary, session.id)
    db.session.commit()
    with pytest.raises(Conflict, match="already convened"):
        sessions.convene(secretary, session.id)


def test_returned_minutes_and_certificate_are_drafted_again_and_keep_the_books_number(client) -> None:
    t, ple = ple_town(7)
    instance_id = propose(t)
    secretary, mayor = t.people["secretari"], t.people["alcalde"]
    session = hold(t, convened_session(t, ple), (4, 0, 0), *THREE)
    year = local_date(session.starts_at).year
    first_minutes = session.minutes_document_id
    assert sign_all(secretary) == 1
    assert _return_all(mayor, "Falta la intervenció del grup B.") == 1  # the vistiplau is refused

    login_en(client, "secretari.proves")
    html = _page(client, session.id)
    notice = re.search(r'id="returned-minutes">(.*?)</div>', html, re.S)
    assert notice is not None and MAYOR in notice.group(1) and "Falta la intervenció del grup B." in notice.group(1)
    assert "Draft the minutes again" in html
    assert _post(client, f"/sessions/{session.id}/minutes").status_code == 302
    db.session.expire_all()
    session = db.session.get(BodySession, session.id)  # type: ignore[assignment]
    assert session.minutes_document_id not in (None, first_minutes)
    assert session.minutes_number == f"1/{year}"  # the same number: the book has no gap
    assert sign_all(secretary) == 1 and sign_all(mayor) == 1
    db.session.refresh(session)
    assert session.minutes_signed
    assert [s.minutes_number for s in minutes.book(secretary, ple.id, year)] == [f"1/{year}"]
    # the body page offers the book of the years that have minutes, no others
    books = re.search(r'<p id="minutes-books">(.*?)</p>', client.get(f"/bodies/{ple.id}").get_data(as_text=True))
    assert books is not None and re.findall(r">(\d{4}) \(PDF\)<", books.group(1)) == [str(year)]

    item = certificates.issue_certificate(secretary, session.items[0].id)
    db.session.commit()
    sign_all(secretary)
    assert _return_all(mayor, "El títol de l'acord no és correcte.") == 1
    html = _page(client, session.id)
    assert f'id="returned-item-{item.id}"' in html and "El títol de l&#39;acord no és correcte." in html
    assert "Issue the certificate again" in html
    assert _post(client, f"/sessions/{session.id}/items/{item.id}/certificate").status_code == 302
    sign_all(secretary)
    sign_all(mayor)
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).certificate_signed  # type: ignore[union-attr]
    assert ready_ids(instance_id) == ["Task_atorgar"]  # the licence moves on with the signed certificate


# -- 3. nothing happens before the session begins ----------------------------------------------


def test_attendance_votes_and_closing_wait_for_the_sessions_start(client) -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    secretary = t.people["secretari"]
    starts = working_days_ahead(t, 3)  # what convened_session sets: 19:00 of the third working day
    with pytest.raises(Conflict) as refused:
        sessions.record_attendance(secretary, session.id, present(session, *THREE), {})
    message = str(refused.value)
    assert "19:00" in message and str(starts.year) in message and str(starts.day) in message
    with pytest.raises(Conflict, match="19:00"):
        sessions.vote_item(secretary, session.id, session.items[0].id, votes_for=4, against=0, abstentions=0)
    with pytest.raises(Conflict, match="19:00"):
        sessions.close_session(secretary, session.id)
    db.session.rollback()

    login_en(client, "secretari.proves")
    html = _page(client, session.id)
    assert 'id="not-started"' in html and 'id="attendance-form"' not in html
    refused_post = client.post(f"/sessions/{session.id}/close", follow_redirects=True,
                               data={"csrf_token": csrf_token(client, f"/sessions/{session.id}")})
    assert "attendance, votes and the closing are recorded from then on" in refused_post.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BodySession, session.id).status == "convened"  # type: ignore[union-attr]

    with during(session, after=0):  # 19:00 sharp: the session begins
        sessions.record_attendance(secretary, session.id, present(session, *THREE), {})
        html = _page(client, session.id)
        assert 'id="attendance-form"' in html
        # 7 members: the quorum is a third, 3 (LBRL art. 46.2.c); the president and three councillors sit
        assert "Present: 4 (quorum: 3)." in html


# -- 4. minutes are approved once ---------------------------------------------------------------


def _signed_minutes(t: Town, ple) -> BodySession:  # type: ignore[no-untyped-def]
    propose(t)
    first = hold(t, convened_session(t, ple), (4, 0, 0), *THREE)
    sign_all(t.people["secretari"])
    sign_all(t.people["alcalde"])
    return first


def _two_later_sessions(t, ple):  # type: ignore[no-untyped-def]
    """An ordinary session in four working days and an extraordinary one in six, not yet convened."""
    secretary = t.people["secretari"]
    return tuple(sessions.create_session(secretary, ple.id, kind=kind, starts_at=working_days_ahead(t, days),
                                         place="Sala de plens")
                 for kind, days in (("ordinary", 4), ("extraordinary", 6)))


def test_minutes_on_one_sessions_agenda_are_not_offered_to_another(client) -> None:
    t, ple = ple_town(7)
    secretary = t.people["secretari"]
    first = _signed_minutes(t, ple)
    second, third = _two_later_sessions(t, ple)
    sessions.add_minutes_approval(secretary, second.id, first.id)
    db.session.commit()
    second_day = local_date(second.starts_at)
    with pytest.raises(Conflict, match="already on the agenda of the session of") as refused:
        sessions.add_minutes_approval(secretary, third.id, first.id)
    assert str(second_day.day) in str(refused.value)
    db.session.rollback()

    login_en(client, "secretari.proves")
    assert f'<option value="{first.id}"' not in _page(client, third.id)  # not offered either
    refused_post = _post(client, f"/sessions/{third.id}/items", {"previous_id": str(first.id)})
    assert refused_post.status_code == 409
    db.session.expire_all()
    assert db.session.get(BodySession, third.id).items == []  # type: ignore[union-attr]


def test_approved_minutes_cannot_be_approved_again_elsewhere() -> None:
    t, ple = ple_town(7)
    secretary = t.people["secretari"]
    first = _signed_minutes(t, ple)
    second, third = _two_later_sessions(t, ple)
    approve_minutes(t, second, first)
    db.session.commit()
    with pytest.raises(Conflict, match="already approved"):
        sessions.add_minutes_approval(secretary, third.id, first.id)
    db.session.rollback()
    assert sessions.approvable_minutes(secretary, third) == []


def test_a_second_approval_already_on_an_agenda_does_not_overwrite_the_first() -> None:
    """Data from before the refusal: the same minutes on two agendas; the later vote is refused."""
    t, ple = ple_town(7)
    secretary = t.people["secretari"]
    first = _signed_minutes(t, ple)
    second, third = _two_later_sessions(t, ple)
    approval = sessions.add_minutes_approval(secretary, second.id, first.id)
    twin = AgendaItem(tenant_id=third.tenant_id, session_id=third.id, position=1, title="Aprovació de l'acta",
                      majority="simple", approves_minutes_of_id=first.id)
    db.session.add(twin)
    db.session.commit()
    for later in (second, third):
        sessions.convene(secretary, later.id)
        db.session.commit()
    assert sign_all(t.people["alcalde"]) == 2
    with during(second):  # the second session approves them first
        sessions.record_attendance(secretary, second.id, present(second, *THREE), {})
        assert sessions.vote_item(secretary, second.id, approval.id, votes_for=4, against=0,
                                  abstentions=0).result == "approved"
    db.session.commit()
    with during(third):
        sessions.record_attendance(secretary, third.id, present(third, *THREE), {})
        with pytest.raises(Conflict, match="already approved at the session of"):
            sessions.vote_item(secretary, third.id, twin.id, votes_for=4, against=0, abstentions=0)
    db.session.rollback()
    db.session.refresh(first)
    assert first.minutes_approved_in_id == second.id


# -- 5. a repeated vote's debate follows the first one ------------------------------------------


def test_the_debate_of_a_repeated_vote_is_added_after_the_first_in_the_minutes() -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    secretary = t.people["secretari"]
    item = session.items[0]
    five = (*THREE, "Núria Pla", "Marc Soler")  # with the president, six votes: 3-3 ties
    with during(session):
        sessions.record_attendance(secretary, session.id, present(session, *five), {})
        sessions.vote_item(secretary, session.id, item.id, votes_for=3, against=3, abstentions=0,
                           debate="El grup A defensa el projecte.")
        sessions.vote_item(secretary, session.id, item.id, votes_for=4, against=2, abstentions=0,
                           debate="El grup B proposa esmenes.")
        sessions.close_session(secretary, session.id)
    minutes.draft_minutes(secretary, session.id)
    db.session.commit()
    assert item.result == "approved"
    acta = _pdf(t, session.minutes_document_id)
    first, repeat = acta.find("El grup A defensa el projecte."), acta.find("El grup B proposa esmenes.")
    assert 0 <= first < repeat


def test_a_repeated_vote_without_debate_keeps_the_first_debate() -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    secretary = t.people["secretari"]
    item = session.items[0]
    with during(session):
        sessions.record_attendance(secretary, session.id, present(session, *THREE, "Núria Pla", "Marc Soler"), {})
        sessions.vote_item(secretary, session.id, item.id, votes_for=3, against=3, abstentions=0,
                           debate="El grup A defensa el projecte.")
        sessions.vote_item(secretary, session.id, item.id, votes_for=4, against=2, abstentions=0)
    assert item.debate == "El grup A defensa el projecte."
