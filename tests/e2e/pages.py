"""What several browser tests do on the same pages, done one way.

The waits are upper bounds for a loaded machine, never timings: each returns as soon as the page
shows what it waits for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD

#: The longest a page may take to draw its diagram or show its PDF on a loaded CI machine.
PAGE_WAIT_MS = 60000

AXE = Path(__file__).resolve().parents[2] / "webapp" / "static" / "vendor" / "axe-core" / "axe.min.js"
#: The axe impacts a page must not have.
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 AA violations on the page as it is now (the
    browser context must bypass the CSP: axe is injected as an inline script)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa']}, resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def log_in(page: Any, live_server: str, username: str, password: str = PASSWORD) -> None:
    """Log in from the login page; back on the home page."""
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server}/")


def wait_for_diagram(page: Any) -> None:
    """The diagram either draws or says why not: a failed load is reported at once, not as a time-out."""
    diagram = page.wait_for_selector("#diagram[data-loaded]", timeout=PAGE_WAIT_MS)
    assert diagram.get_attribute("data-loaded") == "true", diagram.get_attribute("data-reason")


def sign_shown_pdf(page: Any, password: str) -> None:
    """Read the PDF in its frame, type the key password and sign with the Enter key.

    The page is waited on until its load event (the PDF frame and its viewer included): while
    Chromium's PDF viewer is still starting, a mouse click next to its frame can be lost, so the
    form is submitted from the password field, as a signer typing her password does."""
    page.wait_for_selector("iframe.gee-pdf")
    page.wait_for_load_state("load", timeout=PAGE_WAIT_MS)
    page.fill("#sign-form #password", password)
    page.press("#sign-form #password", "Enter")


def focus_moves_to(page: Any, element_id: str) -> None:
    """Wait until the keyboard focus is on ``element_id``. gee.js moves it to a refused form's summary when it
    runs, at the end of the page: after the summary is in the document, so looking at once would race it."""
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=element_id,
                           timeout=PAGE_WAIT_MS)
