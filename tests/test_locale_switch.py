"""Switching the language brings the person back to a page they can read again: the page itself when it
was asked for with GET; after a refused form (shown at the address the form posts to, which may answer
only POST) the page the form was on, else the home page; never to another site."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.test_seu import citizen_login
from tests.web_clerk import login_en, token

HERE = "http://localhost"


def _next_of(page: str) -> str:
    """Where the page's language switch says to come back to."""
    found = re.search(r'action="/locale"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                      r'<input type="hidden" name="next" value="([^"]*)"', page)
    assert found, "no language switch on the page"
    return html.unescape(found.group(1))


def _switch(client: FlaskClient, page: str, locale: str = "ca") -> str:
    """Choose ``locale`` on ``page``; where the browser lands."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    answer = client.post("/locale", data={"csrf_token": found.group(1), "locale": locale, "next": _next_of(page)})
    assert answer.status_code == 302
    return answer.headers["Location"]


def _refused_batch(client: FlaskClient, **headers: str) -> str:
    """The signature queue after a batch sent with nothing chosen: refused, shown at /signatures/batch."""
    refused = client.post("/signatures/batch", data={"csrf_token": token(client), "password": ""}, headers=headers)
    assert refused.status_code in (409, 422)
    return refused.get_data(as_text=True)


def test_after_a_refused_form_the_language_switch_returns_to_the_page_the_form_was_on(client, world) -> None:
    login_en(client, "sergi")  # the secretary
    queue = client.get("/signatures?page=1").get_data(as_text=True)
    assert _next_of(queue) == "/signatures?page=1"  # a page asked for with GET: itself

    page = _refused_batch(client, Referer=f"{HERE}/signatures?page=1")
    assert client.get("/signatures/batch").status_code == 405  # what the old switch sent the browser back to
    landed = _switch(client, page)
    assert landed == "/signatures?page=1"
    again = client.get(landed)
    assert again.status_code == 200 and '<html lang="ca">' in again.get_data(as_text=True)


def test_without_a_page_of_this_site_to_go_back_to_it_goes_home(client, world) -> None:
    login_en(client, "sergi")
    for headers in ({}, {"Referer": "https://evil.example/signatures"},  # none, or another site's
                    {"Referer": f"{HERE}/signatures/batch"}):  # this site's, but only a form's address
        assert _switch(client, _refused_batch(client, **headers), "en") == "/"
    assert client.get("/").status_code == 200


def test_the_switch_never_leaves_the_site(client, world) -> None:
    login_en(client, "sergi")
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        answer = client.post("/locale", data={"csrf_token": token(client), "locale": "ca", "next": elsewhere})
        assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_the_e_offices_switch_after_a_refused_form_returns_to_the_form_or_the_towns_e_office(client, tenant) -> None:
    citizen_login(client, tenant.code)
    form_path = f"/seu/{tenant.code}/apoderaments/nou"
    form = client.get(form_path).get_data(as_text=True)
    assert _next_of(form) == f"{form_path}?"  # a page asked for with GET: itself

    typed = {"csrf_token": csrf_token(client, form_path), "representative_nif": "no", "representative_name": ""}
    refused = client.post(form_path, data=typed, headers={"Referer": f"{HERE}{form_path}"})
    assert refused.status_code == 422
    assert _next_of(refused.get_data(as_text=True)) == form_path  # the form, to read again in the new language
    elsewhere = client.post(form_path, data=typed, headers={"Referer": "https://evil.example/"})
    landed = _switch(client, elsewhere.get_data(as_text=True), "es")
    assert landed == f"/seu/{tenant.code}/"  # the town's e-office, not the staff's home
    assert '<html lang="es">' in client.get(landed).get_data(as_text=True)
