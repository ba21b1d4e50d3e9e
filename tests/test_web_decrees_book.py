"""The decree book page: the year's numbered decrees and the PDF export."""

from __future__ import annotations

import pytest

from engine.base.db import db
from engine.decrees import book as decrees
from tests.conftest import ctx_for
from tests.web_clerk import login_en, make_world


@pytest.fixture
def signed(world=None):
    world = make_world()
    draft = decrees.create_draft(ctx_for(world.clerk, world.tenant), title="Concessió de llicència de gual",
                                 text="RESOLC: concedir la llicència.")
    db.session.commit()
    decree = decrees.sign_decree(ctx_for(world.mayor, world.tenant), draft.id)
    db.session.commit()
    return decree


def test_book_lists_signed_decrees_and_exports_pdf(client, signed):
    login_en(client, "sergi")
    html = client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True)
    assert signed.number in html and "Concessió de llicència de gual" in html
    pdf = client.get(f"/decrees/book/{signed.year}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert "No decree was signed this year." in client.get(f"/decrees/book?year={signed.year - 1}").get_data(
        as_text=True)


def test_book_is_per_tenant_and_needs_a_role(client, signed):
    login_en(client, "oriol")
    assert signed.number not in client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": ""})
    client2 = client.application.test_client()
    login_en(client2, "toni")  # tècnic
    assert client2.get("/decrees/book").status_code == 403
    assert client2.get(f"/decrees/book/{signed.year}.pdf").status_code == 403
