"""In a real browser: a wrong key password on the page of one item to sign brings the same page back,
the PDF still shown, the refusal beside the password field, the focus on that field, and it empty."""

from __future__ import annotations

from typing import Any

from engine.base.db import db
from engine.decrees.book import create_draft
from engine.signatures.circuits import request_signatures
from tests.e2e.pages import PAGE_WAIT_MS, log_in
from tests.records_helpers import new_expedient
from tests.test_signatures_helpers import town


def test_a_wrong_password_keeps_the_signer_on_the_page_with_the_focus_on_it(live_server: str, page: Any) -> None:
    people = town()
    decree = create_draft(people["clerk"], title="Concessió de llicència", text="RESOLC: concedir.",
                          expedient_id=new_expedient(people["clerk"]).id)
    step_id = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id).steps[0].id
    db.session.commit()
    log_in(page, live_server, "mayor.ajt-proves")
    page.goto(f"{live_server}/signatures/{step_id}")
    page.wait_for_selector("iframe.gee-pdf")
    page.fill("#sign-form #password", "not-my-password")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.press("#sign-form #password", "Enter")
    assert answer.value.status == 422
    page.wait_for_load_state()
    assert page.url == f"{live_server}/signatures/{step_id}/sign"  # the same page, not a redirect
    assert page.locator("#password ~ #password-error").is_visible()
    assert page.get_attribute("#password", "aria-describedby") == "password-error"
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'password'",
                           timeout=PAGE_WAIT_MS)
    assert page.input_value("#password") == "" and page.locator("iframe.gee-pdf").is_visible()
