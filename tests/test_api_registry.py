"""The JSON API of the registry book: an incoming entry with its receipt, reading and searching the
book; bad input answers a translated 422; another municipality's entries and expedients answer 404."""

from __future__ import annotations

from engine.base.clock import local_date, utcnow
from engine.base.unit_of_work import run_in_transaction
from engine.expedients.expedients import open_expedient
from tests.conftest import ctx_for
from tests.test_api import bearer, world  # noqa: F401 (the fixture)


def test_register_read_and_search_incoming_entries(client, world):  # noqa: F811
    secret = world["ajt-a"]["secret"]
    year = local_date(utcnow()).year
    response = client.post("/api/v1/registry/entries", headers=bearer(secret), json={
        "subject": "Sol·licitud de gual", "channel": "electronic", "summary": "Demana un gual al carrer Major",
        "party": {"nif": "12345678Z", "name": "Maria Puig", "email": "maria@example.test"}})
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry["number"] == f"E/{year}/000001" and entry["direction"] == "E"
    assert entry["channel"] == "electronic" and entry["sender"] == "Maria Puig" and entry["receipt_document_id"]
    receipt = client.get(f"/api/v1/documents/{entry['receipt_document_id']}/content", headers=bearer(secret))
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")

    second = client.post("/api/v1/registry/entries", headers=bearer(secret),
                         json={"subject": "Queixa soroll", "sender": "Veïns del carrer Nou"}).get_json()
    assert second["number"] == f"E/{year}/000002" and second["channel"] == "in_person"

    assert client.get(f"/api/v1/registry/entries/{entry['id']}", headers=bearer(secret)).get_json() == entry
    book = client.get("/api/v1/registry/entries", headers=bearer(secret)).get_json()
    assert [e["number"] for e in book] == [second["number"], entry["number"]]
    by_nif = client.get("/api/v1/registry/entries?q=12345678Z", headers=bearer(secret)).get_json()
    assert [e["id"] for e in by_nif] == [entry["id"]]
    assert client.get("/api/v1/registry/entries?direction=S", headers=bearer(secret)).get_json() == []

    other = bearer(world["ajt-b"]["secret"])
    assert client.get(f"/api/v1/registry/entries/{entry['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/registry/entries", headers=other).get_json() == []


def test_bad_entries_are_refused_and_nothing_is_numbered(client, world):  # noqa: F811
    secret = world["ajt-a"]["secret"]
    es = {**bearer(secret), "Accept-Language": "es"}
    wrong_direction = client.get("/api/v1/registry/entries?direction=sideways", headers=es)
    assert wrong_direction.status_code == 422
    assert wrong_direction.get_json()["message"] == "La dirección debe ser E (entrada) o S (salida)."
    wrong_channel = client.post("/api/v1/registry/entries", headers=es, json={"subject": "X", "channel": "fax"})
    assert wrong_channel.status_code == 422 and wrong_channel.get_json()["field"] == "channel"
    no_nif = client.post("/api/v1/registry/entries", headers=es, json={"subject": "X", "party": {"name": "Anna"}})
    assert no_nif.status_code == 422 and no_nif.get_json()["field"] == "party.nif"

    b = world["ajt-b"]
    their_expedient = run_in_transaction(lambda: open_expedient(ctx_for(b["user"], b["tenant"]), "Obres")).id
    theirs = client.post("/api/v1/registry/entries", headers=bearer(secret),
                         json={"subject": "Al·legació", "expedient_id": their_expedient})
    assert theirs.status_code == 404
    assert client.get("/api/v1/registry/entries", headers=bearer(secret)).get_json() == []
