"""In a real browser: files heavier than the server takes are refused beside their field before they
are sent, so the person keeps what she typed instead of landing on a "too big" error page."""

from __future__ import annotations

from engine.base.db import db
from engine.documents.documents import Document
from tests.e2e.pages import log_in
from tests.web_clerk import make_world, open_case


def test_too_heavy_files_are_refused_beside_the_field_and_nothing_is_sent(live_server, page, tmp_path):
    world = make_world()
    opened = open_case(world)
    db.session.commit()
    log_in(page, live_server, "anna")
    page.goto(f"{live_server}/expedients/{opened.expedient.id}")
    # The server's limit as the page states it, lowered here to 2 KB so that a small file is "too big".
    assert int(page.get_attribute("body", "data-max-upload")) > 20 * 1024 * 1024
    page.evaluate("document.body.setAttribute('data-max-upload', '2048')")
    heavy = tmp_path / "plànol.pdf"
    heavy.write_bytes(b"%PDF-1.4\n" + b"0" * 300_000 + b"\n%%EOF\n")
    page.set_input_files("#file", str(heavy))
    page.fill("#title", "Plànol de situació")
    page.locator("#file").evaluate("input => input.form.requestSubmit()")

    message = page.locator("#file-error")
    message.wait_for()
    assert "0.3 MB" in message.inner_text() and "25 MB" in message.inner_text()
    assert page.get_attribute("#file", "aria-invalid") == "true"
    assert "file-error" in page.get_attribute("#file", "aria-describedby")
    assert page.input_value("#title") == "Plànol de situació"  # what she typed is still there
    assert page.locator("form:has(#file) button[data-once]").is_enabled()  # and she can send again
    assert db.session.execute(db.select(Document)).first() is None
