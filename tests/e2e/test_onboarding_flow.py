"""The provincial service onboards five ens locals from a CSV in a real browser (one row is bad
and the report names it); a new administrator sets a password through the e-mailed one-time
link, logs in and finds the welcome checklist."""

from __future__ import annotations

from engine.base.clock import utcnow
from tests.conftest import PASSWORD
from tests.onboarding_helpers import csv_file, link_in, mail_sink, platform_context
from tests.services import run_queued_jobs
from tests.test_tenant_import import BAD_ROWS, LLEIDA, SEGRIA, SUCS, VIELHA


def test_platform_admin_imports_five_bodies_and_a_new_admin_sees_the_checklist(app, live_server, page, tmp_path):
    platform_context()
    upload = tmp_path / "ens-locals.csv"
    this_year = LLEIDA.replace("2026-", f"{utcnow().year}-")  # Lleida's holidays, given for this year
    upload.write_bytes(csv_file(this_year, VIELHA, BAD_ROWS[0][0], SUCS, SEGRIA))

    with mail_sink(app) as smtp:
        page.goto(f"{live_server}/login")
        page.get_by_label("Nom d'usuari").fill("plataforma")
        page.get_by_label("Contrasenya").fill(PASSWORD)
        page.get_by_role("button", name="Inicia la sessió").click()
        page.wait_for_url(f"{live_server}/")

        page.goto(f"{live_server}/admin/tenants")
        page.set_input_files("#import-file", str(upload))
        page.click("#import-submit")
        page.wait_for_selector("#import-bar")  # the upload is accepted; with Redis its rows wait for a worker
        run_queued_jobs()
        # The progress bar reaches 100% and the report lists every row.
        page.wait_for_selector('#import-bar[value="100"]')
        page.wait_for_selector('#import-report tr[data-line="6"]')
        bad = page.inner_text('#import-report tr[data-line="4"]')
        assert "Ajuntament de Tarragona" in bad and "431480" in bad
        assert page.locator("#import-report tr.table-danger").count() == 1

        page.goto(f"{live_server}/admin/tenants")
        listed = page.inner_text("#tenants")
        for name in ("Ajuntament de Lleida", "Ajuntament de Vielha e Mijaran", "EMD de Sucs",
                     "Consell Comarcal del Segrià", "Diputació de Lleida"):
            assert name in listed
        assert "Ajuntament de Tarragona" not in listed
        welcome = next(m for m in smtp.messages if m["to"] == ["maria.puig@lleida.test"])

    # The new administrator of Lleida, in their own browser session.
    page.context.clear_cookies()
    page.goto(live_server + link_in(welcome["body"]))
    page.fill("#new_password", "la meva contrasenya de la Paeria")
    page.fill("#repeat_password", "la meva contrasenya de la Paeria")
    page.click("#set-password button[type=submit]")
    page.wait_for_url(f"{live_server}/login")
    page.get_by_label("Nom d'usuari").fill("maria.puig")
    page.get_by_label("Contrasenya").fill("la meva contrasenya de la Paeria")
    page.get_by_role("button", name="Inicia la sessió").click()
    page.wait_for_url(f"{live_server}/")
    checklist = page.wait_for_selector("#welcome-checklist")
    assert "Ajuntament de Lleida" in page.inner_text("main")
    items = {el.get_attribute("data-item"): el.get_attribute("data-done")
             for el in checklist.query_selector_all("[data-item]")}
    # The holidays came with the file; the rest is for the administrator to do.
    assert items == {"holidays": "yes", "officers": "no", "seal": "no", "logo": "no", "users": "no"}
