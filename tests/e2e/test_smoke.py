"""A person opens GEE in a browser and logs in."""

from __future__ import annotations

from engine.base.db import db
from tests.conftest import PASSWORD, make_tenant, make_user


def test_clerk_logs_in_and_sees_her_municipality(live_server, page):
    tenant = make_tenant(name="Ajuntament de Proves")
    make_user("anna", tenant, ("tramitador",), full_name="Anna Puig")
    db.session.commit()

    page.goto(f"{live_server}/")
    page.get_by_label("Nom d'usuari").fill("anna")
    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_role("button", name="Inicia la sessió").click()

    page.wait_for_url(f"{live_server}/")
    body = page.inner_text("main")
    assert "Anna Puig" in body
    assert "Ajuntament de Proves" in body
    # Styles come from the app itself, not from a CDN.
    css = page.evaluate("[...document.styleSheets].map(s => s.href)")
    assert all(href.startswith(live_server) for href in css if href)
