"""In a real browser: at the registry desk, typing the NIF of a person already on record shows the channel
on record (and where paper goes) in place of the choice; a new NIF brings the choice back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from engine.base.db import db
from engine.expedients.parties import find_or_create_party
from tests.conftest import ctx_for
from tests.e2e.pages import axe_violations, log_in
from tests.web_clerk import make_world


@pytest.fixture
def clerk(browser: Any, live_server: str) -> Iterator[Any]:
    """A clerk's page (in English) of a town where Maria Soler Vidal is on record, notified on paper."""
    world = make_world()
    find_or_create_party(ctx_for(world.clerk, world.tenant), "12345678Z", "Maria Soler Vidal",
                         preferred_channel="postal", address="Carrer Major, 3", postal_code="25001",
                         municipality="Lleida")
    world.clerk.locale = "en"
    db.session.commit()
    context = browser.new_context(locale="en-GB", bypass_csp=True)  # bypass: axe is injected inline
    page = context.new_page()
    log_in(page, live_server, "anna")
    yield page
    context.close()


def _type_nif(page: Any, nif: str) -> None:
    page.fill("#nif", nif)
    page.locator("#nif").dispatch_event("change")


def test_the_nif_of_a_person_on_record_shows_their_channel(live_server: str, clerk: Any) -> None:
    page = clerk
    page.goto(f"{live_server}/registry/new")
    assert page.locator("input[name=preferred_channel]").count() == 2  # nobody typed yet: a new person chooses

    _type_nif(page, "12345678z")
    on_record = page.locator("#channel-on-record")
    on_record.wait_for()
    assert on_record.inner_text() == "On paper · Carrer Major, 3, 25001 Lleida"
    assert page.locator("input[name=preferred_channel]").count() == 0
    assert page.locator("#change-channel").get_attribute("href").startswith("/parties/")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []

    _type_nif(page, "X1234567L")  # somebody new: asked again
    page.locator("#preferred_channel-postal").wait_for()
    assert page.locator("#channel-on-record").count() == 0

    _type_nif(page, "12345678Z")
    page.locator("#channel-on-record").wait_for()
    page.fill("#subject", "Sol·licitud de gual")
    page.locator("form[action$='/registry/new'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/registry/\d+$"))
    assert "is still notified by the channel on record: On paper." in page.locator("[role=status]").last.inner_text()
