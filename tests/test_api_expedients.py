"""The JSON API of expedients: the list a page at a time with filters, closing, documents (list, new
version, issue with CSV) and notifications; another municipality's ids answer 404 as the pages do."""

from __future__ import annotations

import io

from engine.base.unit_of_work import run_in_transaction
from engine.expedients.parties import find_or_create_party
from engine.notifications import notifications as n
from tests.conftest import ctx_for
from tests.test_api import bearer, deployed_model, world  # noqa: F401 (the fixture)


def open_some(client, secret: str, subjects: list[str]) -> tuple[dict, list[dict]]:
    model = deployed_model(client, secret)
    out = []
    for subject in subjects:
        response = client.post("/api/v1/expedients", headers=bearer(secret),
                               json={"process_model_id": model["model_id"], "subject": subject})
        assert response.status_code == 201, response.get_json()
        out.append(response.get_json()["expedient"])
    return model, out


def test_the_list_pages_newest_first_and_filters_by_state_procedure_and_text(client, world):  # noqa: F811
    secret = world["ajt-a"]["secret"]
    model, opened = open_some(client, secret, ["Gual Carrer Major", "Terrassa bar", "Gual Plaça Nova"])
    first = client.get("/api/v1/expedients?limit=2", headers=bearer(secret)).get_json()
    assert [e["number"] for e in first["items"]] == [opened[2]["number"], opened[1]["number"]]
    assert first["items"][0]["procedure"] == model["key"] and first["next_cursor"]
    rest = client.get(f"/api/v1/expedients?limit=2&cursor={first['next_cursor']}", headers=bearer(secret)).get_json()
    assert [e["number"] for e in rest["items"]] == [opened[0]["number"]] and rest["next_cursor"] is None

    # The cursor is an expedient of this list; any other id is refused, not taken as "from the start".
    stray = client.get("/api/v1/expedients?limit=2&cursor=999999", headers=bearer(secret))
    assert stray.status_code == 422 and stray.get_json()["field"] == "cursor"

    gual = client.get("/api/v1/expedients?q=gual", headers=bearer(secret)).get_json()
    # A NUL byte typed into the search (PostgreSQL refuses it in text) is dropped, not a 400.
    assert client.get("/api/v1/expedients?q=gu%00al", headers=bearer(secret)).get_json() == gual
    assert [e["subject"] for e in gual["items"]] == ["Gual Plaça Nova", "Gual Carrer Major"]
    assert client.get("/api/v1/expedients?procedure=no-such", headers=bearer(secret)).get_json()["items"] == []
    assert len(client.get(f"/api/v1/expedients?procedure={model['key']}", headers=bearer(secret))
               .get_json()["items"]) == 3

    closed = client.post(f"/api/v1/expedients/{opened[1]['id']}/close", headers=bearer(secret))
    assert closed.status_code == 200 and closed.get_json()["state"] == "E02"
    listed = client.get("/api/v1/expedients?state=closed", headers=bearer(secret)).get_json()
    assert [e["number"] for e in listed["items"]] == [opened[1]["number"]]
    again = client.post(f"/api/v1/expedients/{opened[1]['id']}/close", headers=bearer(secret))
    assert again.status_code == 409

    bad = client.get("/api/v1/expedients?state=archived", headers={**bearer(secret), "Accept-Language": "es"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "state"
    assert bad.get_json()["message"] == "El estado debe ser open (abierto) o closed (cerrado)."

    other = world["ajt-b"]["secret"]
    assert client.get("/api/v1/expedients", headers=bearer(other)).get_json() == {"items": [], "next_cursor": None}
    assert client.post(f"/api/v1/expedients/{opened[0]['id']}/close", headers=bearer(other)).status_code == 404


def test_documents_are_listed_versioned_and_issued_with_a_csv(client, world):  # noqa: F811
    secret = world["ajt-a"]["secret"]
    _model, [expedient] = open_some(client, secret, ["Llicència d'obres"])
    base = f"/api/v1/expedients/{expedient['id']}"
    stored = client.post(f"{base}/documents", headers=bearer(secret), content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"Informe v1"), "informe.txt"), "title": "Informe tecnic"})
    assert stored.status_code == 201, stored.get_json()
    doc = stored.get_json()
    listed = client.get(f"{base}/documents", headers=bearer(secret)).get_json()
    assert doc["id"] in [d["id"] for d in listed]

    version = client.post(f"{base}/documents/{doc['id']}/versions", headers=bearer(secret),
                          content_type="multipart/form-data", data={"file": (io.BytesIO(b"Informe v2"), "v2.txt")})
    assert version.status_code == 201, version.get_json()
    assert version.get_json()["version"] == 2 and version.get_json()["title"] == "Informe tecnic"
    latest = version.get_json()["id"]
    content = client.get(f"/api/v1/documents/{latest}/content", headers=bearer(secret))
    assert content.data == b"Informe v2"
    empty = client.post(f"{base}/documents/{latest}/versions", headers=bearer(secret),
                        content_type="multipart/form-data", data={})
    assert empty.status_code == 422 and empty.get_json()["field"] == "file"

    issued = client.post(f"{base}/documents/{latest}/issue", headers=bearer(secret))
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["csv"]

    other = bearer(world["ajt-b"]["secret"])
    assert client.get(f"{base}/documents", headers=other).status_code == 404
    assert client.post(f"{base}/documents/{latest}/issue", headers=other).status_code == 404
    refused = client.post(f"{base}/documents/{latest}/versions", headers=other, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"x"), "x.txt")})
    assert refused.status_code == 404


def test_the_notifications_of_an_expedient(client, world):  # noqa: F811
    secret = world["ajt-a"]["secret"]
    _model, [expedient] = open_some(client, secret, ["Requeriment"])
    stored = client.post(f"/api/v1/expedients/{expedient['id']}/documents", headers=bearer(secret),
                         content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"Requeriment"), "req.txt"), "title": "Requeriment"})
    ctx = ctx_for(world["ajt-a"]["user"], world["ajt-a"]["tenant"])

    def notified() -> int:
        party = find_or_create_party(ctx, "12345678Z", "Maria Puig", email="maria@example.test",
                                     preferred_channel="electronic")  # her choice, not her e-mail (art. 14.1)
        return n.notify(ctx, expedient["id"], party.id, stored.get_json()["id"]).id

    note_id = run_in_transaction(notified)
    notes = client.get(f"/api/v1/expedients/{expedient['id']}/notifications", headers=bearer(secret)).get_json()
    assert [(x["id"], x["state"], x["channel"]) for x in notes] == [(note_id, "pending", "electronic")]
    assert notes[0]["expires_at"] and notes[0]["settled_at"] is None
    other = bearer(world["ajt-b"]["secret"])
    assert client.get(f"/api/v1/expedients/{expedient['id']}/notifications", headers=other).status_code == 404
