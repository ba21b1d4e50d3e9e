"""Ties in a collegiate body (LBRL art. 46.2.d): "en el cas de votacions amb resultat d'empat,
s'efectuarà una nova votació, i si persisteix l'empat, decidirà el vot de qualitat del President".
A Ple of 7 with the president and five councillors present: six votes, so 3-3 is a tie."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from pypdf import PdfReader

from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.bodies import certificates, minutes, sessions
from engine.bodies.models import AgendaItem, BodySession
from engine.documents.documents import read_content
from tests.bodies_helpers import convened_session, during, ple_town, present, propose, sign_all
from tests.conftest import csrf_token, login
from tests.procedures_helpers import Town, ready_ids
from tests.web_clerk import field_error

FIVE = ("Pere Font", "Laia Serra", "Joan Riera", "Núria Pla", "Marc Soler")


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


#: The clock of the session :func:`_sitting` enters: it sits until the test ends.
_CLOCK = ExitStack()


@pytest.fixture(autouse=True)
def _real_clock_after() -> Iterator[None]:
    yield
    _CLOCK.close()


def _sitting(title: str = "Aprovació del projecte d'obres de la piscina",
             majority: str = "simple") -> tuple[Town, int, BodySession, AgendaItem]:
    """The Ple sitting with six votes, one proposal on the agenda: the town, its instance, the session, the item."""
    t, ple = ple_town(7)
    instance_id = propose(t, title, majority=majority)
    session = convened_session(t, ple)
    _CLOCK.enter_context(during(session))
    sessions.record_attendance(t.people["secretari"], session.id, present(session, *FIVE), {})
    return t, instance_id, session, session.items[0]


def test_a_tie_is_voted_again_and_the_presidents_casting_vote_decides_the_persisting_tie() -> None:
    t, instance_id, session, item = _sitting()
    secretary = t.people["secretari"]

    # first vote 3-3: no result yet, a new vote is due, and the session cannot close
    sessions.vote_item(secretary, session.id, item.id, votes_for=3, against=3, abstentions=0, debate="Debat viu.")
    db.session.commit()
    assert item.result is None and (item.first_votes_for, item.first_votes_against) == (3, 3)
    with pytest.raises(Conflict, match="not voted yet: 1"):
        sessions.close_session(secretary, session.id)
    with pytest.raises(Conflict, match="attendance is closed"):
        sessions.record_attendance(secretary, session.id, present(session, "Pere Font"), {})
    db.session.rollback()

    # the new vote ties again (2-2 with two abstentions): without the casting vote nothing is recorded
    with pytest.raises(ValidationFailed, match="casting vote"):
        sessions.vote_item(secretary, session.id, item.id, votes_for=2, against=2, abstentions=2)
    db.session.rollback()
    assert item.result is None and item.votes_for is None

    sessions.vote_item(secretary, session.id, item.id, votes_for=2, against=2, abstentions=2, casting_vote="for")
    assert item.result == "approved" and item.casting_vote == "for"
    sessions.close_session(secretary, session.id)
    minutes.draft_minutes(secretary, session.id)
    db.session.commit()

    acta = _text(read_content(secretary, session.minutes_document_id)[1])
    assert "Primera votació (majoria simple): 3 a favor, 3 en contra, 0 abstencions" in acta
    assert "Nova votació: 2 a favor, 2 en contra, 2 abstencions" in acta
    assert "decideix el vot de qualitat del president/a, a favor (art. 46.2.d LBRL) — APROVAT" in acta

    sign_all(secretary)
    sign_all(t.people["alcalde"])
    certificates.issue_certificate(secretary, item.id)
    db.session.commit()
    certificate = _text(read_content(secretary, item.certificate_document_id)[1])
    assert "va adoptar per majoria simple (2 vots a favor, 2 en contra i 2 abstencions)" in certificate
    assert "primera votació amb empat (3 a favor, 3 en contra i 0 abstencions)" in certificate
    assert "vot de qualitat del president/a, a favor" in certificate

    sign_all(secretary)
    sign_all(t.people["alcalde"])
    assert ready_ids(instance_id) == ["Task_atorgar"]
    agreement = t.show(instance_id)["data"]["acord_organ"]
    assert agreement["resultat"] == "aprovat" and agreement["vot_de_qualitat"] == "favor"


def test_a_casting_vote_against_rejects() -> None:
    t, _instance_id, session, item = _sitting()
    secretary = t.people["secretari"]
    sessions.vote_item(secretary, session.id, item.id, votes_for=1, against=1, abstentions=4)
    sessions.vote_item(secretary, session.id, item.id, votes_for=3, against=3, abstentions=0,
                       casting_vote="against")
    assert item.result == "rejected" and item.casting_vote == "against"


def test_a_repeated_vote_that_breaks_the_tie_decides_without_casting_vote() -> None:
    t, _instance_id, session, item = _sitting()
    secretary = t.people["secretari"]
    sessions.vote_item(secretary, session.id, item.id, votes_for=3, against=3, abstentions=0)
    # 2 for, 3 against: rejected by the votes themselves; a casting vote sent along changes nothing
    sessions.vote_item(secretary, session.id, item.id, votes_for=2, against=3, abstentions=1, casting_vote="for")
    assert item.result == "rejected" and item.casting_vote is None
    assert (item.votes_for, item.votes_against, item.abstentions) == (2, 3, 1)


def test_an_absolute_majority_tie_is_simply_not_reached() -> None:
    t, _instance_id, session, item = _sitting("Cessió d'un bé patrimonial", majority="absolute")
    secretary = t.people["secretari"]
    # 3 for is less than the 4 of 7 art. 47.2 asks: the tie is not what decides, no new vote
    sessions.vote_item(secretary, session.id, item.id, votes_for=3, against=3, abstentions=0)
    assert item.result == "rejected" and item.first_votes_for is None and item.casting_vote is None


def test_the_secretary_records_the_repeated_vote_and_the_casting_vote_on_the_web(client) -> None:
    _town, _instance_id, session, item = _sitting()
    db.session.commit()
    login(client, "secretari.proves")
    page = f"/sessions/{session.id}"

    def vote(**data: object) -> str:
        """The page after the vote: the session's again, or the refused form with its reason."""
        answer = client.post(f"{page}/items/{item.id}/vote",
                             data={"csrf_token": csrf_token(client, page), "debate": "", **data})
        return client.get(page).get_data(as_text=True) if answer.status_code == 302 else answer.get_data(as_text=True)

    html = vote(votes_for=3, against=3, abstentions=0)
    assert "Primera votació: 3 a favor, 3 en contra, 0 abstencions — empat: es torna a votar" in html
    assert 'name="casting_vote"' in html and "Registra la nova votació" in html
    html = vote(votes_for=3, against=3, abstentions=0)
    assert "Persisteix l&#39;empat: decideix el vot de qualitat del president" in (
        field_error(html, f"casting-{item.id}") or "")  # beside the casting vote it asks for
    assert f'id="v{item.id}-for" name="votes_for" required value="3"' in html  # the counts as typed
    assert "data-result=" not in html  # refused: nothing recorded
    html = vote(votes_for=3, against=3, abstentions=0, casting_vote="against")
    assert 'data-result="rejected"' in html and 'data-casting-vote="against"' in html
    assert "Va persistir l'empat: va decidir el vot de qualitat del president (en contra)." in html
