"""A Ple session from proposal to certificate: the procedure proposes and waits, the mayor signs the
convocation, the session needs its quorum, votes follow art. 47, the minutes are numbered without
gaps and signed, and the signed certificate of agreement resumes the expedient on the agreement's path."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from engine.base.clock import local_date
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound
from engine.bodies import bodies, certificates, minutes, sessions
from engine.bodies.models import Proposal, SessionStatus
from engine.bodies.proposals import pending_proposals
from engine.documents.documents import Document, read_content
from engine.documents.signature_check import verify_pdf
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
from tests.conftest import ctx_for, make_tenant, make_user
from tests.procedures_helpers import ROLE_PEOPLE, ready_ids

MAYOR, SECRETARY = ROLE_PEOPLE["alcalde"], ROLE_PEOPLE["secretari"]


def _signers(pdf: bytes) -> list[str]:
    """Who signed the PDF (PAdES), in order, when every signature is intact and trusted."""
    check = verify_pdf(pdf)
    assert check.valid, check.reason
    return [s.signer for s in check.signatures]


def test_a_proposal_goes_to_the_ple_and_the_signed_certificate_resumes_the_licence() -> None:
    t, ple = ple_town(7)
    instance_id = propose(t)
    assert ready_ids(instance_id) == []  # waiting for the agreement
    secretary, mayor = t.people["secretari"], t.people["alcalde"]

    session = convened_session(t, ple)
    assert session.status == SessionStatus.CONVENED and session.convened_at is not None
    convocation = db.session.get(Document, session.convocation_document_id)
    assert convocation is not None and _signers(read_content(secretary, convocation.id)[1]) == [MAYOR]
    # every member (the secretary too) has the convocation made available
    assert len(sessions.notices(secretary, session.id)) == 8

    # 7 members: three present with the president and the secretary make the quorum (art. 46.2.c)
    hold(t, session, (3, 1, 0), "Pere Font", "Laia Serra", "Joan Riera")
    item = session.items[0]
    assert item.result == "approved"
    assert session.minutes_number == f"1/{local_date(session.starts_at).year}"

    # minutes: the secretary signs, then the mayor's vistiplau
    assert sign_all(secretary) == 1 and sign_all(mayor) == 1
    db.session.refresh(session)
    assert session.minutes_signed
    assert _signers(read_content(secretary, session.minutes_document_id)[1]) == [SECRETARY, MAYOR]

    certificates.issue_certificate(secretary, item.id)
    db.session.commit()
    assert ready_ids(instance_id) == []  # not before the certificate is signed
    sign_all(secretary)
    sign_all(mayor)
    db.session.refresh(item)
    assert item.certificate_signed
    assert ready_ids(instance_id) == ["Task_atorgar"]
    data = t.show(instance_id)["data"]
    assert data["acord_organ"]["resultat"] == "aprovat"
    assert data["acord_organ"]["vots"] == {"favor": 3, "contra": 1, "abstencions": 0}
    certificate = db.session.get(Document, item.certificate_document_id)
    assert certificate is not None and certificate.tipo_documental == "TD11"
    assert certificate.expedient_id == db.session.get(Proposal, item.proposal_id).expedient_id  # type: ignore[union-attr]
    assert data["acord_organ"]["csv"] == certificate.csv
    content = read_content(secretary, certificate.id)[1]
    assert _signers(content) == [SECRETARY, MAYOR]  # the secretary certifies, the mayor's vistiplau
    text = "".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "CERTIFICO" in text and f"CSV{certificate.csv}" in text


def test_absolute_majority_not_reached_takes_the_refusal_path() -> None:
    t, ple = ple_town(7)
    instance_id = propose(t, "Cessió d'un bé patrimonial", majority="absolute")
    session = convened_session(t, ple)
    # the president and two councillors: 3 for, 0 against is a simple majority, but not 4 of the legal 7
    # (art. 47.2)
    hold(t, session, (3, 0, 0), "Pere Font", "Laia Serra")
    assert session.items[0].result == "rejected"
    sign_all(t.people["secretari"])
    sign_all(t.people["alcalde"])
    certificates.issue_certificate(t.people["secretari"], session.items[0].id)
    db.session.commit()
    sign_all(t.people["secretari"])
    sign_all(t.people["alcalde"])
    assert ready_ids(instance_id) == ["Task_denegar"]
    assert t.show(instance_id)["data"]["acord_organ"]["resultat"] == "rebutjat"


def test_without_quorum_nothing_is_voted() -> None:
    t, ple = ple_town(11)
    propose(t)
    session = convened_session(t, ple)
    secretary = t.people["secretari"]
    with during(session):
        # 11 members: four needed; the president and two councillors are three
        sessions.record_attendance(secretary, session.id, present(session, "Pere Font", "Laia Serra"), {})
        with pytest.raises(Conflict, match="No quorum: 3 members present, 4 needed"):
            sessions.vote_item(secretary, session.id, session.items[0].id, votes_for=3, against=0, abstentions=0)
        with pytest.raises(Conflict, match="not constituted"):
            sessions.close_session(secretary, session.id)
        sessions.record_attendance(secretary, session.id, present(session, "Pere Font", "Laia Serra", "Joan Riera"),
                                   {})
        with pytest.raises(Exception, match="add up to the 4 members present"):
            sessions.vote_item(secretary, session.id, session.items[0].id, votes_for=3, against=0, abstentions=0)
        assert sessions.vote_item(secretary, session.id, session.items[0].id, votes_for=3, against=1,
                                  abstentions=0).result == "approved"


def test_a_convocation_later_than_two_working_days_before_is_refused() -> None:
    t, ple = ple_town(7)
    propose(t)
    secretary = t.people["secretari"]
    proposal = pending_proposals(secretary, ple.id)[0]
    # LBRL art. 46.2.b: convened today, a session on the second working day leaves only one between
    session = sessions.create_session(secretary, ple.id, kind="ordinary", starts_at=working_days_ahead(t, 2),
                                      place="Sala de plens")
    sessions.add_proposal(secretary, session.id, proposal.id)
    with pytest.raises(Conflict, match="Too late to convene"):
        sessions.convene(secretary, session.id)
    db.session.rollback()
    # an urgent extraordinary session has no such term: the Ple votes its urgency first
    urgent = sessions.create_session(secretary, ple.id, kind="urgent", starts_at=working_days_ahead(t, 1),
                                     place="Sala de plens")
    sessions.add_proposal(secretary, urgent.id, proposal.id)
    sessions.convene(secretary, urgent.id)
    db.session.commit()
    sign_all(t.people["alcalde"])
    with during(urgent):
        sessions.record_attendance(secretary, urgent.id, present(urgent, "Pere Font", "Laia Serra"), {})
        with pytest.raises(Conflict, match="urgency of the session"):
            sessions.vote_item(secretary, urgent.id, urgent.items[0].id, votes_for=3, against=0, abstentions=0)
        assert not sessions.vote_session_urgency(secretary, urgent.id, 1, 2, 0)  # refused: the session is lifted
        sessions.close_session(secretary, urgent.id)
    db.session.commit()
    assert db.session.get(Proposal, proposal.id).state == "pending"  # type: ignore[union-attr]


def test_urgent_item_needs_its_urgency_voted_by_absolute_majority() -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    late = propose(t, "Moció urgent sobre la piscina")
    secretary = t.people["secretari"]
    proposal_id = db.session.query(Proposal).filter_by(state="pending").one().id
    item = sessions.add_proposal(secretary, session.id, proposal_id)  # after the convocation: urgent
    assert item.urgent and late
    with during(session):
        sessions.record_attendance(secretary, session.id,
                                   present(session, "Pere Font", "Laia Serra", "Joan Riera", "Núria Pla"), {})
        with pytest.raises(Conflict, match="urgency"):
            sessions.vote_item(secretary, session.id, item.id, votes_for=5, against=0, abstentions=0)
        # 3 of 7 is not the absolute majority (4) the urgency needs, though nobody voted against
        assert not sessions.vote_item_urgency(secretary, session.id, item.id, 3, 0, 2)
        sessions.vote_item(secretary, session.id, session.items[0].id, votes_for=5, against=0, abstentions=0)
        sessions.close_session(secretary, session.id)  # the urgent item was not taken in
    db.session.commit()
    assert db.session.get(Proposal, proposal_id).state == "pending"  # type: ignore[union-attr]


def test_the_book_of_minutes_is_numbered_per_body_and_year_without_gaps() -> None:
    t, ple = ple_town(7)
    secretary = t.people["secretari"]
    jgl = bodies.create_body(secretary, code="jgl", name="Junta de Govern Local", kind="junta_govern",
                             legal_members=3)
    bodies.add_member(secretary, jgl.id, name="Jordi Mas", role="president")
    bodies.add_member(secretary, jgl.id, name="Sandra Roig", role="secretari")
    bodies.add_member(secretary, jgl.id, name="Pere Font", role="vocal")
    bodies.add_member(secretary, jgl.id, name="Laia Serra", role="vocal")
    db.session.commit()
    numbers = []
    for _ in range(2):
        propose(t)
        session = convened_session(t, ple)
        hold(t, session, (4, 0, 0), "Pere Font", "Laia Serra", "Joan Riera")
        numbers.append(session.minutes_number)
    year = local_date(session.starts_at).year
    assert numbers == [f"1/{year}", f"2/{year}"]
    # the minutes cannot be drafted twice (no second number for one session)
    with pytest.raises(Conflict):
        minutes.draft_minutes(secretary, session.id)
    db.session.rollback()
    assert [s.minutes_seq for s in minutes.book(secretary, ple.id, year)] == [1, 2]
    assert minutes.book(secretary, jgl.id, year) == []
    pdf = minutes.export_book_pdf(secretary, ple.id, year)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"1/{year}" in text and f"2/{year}" in text


def test_minutes_are_approved_at_the_next_session() -> None:
    t, ple = ple_town(7)
    secretary = t.people["secretari"]
    propose(t)
    first = convened_session(t, ple)
    hold(t, first, (4, 0, 0), "Pere Font", "Laia Serra", "Joan Riera")
    second = sessions.create_session(secretary, ple.id, kind="ordinary", starts_at=working_days_ahead(t, 4),
                                     place="Sala de plens")
    db.session.commit()
    with pytest.raises(Conflict, match="not signed"):
        sessions.add_minutes_approval(secretary, second.id, first.id)
    db.session.rollback()
    sign_all(secretary)
    sign_all(t.people["alcalde"])
    approve_minutes(t, second, first)
    db.session.refresh(first)
    assert first.minutes_approved_in_id == second.id


def test_members_read_convened_sessions_and_other_towns_see_nothing() -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    mayor = t.people["alcalde"]
    sessions.read_notice(mayor, session.id)
    db.session.commit()
    read = [n for n in sessions.notices(t.people["secretari"], session.id) if n.read_at is not None]
    assert [n.member.name for n in read] == ["Jordi Mas"]
    with pytest.raises(Forbidden):
        sessions.create_session(t.people["tramitador"], ple.id, kind="ordinary",
                                starts_at=working_days_ahead(t, 5), place="Sala")
    other = make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    stranger = ctx_for(make_user("secretari.altra", other, ("secretari",)), other)
    with pytest.raises(NotFound):
        sessions.read_session(stranger, session.id)
    with pytest.raises(NotFound):
        bodies.get_body(stranger, ple.id)
    assert circuits.pending_for(stranger) == []
