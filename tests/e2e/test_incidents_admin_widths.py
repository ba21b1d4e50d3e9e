"""In a real browser: the "Grant a role" dropdown of the users table shows the whole role name, on a desktop
and on a phone, and the new municipality form asks for the INE code only for an ajuntament."""

from __future__ import annotations

from typing import Any

import pytest

from engine.base.db import db
from tests.conftest import make_tenant, make_user
from tests.e2e.pages import log_in

#: How much wider than its longest option a dropdown must be: the text plus the arrow beside it.
ARROW = 16

LONGEST_OPTION_FITS = """(select) => {
  const style = getComputedStyle(select);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = style.font;
  const longest = Math.max(...Array.from(select.options, (o) => ctx.measureText(o.text).width));
  return {select: select.getBoundingClientRect().width, text: longest};
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_grant_a_role_dropdown_shows_the_whole_role(live_server: str, page: Any, width: int) -> None:
    tenant = make_tenant()
    make_user("admina", tenant, roles=("admin",))
    make_user("clerk", tenant, roles=("tramitador",))
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "admina")
    page.goto(f"{live_server}/admin/")
    for select in page.locator("#users select[name=role]").all():
        sizes = select.evaluate(LONGEST_OPTION_FITS)
        assert sizes["select"] >= sizes["text"] + ARROW, sizes


def test_the_ine_marker_follows_the_kind_of_body(live_server: str, page: Any) -> None:
    tenant = make_tenant()
    make_user("plataforma", tenant, roles=("admin",), platform_admin=True)
    db.session.commit()
    log_in(page, live_server, "plataforma")
    page.goto(f"{live_server}/admin/tenants")
    assert page.locator("#t-ine-req").is_visible() and page.eval_on_selector("#t-ine", "e => e.required")
    page.select_option("#t-kind", "consell_comarcal")
    assert not page.locator("#t-ine-req").is_visible() and not page.eval_on_selector("#t-ine", "e => e.required")
    page.select_option("#t-kind", "ajuntament")
    assert page.locator("#t-ine-req").is_visible() and page.eval_on_selector("#t-ine", "e => e.required")
