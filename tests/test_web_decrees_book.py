"""The decree book page: the year's numbered decrees and the PDF export."""

from __future__ import annotations

import pytest

from engine.base.db import db
from engine.decrees import book as decrees
from engine.expedients.expedients import open_expedient
from engine.tenancy.models import Tenant, User
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, make_world, token


@pytest.fixture
def signed(world=None):
    world = make_world()
    clerk = ctx_for(world.clerk, world.tenant)
    expedient = open_expedient(clerk, "Gual permanent al carrer Major, 3")
    draft = decrees.create_draft(clerk, title="Concessió de llicència de gual", text="RESOLC: concedir la llicència.",
                                 expedient_id=expedient.id)
    db.session.commit()
    decree = decrees.sign_decree(ctx_for(world.mayor, world.tenant), draft.id)
    db.session.commit()
    return decree


def test_book_lists_signed_decrees_and_exports_pdf(client, signed):
    login_en(client, "sergi")
    html = client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True)
    assert signed.number in html and "Concessió de llicència de gual" in html
    # the expedient it resolves, by number and subject: a year of licence decrees reads alike by title
    row = html[html.index(signed.number):]
    row = row[:row.index("</tr>")]
    assert f'href="/expedients/{signed.expedient_id}">{signed.expedient.number}</a>' in row
    assert "Gual permanent al carrer Major, 3" in row
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


def _annul_form(html: str, decree_id: int) -> bool:
    return f'action="/decrees/{decree_id}/annul"' in html


def test_the_secretary_annuls_a_decree_from_the_book(client, signed):
    login_en(client, "sergi")  # secretari
    page = client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True)
    assert _annul_form(page, signed.id) and f"Annul decree {signed.number}" in page
    path = f"/decrees/{signed.id}/annul"
    blank = client.post(path, data={"csrf_token": token(client), "reason": "  ", "year": signed.year})
    html = blank.get_data(as_text=True)
    assert blank.status_code == 422 and field_error(html, f"reason-{signed.id}") == "This field is required."
    assert f'aria-describedby="reason-{signed.id}-error"' in html and '<details class="mt-1" open>' in html
    assert signed.number in html  # the same year's book, the reason as typed
    assert 'name="reason" rows="2" required aria-required="true">  </textarea>' in html
    assert db.session.get(decrees.Decree, signed.id).status == "signed"
    assert client.post(path, data={"reason": "Error en el destinatari"}).status_code == 400  # no CSRF token
    done = client.post(path, data={"csrf_token": token(client), "reason": "Error en el destinatari"},
                       follow_redirects=True)
    html = done.get_data(as_text=True)
    assert f"Decree {signed.number} annulled." in html
    assert "annulled</span>" in html and "Error en el destinatari" in html
    assert not _annul_form(html, signed.id)
    db.session.expire_all()
    assert db.session.get(decrees.Decree, signed.id).status == "annulled"
    again = client.post(path, data={"csrf_token": token(client), "reason": "Un altre cop", "year": signed.year})
    assert again.status_code == 409
    assert field_error(again.get_data(as_text=True), "annul") == "Only a signed decree in force can be annulled."


def test_a_clerk_may_not_annul_a_decree(client, signed):
    login_en(client, "anna")  # tramitador: reads the book, may not annul
    page = client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True)
    assert signed.number in page and not _annul_form(page, signed.id)
    refused = client.post(f"/decrees/{signed.id}/annul", data={"csrf_token": token(client), "reason": "Error"})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(decrees.Decree, signed.id).status == "signed"


def _row(html: str, number: str) -> str:
    row = html[html.index(f'<td class="text-nowrap">{number}</td>'):]
    return row[:row.index("</tr>")]


def test_the_book_says_which_decrees_wait_for_the_secretarys_attestation(client, signed):
    login_en(client, "sergi")
    waiting = _row(client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True), signed.number)
    assert "awaiting the secretary's attestation" in waiting
    secretary = db.session.execute(db.select(User).where(User.username == "sergi")).scalar_one()
    decrees.attest(ctx_for(secretary, db.session.get(Tenant, signed.tenant_id)), signed.id)
    db.session.commit()
    attested = _row(client.get(f"/decrees/book?year={signed.year}").get_data(as_text=True), signed.number)
    assert "Attested by Sergi Roca" in attested and "awaiting" not in attested


def test_the_book_searches_by_number_title_and_expedient(client, signed):
    login_en(client, "sergi")
    for found in ("llicència de gual", signed.number[-4:], signed.expedient.number, "carrer major"):
        html = client.get("/decrees/book", query_string={"year": signed.year, "q": found}).get_data(as_text=True)
        assert f'<td class="text-nowrap">{signed.number}</td>' in html, found
    nothing = client.get(f"/decrees/book?year={signed.year}&q=piscina").get_data(as_text=True)
    assert signed.number not in nothing and "No decree matches." in nothing and 'value="piscina"' in nothing
