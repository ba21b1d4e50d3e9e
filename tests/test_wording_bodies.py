"""The session page says what it means: the minutes (acta, feminine in Catalan and Spanish) and a
certificate (certificat, masculine) are each "signed" in their own words, and the quorum badge says
whether there is a quorum instead of repeating the word."""

from __future__ import annotations

from lxml import html as lxml_html

from engine.base.db import db
from engine.bodies import certificates, sessions
from tests.bodies_helpers import convened_session, during, hold, ple_town, present, propose, sign_all
from tests.conftest import login
from tests.web_clerk import login_en


def _badge(page: str, selector: str) -> str:
    found = lxml_html.fromstring(page).xpath(selector)
    assert len(found) == 1, selector
    return str(found[0].text_content()).strip()


def test_signed_minutes_and_certificate_and_the_quorum_badge(client) -> None:
    t, ple = ple_town(7)
    propose(t)
    secretary, mayor = t.people["secretari"], t.people["alcalde"]
    session = convened_session(t, ple)
    hold(t, session, (3, 1, 0), "Pere Font", "Laia Serra", "Joan Riera")
    sign_all(secretary)
    sign_all(mayor)
    certificates.issue_certificate(secretary, session.items[0].id)
    db.session.commit()
    sign_all(secretary)
    sign_all(mayor)

    page = f"/sessions/{session.id}"
    login_en(client, "secretari.proves")
    english = client.get(page).get_data(as_text=True)
    assert _badge(english, '//*[@data-signed="minutes"]') == "signed"
    assert _badge(english, '//*[@data-signed="certificate"]') == "signed"
    assert _badge(english, '//*[@id="quorum"]') == "There is a quorum"

    other = client.application.test_client()
    login(other, "secretari.proves")
    catalan = other.get(page).get_data(as_text=True)
    # "Acta 1/2026 (PDF) signada", never "signat"; the badge does not just repeat "quòrum"
    assert _badge(catalan, '//*[@data-signed="minutes"]') != "signat"
    assert _badge(catalan, '//*[@data-signed="certificate"]') != "signada"
    assert _badge(catalan, '//*[@id="quorum"]') != "quòrum"


def test_the_badge_says_when_there_is_no_quorum(client) -> None:
    t, ple = ple_town(7)
    propose(t)
    session = convened_session(t, ple)
    with during(session):
        sessions.record_attendance(t.people["secretari"], session.id, present(session), {})
        db.session.commit()
        login_en(client, "secretari.proves")
        english = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert _badge(english, '//*[@id="quorum"]') == "No quorum"
