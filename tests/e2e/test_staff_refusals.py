"""In a real browser: a staff form the server refuses comes back as typed, the reason beside the field it
names and tied to it, and the refused page passes axe (WCAG 2.1 AA) like the pages do when nothing went wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.base.db import db
from engine.bodies import bodies
from engine.tenancy.models import ROLES
from tests.conftest import ctx_for, make_tenant, make_user
from tests.e2e.pages import axe_violations, log_in


@pytest.fixture
def staff(browser: Any, live_server: str) -> Iterator[Any]:
    """A page logged in (in English) as someone holding every role of a town that already has a Ple."""
    tenant = make_tenant(name="Ajuntament de Proves")
    user = make_user("anna", tenant, ROLES, full_name="Anna Puig", locale="en")
    bodies.create_body(ctx_for(user, tenant), code="ple", name="Ple de l'Ajuntament", kind="ple", legal_members=7)
    db.session.commit()
    # axe is injected as an inline script, which the app's CSP rightly forbids: bypass it for the audit only.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    log_in(page, live_server, "anna")
    yield page
    context.close()


def _refused(page: Any, button: Any, status: int) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.click()
    assert answer.value.status == status
    page.wait_for_load_state()


def _beside(page: Any, field: str, message: str) -> None:
    """``message`` is shown right after the field, which is marked invalid and described by it."""
    shown = page.locator(f"#{field} ~ #{field}-error")
    assert shown.is_visible() and shown.inner_text() == message
    assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
    assert f"{field}-error" in (page.get_attribute(f"#{field}", "aria-describedby") or "").split()


def test_refused_staff_forms_keep_what_was_typed_beside_the_reason(live_server: str, staff: Any) -> None:
    page = staff
    found: dict[str, list[str]] = {}

    page.goto(f"{live_server}/bodies")
    page.fill("#name", "Junta de Govern Local")
    page.fill("#code", "ple")
    page.select_option("#kind", "junta_govern")
    page.fill("#legal_members", "5")
    _refused(page, page.get_by_role("button", name="Create"), 409)
    _beside(page, "code", "There is already a body with the code ple.")
    assert page.input_value("#name") == "Junta de Govern Local" and page.input_value("#kind") == "junta_govern"
    found["/bodies (refused)"] = axe_violations(page)

    page.goto(f"{live_server}/transparency")
    page.fill("#title", "Pressupost 2026")
    _refused(page, page.locator("#publish-form button[type=submit]"), 422)
    _beside(page, "file", "Publish either a document or a link.")
    assert page.input_value("#title") == "Pressupost 2026"
    found["/transparency (refused)"] = axe_violations(page)

    page.goto(f"{live_server}/admin/")
    page.fill("#nu-username", "anna")
    page.fill("#nu-name", "Anna Altra")
    page.fill("#nu-password", "una contrasenya llarga")
    page.check("#nu-role-tecnic")
    _refused(page, page.get_by_role("button", name="Add user"), 409)
    _beside(page, "nu-username", "The username anna is already taken.")
    assert page.input_value("#nu-name") == "Anna Altra" and page.is_checked("#nu-role-tecnic")
    assert page.input_value("#nu-password") == ""  # a password is never sent back
    found["/admin/ (refused)"] = axe_violations(page)

    page.goto(f"{live_server}/admin/webhooks/")
    page.fill("#webhook-url", "ftp://example.org/hook")
    page.fill("#webhook-secret", "a-secret-of-sixteen-chars")
    page.uncheck("#event-1")
    _refused(page, page.get_by_role("button", name="Register webhook"), 422)
    _beside(page, "webhook-url", "The URL must start with https:// (or http://) and name a host.")
    assert page.input_value("#webhook-url") == "ftp://example.org/hook" and not page.is_checked("#event-1")
    found["/admin/webhooks/ (refused)"] = axe_violations(page)

    problems = {path: v for path, v in found.items() if v}
    assert not problems, "\n".join(f"{path}: {v}" for path, v in problems.items())
