"""A mayor opens the dashboard in a browser and finds the expedient near its legal term."""

from __future__ import annotations

from datetime import timedelta

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.control.legal_terms import record_term
from engine.expedients.expedients import open_expedient
from tests.conftest import PASSWORD, ctx_for, make_tenant, make_user


def test_the_mayor_sees_an_expedient_at_risk_on_the_dashboard(live_server, page):
    tenant = make_tenant(name="Ajuntament de Proves")
    mayor = make_user("jordi", tenant, ("alcalde",), full_name="Jordi Mas")
    ctx = ctx_for(mayor, tenant)
    today = local_date(utcnow())
    # 1 month from 25 days ago ends within a week: at most 10 working days left.
    near = open_expedient(ctx, "Llicència a prop del termini")
    record_term(ctx, near.id, today - timedelta(days=25), 1, [])
    # 1 month from today is at least 28 natural days (16 working days) away: not at risk.
    far = open_expedient(ctx, "Llicència amb temps")
    record_term(ctx, far.id, today, 1, [])
    db.session.commit()

    page.goto(f"{live_server}/")
    page.get_by_label("Nom d'usuari").fill("jordi")
    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_role("button", name="Inicia la sessió").click()
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/dashboard/")

    table = page.locator("#table-at-risk")  # loaded by htmx after the page
    table.wait_for()
    text = table.inner_text()
    assert near.number in text and "Llicència a prop del termini" in text
    assert far.number not in text
    assert page.locator("#terms-at-risk").get_attribute("hx-trigger") == "every 60s"
    page.get_by_role("link", name="Tots els expedients oberts davant el seu termini legal").click()
    listing = page.locator("#table-terms").inner_text()
    assert near.number in listing and far.number in listing
