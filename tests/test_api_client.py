"""The example Python client (examples/client/gee_client.py) against the running app: a real HTTP
server in a thread, a token, and the calls a municipality's script would make."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.expedients.expedients import open_expedient
from tests.test_api import deployed_model, world  # noqa: F401 (the fixture)
from tests.test_api_more import signed_decree, towns  # noqa: F401 (the fixture)

CLIENT_FILE = Path(__file__).resolve().parent.parent / "examples" / "client" / "gee_client.py"


def _load_client():
    spec = importlib.util.spec_from_file_location("gee_client", CLIENT_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gee_client = _load_client()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    running = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{running.server_port}"
    finally:
        running.shutdown()
        thread.join()


def test_a_script_opens_pages_files_and_registers_through_the_client(client, server, world):  # noqa: F811
    api = gee_client.GeeClient(server, world["ajt-a"]["secret"], language="es")
    assert api.me()["tenant"]["code"] == "ajt-a"
    model = deployed_model(client, world["ajt-a"]["secret"])
    opened = [api.open_expedient(model["model_id"], subject, party={"nif": "12345678Z", "name": "Maria Puig"})
              for subject in ("Gual 1", "Gual 2", "Terrassa")]
    numbers = [o["expedient"]["number"] for o in opened]
    assert [e["number"] for e in api.expedients(page_size=1)] == numbers[::-1]  # three pages, newest first
    assert [e["subject"] for e in api.expedients(q="gual")] == ["Gual 2", "Gual 1"]

    expedient_id = opened[0]["expedient"]["id"]
    doc = api.upload_document(expedient_id, "informe.txt", b"v1", "Informe")
    version = api.new_version(expedient_id, doc["id"], "informe.txt", b"v2")
    assert version["version"] == 2 and api.download(version["id"]) == b"v2"
    assert api.issue_document(expedient_id, version["id"])["csv"]
    assert version["id"] in [d["id"] for d in api.documents(expedient_id)]

    [task, *_] = [t for t in api.tasks() if t["expedient_id"] == expedient_id]
    done = api.complete_task(task["id"], {"unitat_responsable": "Urbanisme", "completa": True}, "script-1")
    assert done["human_task_id"] == task["id"]

    entry = api.register_incoming("Al·legació", channel="electronic", expedient_id=expedient_id,
                                  party={"nif": "12345678Z"})
    assert api.registry_entry(entry["id"])["expedient_id"] == expedient_id
    assert entry["id"] in [e["id"] for e in api.registry_entries(q="Al·legació")]
    assert api.close_expedient(opened[2]["expedient"]["id"])["state"] == "E02"
    assert [e["subject"] for e in api.expedients(state="closed")] == ["Terrassa"]

    with pytest.raises(gee_client.GeeApiError) as refused:
        api.expedients_page(state="archived")
    assert (refused.value.status, refused.value.field) == (422, "state")
    assert refused.value.message == "El estado debe ser open (abierto) o closed (cerrado)."

    stranger = gee_client.GeeClient(server, world["ajt-b"]["secret"])
    with pytest.raises(gee_client.GeeApiError) as hidden:
        stranger.expedient(expedient_id)
    assert (hidden.value.status, hidden.value.error) == (404, "not_found")
    with pytest.raises(gee_client.GeeApiError) as no_token:
        gee_client.GeeClient(server, "gee_not-a-token").me()
    assert no_token.value.status == 401


def test_the_client_checks_webhook_signatures_as_documented():
    body, secret = b'{"event": "decree.signed"}', "s3cret-shared-with-the-receiver"
    # The documented header: "sha256=" + hex HMAC-SHA256(secret, body), computed here with the library.
    import hashlib
    import hmac

    header = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert gee_client.genuine_webhook(body, header, secret)
    assert not gee_client.genuine_webhook(body + b" ", header, secret)
    assert not gee_client.genuine_webhook(body, header, secret + "x")


def test_a_script_reaches_parties_decrees_terms_eni_and_the_notice_board(server, towns):  # noqa: F811
    a, b = towns["ajt-a"], towns["ajt-b"]
    clerk = gee_client.GeeClient(server, a["clerk"]["Authorization"].removeprefix("Bearer "), language="en")
    secretary = gee_client.GeeClient(server, a["secretary"]["Authorization"].removeprefix("Bearer "))
    party = clerk.add_party({"nif": "12345678Z", "name": "Maria Puig", "email": "maria@example.cat"})
    assert [p["id"] for p in clerk.parties(q="puig", page_size=1)] == [party["id"]]
    # an e-mail is where notices go, not a choice of the electronic channel (art. 14.1, 41.6 Ley 39/2015)
    assert clerk.party(party["id"])["preferred_channel"] == "postal"
    entry = clerk.register_incoming("Sol·licitud de gual", party={"nif": "12345678Z"})
    assert clerk.registry_receipt(entry["id"]).startswith(b"%PDF")

    decree_id = signed_decree(a["ctx"], "Concessió de llicència de gual")
    assert [d["id"] for d in secretary.decrees(status="signed")] == [decree_id]
    assert secretary.decree(decree_id)["number"].startswith("DEC/")
    assert secretary.decree_pdf(decree_id).startswith(b"%PDF")
    assert list(secretary.all_notifications(state="pending")) == []

    # Notified on Friday 4 December 2026, 10 working days: Monday 21 December (8 December is a holiday).
    assert clerk.deadline("2026-12-04", 10)["end"] == "2026-12-21"
    opened = open_expedient(a["ctx"]["clerk"], "Ocupació de via pública")
    db.session.commit()
    assert clerk.expedient_term(opened.id) is None  # opened by hand: no procedure, no maximum term
    starts_on = local_date(utcnow()) + timedelta(days=30)  # a month from whatever day the test runs
    ends_on = (starts_on + timedelta(days=30)).isoformat()
    edict = clerk.publish_edict(opened.id, "Informació pública", "Trenta dies.", starts_on=starts_on.isoformat(),
                                ends_on=ends_on)
    assert clerk.edict(edict["id"])["ends_on"] == ends_on and [e["id"] for e in clerk.edicts()] == [edict["id"]]

    clerk.upload_document(opened.id, "plànol.txt", b"plano", "Plànol de la terrassa", from_administration=False)
    assert secretary.close_expedient(opened.id)["state"] == "E02"
    xml = clerk.export_eni(opened.id)
    other = gee_client.GeeClient(server, b["clerk"]["Authorization"].removeprefix("Bearer "))
    assert other.import_eni("expedient.xml", xml)["expedient"]["eni_id"] == opened.eni_id
    with pytest.raises(gee_client.GeeApiError) as hidden:
        other.party(party["id"])
    assert hidden.value.status == 404
    with pytest.raises(gee_client.GeeApiError) as refused:
        clerk.tenants()
    assert refused.value.status == 403
