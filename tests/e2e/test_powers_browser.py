"""In a real browser: the grantor is asked before revoking a power, and the staff form of the register
fills in the name on record of a NIF typed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.base.db import db
from engine.expedients.parties import find_or_create_party
from engine.powers import register as powers
from engine.powers.models import Power
from tests.conftest import ctx_for
from tests.e2e.pages import log_in
from tests.web_clerk import make_world


def test_revoking_a_power_asks_first(live_server: str, page: Any) -> None:
    world = make_world()
    power = powers.grant_apud_acta(ctx_for(world.clerk, world.tenant), "12345678Z", "Maria Puig i Serra",
                                   "87654321X", "Jordi Vidal Roca")  # fmt: skip
    db.session.commit()
    page.goto(f"{live_server}/seu/{world.tenant.code}/apoderaments")
    page.wait_for_url("**/dev-idp/authorize**")
    page.locator('button[data-nif="12345678Z"]').click()
    page.wait_for_url("**/apoderaments")
    row = page.locator(f'#granted-powers tr[data-power="{power.id}"]')
    confirm = row.locator("details.revoke-power button[type=submit]")
    assert not confirm.is_visible()  # one click does not revoke: it shows what revoking means
    row.locator("details.revoke-power summary").click()
    assert "Jordi Vidal Roca" in page.inner_text(f"#revoke-{power.id}-what")
    confirm.click()
    page.wait_for_selector(f'tr[data-power="{power.id}"] [data-state="revoked"]')
    db.session.expire_all()
    assert db.session.execute(select(Power.revoked_at)).scalar_one() is not None


def test_the_staff_form_fills_in_the_name_on_record(live_server: str, page: Any) -> None:
    world = make_world()
    find_or_create_party(ctx_for(world.clerk, world.tenant), "39847512N", "Jordi Farré Pons")
    db.session.commit()
    log_in(page, live_server, "anna")
    page.goto(f"{live_server}/powers/new")
    page.fill("#representative_name", "Jordi Farre")
    page.fill("#representative_nif", "39847512-n")
    page.locator("#representative_nif").dispatch_event("change")
    page.locator("#representative_name-known").wait_for()
    assert page.input_value("#representative_name") == "Jordi Farré Pons"
    page.fill("#grantor_nif", "12345678Z")  # nobody on record: the name stays to be typed
    page.locator("#grantor_nif").dispatch_event("change")
    page.wait_for_load_state("networkidle")
    assert page.locator("#grantor_name-known").count() == 0 and page.input_value("#grantor_name") == ""
