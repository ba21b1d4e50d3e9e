"""A clerk in a real browser: opens an expedient of instància genèrica, works its first task,
and sees the diagram's highlight move; documents go up and come back down."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import PASSWORD
from tests.e2e.pages import focus_moves_to, wait_for_diagram
from tests.web_clerk import make_world

SHOTS = Path("/tmp/gee-shots")


def _marker(page, element_id: str) -> str:
    return page.locator(f'#diagram g.djs-element[data-element-id="{element_id}"]').first.get_attribute("class") or ""


def _diagram_scale(page) -> float:
    """The drawing's scale, from the viewport group's transform matrix(a, b, c, d, e, f)."""
    matrix = page.locator("#diagram svg g.viewport").first.get_attribute("transform") or "matrix(1 0 0 1 0 0)"
    return float(re.findall(r"-?[\d.]+(?:e-?\d+)?", matrix)[0])


def test_clerk_opens_an_expedient_and_completes_a_task(live_server, page, tmp_path):
    make_world()
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server}/login")
    page.get_by_label("Nom d'usuari").fill("anna")
    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_role("button", name="Inicia la sessió").click()
    page.wait_for_url(f"{live_server}/")

    # Open an expedient: the NIF lookup offers the fields of a new party.
    page.goto(f"{live_server}/expedients/new")
    page.select_option("#process_model_id", label="Instància genèrica")
    page.fill("#nif", "12345678Z")
    page.locator("#nif").dispatch_event("change")
    page.wait_for_selector("#party_name")
    page.wait_for_load_state("networkidle")
    page.fill("#party_name", "Maria Garcia Puig")
    page.fill("#email", "maria@example.org")
    page.fill("#subject", "Sol·licitud de certificat de convivència")
    page.fill("#responsible_unit", "Secretaria")
    page.locator("form[action$='/expedients/new'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/expedients/\d+$"))
    expedient_url = page.url

    wait_for_diagram(page)
    assert "gee-current" in _marker(page, "Task_revisar")
    assert "gee-done" in _marker(page, "StartEvent_entrada")
    assert "gee-current" not in _marker(page, "Task_tramitar")
    # The zoom buttons enlarge and reduce the drawing.
    scale = _diagram_scale(page)
    page.locator("#diagram-tools [data-zoom=in]").click()
    assert _diagram_scale(page) > scale
    page.locator("#diagram-tools [data-zoom=out]").click()
    page.locator("#diagram-tools [data-zoom=out]").click()
    assert _diagram_scale(page) < scale

    # Upload a document and download it back.
    upload = tmp_path / "dni.pdf"
    upload.write_bytes(b"%PDF-1.4\n% copia del DNI\n%%EOF\n")
    page.set_input_files("#file", str(upload))
    page.fill("#title", "Còpia del DNI")
    page.select_option("#tipo_documental", "TD14")
    page.select_option("#origin", "citizen")
    page.locator("#documents form button[type=submit]").click()
    page.wait_for_selector("text=Còpia del DNI")
    with page.expect_download() as info:
        page.get_by_role("link", name="Còpia del DNI").click()
    download = info.value
    assert Path(download.path()).read_bytes() == upload.read_bytes()
    assert download.suggested_filename.endswith(".pdf")
    wait_for_diagram(page)
    page.screenshot(path=str(SHOTS / "expedient.png"), full_page=True)

    # The inbox shows the task; the task page shows the form beside the expedient.
    page.goto(f"{live_server}/tasks")
    row = page.locator("tr[data-task-id]")
    assert row.count() == 1
    assert "Maria Garcia Puig" in row.inner_text()
    page.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)
    row.get_by_role("link", name="Revisar i assignar la sol·licitud").click()
    page.wait_for_selector("#task-form")

    # A missing required field comes back inline, next to it.
    page.locator("button[value=complete]").click()
    page.wait_for_selector("#f-data-unitat_responsable-error")
    focus_moves_to(page, "form-errors")  # the summary has the focus (gee.js)
    page.screenshot(path=str(SHOTS / "task-errors.png"), full_page=True)

    page.select_option("#f-data-unitat_responsable", "Secretaria")
    # the corrected field no longer says it is wrong; the one still untouched does
    page.wait_for_selector("#f-data-unitat_responsable-error", state="detached")
    assert "is-invalid" not in (page.get_attribute("#f-data-unitat_responsable", "class") or "")
    assert page.locator("#f-data-mancances-error").count() == 1
    assert page.locator("#form-errors").count() == 1
    # ticking "complete" answers the deficiencies' error too: they are asked for only while it is unticked
    page.check("#f-data-completa")
    page.wait_for_selector("#f-data-mancances-error", state="detached")
    assert page.get_attribute("#f-data-mancances", "aria-invalid") is None
    # with no field left in error, the summary pointing to the messages goes too
    assert page.locator("#form-errors").count() == 0
    page.fill("#f-data-observacions", "Documentació completa.")
    page.screenshot(path=str(SHOTS / "task.png"), full_page=True)
    page.locator("button[value=complete]").click()
    page.wait_for_url(f"{live_server}/tasks")
    assert "Tramitar la sol·licitud" in page.locator(".alert-success").inner_text()

    # The highlight moved to the next task.
    page.goto(expedient_url)
    wait_for_diagram(page)
    assert "gee-current" in _marker(page, "Task_tramitar")
    assert "gee-done" in _marker(page, "Task_revisar")
    assert "gee-current" not in _marker(page, "Task_revisar")


def test_start_page_shows_my_tasks_and_recent_expedients(live_server, page):
    from tests.web_clerk import open_case

    world = make_world()
    opened = open_case(world)
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"{live_server}/login")
    page.get_by_label("Nom d'usuari").fill("anna")
    page.get_by_label("Contrasenya").fill(PASSWORD)
    page.get_by_role("button", name="Inicia la sessió").click()
    page.wait_for_url(f"{live_server}/")
    page.wait_for_selector("tr[data-task-id]")
    page.wait_for_selector(f"text={opened.expedient.number}")
    assert "Maria Garcia" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)
