"""In a real browser: a licence's proposal goes to a Ple session; the secretary builds the agenda and
convenes, the mayor signs the convocation from her queue, the session is held (attendance, vote), the
minutes and the certificate are signed by the secretary and the mayor, and the licence moves on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.base.db import db
from engine.bodies.models import BodySession
from tests.bodies_helpers import during, ple_town, propose, working_days_ahead
from tests.conftest import PASSWORD
from tests.e2e.pages import sign_shown_pdf
from tests.procedures_helpers import ready_ids
from tests.test_signatures_helpers import KEY_PASSWORD


@pytest.fixture
def people(browser, live_server) -> Iterator[object]:
    """``as_user(username)``: a page of a fresh browser context, logged in as that user."""
    contexts = []

    def as_user(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(locale="ca-ES", viewport={"width": 1366, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("Nom d'usuari").fill(username)
        page.get_by_label("Contrasenya").fill(PASSWORD)
        page.get_by_role("button", name="Inicia la sessió").click()
        page.wait_for_url(f"{live_server}/")
        return page

    yield as_user
    for context in contexts:
        context.close()


def _sign_queue(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """Sign everything in the queue, one by one, reading each PDF first."""
    page.goto(f"{live_server}/signatures")
    while page.locator("#signature-queue tr[data-step-id] a").count():
        page.locator("#signature-queue tr[data-step-id] a").first.click()
        sign_shown_pdf(page, KEY_PASSWORD)
        page.wait_for_url(f"{live_server}/signatures")


def _post_button(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_a_licence_proposal_through_a_ple_session_to_its_signed_certificate(live_server, people) -> None:
    t, _ple = ple_town(7)
    instance_id = propose(t)
    starts = working_days_ahead(t, 3).strftime("%Y-%m-%dT%H:%M")

    secretary = people("secretari.proves")
    secretary.goto(f"{live_server}/bodies")
    secretary.get_by_role("link", name="Ple de l'Ajuntament").click()
    secretary.fill("#s-starts", starts)
    secretary.fill("#s-place", "Sala de plens")
    _post_button(secretary, "Nova sessió")
    secretary.select_option("#proposal_id", label="Aprovació del projecte d'obres de la piscina")
    _post_button(secretary, "Afegeix a l'ordre del dia")
    _post_button(secretary, "Convoca: envia-la a signar a l'alcalde")
    assert secretary.locator("#session-status").get_attribute("data-status") == "convening"
    session_url = secretary.url

    mayor = people("alcalde.proves")
    _sign_queue(mayor, live_server)

    with during(db.session.query(BodySession).one()):  # the session's day has come (held from its start on)
        secretary.goto(session_url)
        assert secretary.locator("#session-status").get_attribute("data-status") == "convened"
        for name in ("Jordi Mas", "Sandra Roig", "Pere Font", "Laia Serra"):
            secretary.get_by_label(f"Present: {name}").check()
        _post_button(secretary, "Enregistra l'assistència")
        assert secretary.locator("#quorum").get_attribute("data-quorum") == "yes"  # "Hi ha quòrum"
        secretary.fill("input[name=votes_for]", "3")
        secretary.fill("input[name=against]", "0")
        secretary.fill("input[name=abstentions]", "0")
        _post_button(secretary, "Enregistra la votació")
        _post_button(secretary, "Tanca la sessió")
        _post_button(secretary, "Redacta l'acta")
        _post_button(secretary, "Expedeix el certificat d'acord")
        _sign_queue(secretary, live_server)  # the minutes and the certificate
        _sign_queue(mayor, live_server)  # the vistiplau of both

    secretary.goto(session_url)
    assert secretary.locator("[data-result]").first.get_attribute("data-result") == "approved"
    assert secretary.locator(".badge.text-bg-success[data-signed]").count() == 2  # minutes and certificate
    db.session.expire_all()
    session = db.session.query(BodySession).one()
    assert session.minutes_signed and session.items[0].certificate_signed
    assert ready_ids(instance_id) == ["Task_atorgar"]  # the licence moves on
