"""A wrong key password on one signature comes back on the same page, beside the password field;
a batch signature says which numbers the decrees it signed took."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from lxml import html as lxml_html

from engine.base.context import Context
from engine.base.db import db
from engine.decrees.book import create_draft, get_decree
from engine.signatures.circuits import request_signatures
from engine.signatures.models import SignatureRequest
from tests.records_helpers import new_expedient
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document, town
from tests.web_clerk import field_error, login_en, token


@pytest.fixture
def people() -> dict[str, Context]:
    return town()


def _decree_for_the_mayor(people: dict[str, Context], title: str) -> SignatureRequest:
    expedient = new_expedient(people["clerk"])
    decree = create_draft(people["clerk"], title=title, text="RESOLC: concedir.", expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    return request


def _alerts(html: str) -> list[tuple[str, str]]:
    """The flashed messages of a page: (category, text)."""
    tree = lxml_html.fromstring(html)
    return [(node.get("class").split("alert-")[-1], node.text_content().strip())
            for node in tree.xpath('//div[contains(@class, "alert-") and @role]') if node.get("id") is None]


def test_a_wrong_password_on_one_signature_says_so_beside_the_password(client: FlaskClient, people) -> None:
    request = _decree_for_the_mayor(people, "Concessió de llicència")
    step_id = request.steps[0].id
    login_en(client, "mayor.ajt-proves")
    wrong = client.post(f"/signatures/{step_id}/sign",
                        data={"csrf_token": token(client, f"/signatures/{step_id}"), "password": "not-my-password"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and field_error(html, "password") == "Wrong signing key password."
    field = lxml_html.fromstring(html).get_element_by_id("password")
    assert field.get("aria-describedby") == "password-error" and field.get("autofocus") is not None
    assert field.get("value") is None and "not-my-password" not in html  # never sent back
    assert 'id="sign-form"' in html and f'src="/signatures/requests/{request.id}/document.pdf"' in html
    db.session.expire_all()
    assert get_decree(people["clerk"], request.decree_id).number is None  # nothing signed, no number taken

    # the right password then signs it, as before
    done = client.post(f"/signatures/{step_id}/sign", data={"csrf_token": token(client), "password": KEY_PASSWORD})
    assert done.status_code == 302
    number = get_decree(people["clerk"], request.decree_id).number
    assert ("success", f"Decree {number} signed: Concessió de llicència.") in _alerts(
        client.get(done.headers["Location"]).get_data(as_text=True))


def test_a_batch_says_which_number_each_decree_took(client: FlaskClient, people) -> None:
    requests = [_decree_for_the_mayor(people, title) for title in ("Llicència de la parada 12", "Gual al carrer Major")]
    report = request_signatures(people["clerk"], pdf_document(people["clerk"], requests[0].expedient_id).id,
                                ["alcalde"])
    db.session.commit()
    login_en(client, "mayor.ajt-proves")
    steps = [str(r.steps[0].id) for r in (*requests, report)]
    done = client.post("/signatures/batch", data={"csrf_token": token(client, "/signatures"),
                                                  "password": KEY_PASSWORD, "step_id": steps})
    db.session.expire_all()
    first, second = (get_decree(people["clerk"], r.decree_id).number for r in requests)
    assert first and second and re.fullmatch(r"DEC/\d{4}/0001", first) and second.endswith("/0002")
    alerts = _alerts(client.get(done.headers["Location"]).get_data(as_text=True))
    assert alerts == [("success", "3 items signed."),
                      ("success", f"Decree numbers: {first} (Llicència de la parada 12); {second} "
                                  "(Gual al carrer Major).")]

    # the secretary attests one: the number she quotes is said too; a batch of documents says no number
    client.post("/logout", data={"csrf_token": token(client)})
    login_en(client, "secretary.ajt-proves")
    attested = client.post("/signatures/batch", data={"csrf_token": token(client, "/signatures"),
                                                      "password": KEY_PASSWORD,
                                                      "step_id": [str(requests[1].steps[1].id)]})
    assert _alerts(client.get(attested.headers["Location"]).get_data(as_text=True)) == [
        ("success", "1 item signed."), ("success", f"Decree number: {second} (Gual al carrer Major).")]
