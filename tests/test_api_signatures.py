"""The JSON API of the signature queue: my items, signing with the key password, returning with a reason;
the secretary does not see an item before the mayor signed it; another municipality's steps answer 404."""

from __future__ import annotations

from engine.base.db import db
from engine.expedients.expedients import open_expedient
from engine.signatures.circuits import request_signatures
from engine.tenancy.models import User
from engine.tenancy.tokens import create_token
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document, town

EN = {"Accept-Language": "en"}


def token(ctx) -> dict[str, str]:
    secret = create_token(ctx, "signing-script").secret
    db.session.commit()
    return {"Authorization": f"Bearer {secret}", **EN}


def test_sign_and_return_through_the_api(client):
    people = town()
    other = town("ajt-altre", "L01259998")
    expedient = open_expedient(people["clerk"], "Informe d'obres")
    first = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id, "Primer").id,
                               ["alcalde", "secretari"])
    second = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id, "Segon").id, ["alcalde"])
    db.session.commit()
    mayor, secretary, clerk = token(people["mayor"]), token(people["secretary"]), token(people["clerk"])

    queue = client.get("/api/v1/signatures", headers=mayor).get_json()
    assert [item["request"]["id"] for item in queue] == [first.id, second.id]
    assert client.get("/api/v1/signatures", headers=secretary).get_json() == []  # the mayor signs first
    assert client.get("/api/v1/signatures", headers=clerk).status_code == 403

    step = queue[0]["step_id"]
    wrong = client.post(f"/api/v1/signatures/{step}/sign", headers=mayor, json={"password": "not-it"})
    assert wrong.status_code == 422 and wrong.get_json()["message"]
    signed = client.post(f"/api/v1/signatures/{step}/sign", headers=mayor, json={"password": KEY_PASSWORD})
    assert signed.status_code == 200, signed.get_json()
    steps = signed.get_json()["steps"]
    assert [(s["role"], s["state"]) for s in steps] == [("alcalde", "signed"), ("secretari", "pending")]
    assert steps[0]["signer"] == db.session.get(User, people["mayor"].user_id).full_name
    [waiting] = client.get("/api/v1/signatures", headers=secretary).get_json()
    assert waiting["request"]["id"] == first.id

    stranger = token(other["mayor"])
    assert client.post(f"/api/v1/signatures/{queue[1]['step_id']}/sign", headers=stranger,
                       json={"password": KEY_PASSWORD}).status_code == 404
    short = client.post(f"/api/v1/signatures/{queue[1]['step_id']}/return", headers=mayor, json={"reason": "no"})
    assert short.status_code == 422 and short.get_json()["field"] == "reason"
    returned = client.post(f"/api/v1/signatures/{queue[1]['step_id']}/return", headers=mayor,
                           json={"reason": "Falta la signatura del tècnic"})
    assert returned.status_code == 200
    assert (returned.get_json()["state"], returned.get_json()["return_reason"]) == ("returned",
                                                                                     "Falta la signatura del tècnic")
    assert client.get("/api/v1/signatures", headers=mayor).get_json() == []
