"""Outbound webhooks: an admin registers a URL and a secret; what happens in the municipality reaches it
as signed JSON POSTs (a real HTTP server in a thread receives them), retried with backoff, logged."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.base.unit_of_work import run_in_transaction
from engine.decrees.book import create_draft, sign_decree
from engine.documents.documents import store_document
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from engine.notifications import notifications as n
from engine.tenancy.tokens import create_token
from engine.webhooks.models import WebhookDelivery
from engine.worker.scheduler import sweep_all
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user, settings_changed
from tests.services import run_queued_jobs
from tests.test_api import bearer, deployed_model, opened
from tests.web_clerk import field_error, login_en
from tests.webhook_receiver import receiver

SECRET = "s3cret-shared-with-the-receiver"
EN = {"Accept-Language": "en"}


@pytest.fixture
def town():
    """Two municipalities, each with an admin and a clerk holding API tokens."""
    out = {}
    for code, dir3, ine in (("ajt-a", "L01250001", "250001"), ("ajt-b", "L01250002", "250002")):
        tenant = make_tenant(code, f"Ajuntament {code}", dir3=dir3, ine_code=ine)
        admin = make_user(f"admin-{code}", tenant, roles=("admin",))
        clerk = make_user(f"clerk-{code}", tenant, roles=("tramitador", "dissenyador", "alcalde"))
        out[code] = {"tenant": tenant, "admin": admin, "clerk": clerk,
                     "admin_token": create_token(ctx_for(admin, tenant), "hooks").secret,
                     "clerk_token": create_token(ctx_for(clerk, tenant), "script").secret}
    db.session.commit()
    return out


def signed_by(call, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), call.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(call.headers["x-gee-signature"], expected)


def register(client, token: str, url: str, events: list[str]) -> dict:
    response = client.post("/api/v1/webhooks", headers=bearer(token), json={"url": url, "secret": SECRET,
                                                                            "events": events})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_admin_registers_on_the_page_and_an_opened_expedient_arrives_signed(client, town):
    with receiver() as server:
        login(client, "admin-ajt-a")
        page = client.post("/admin/webhooks/", data={
            "url": server.url, "secret": SECRET, "events": ["expedient.opened", "task.completed"],
            "csrf_token": csrf_token(client, "/admin/webhooks/")}, headers=EN, follow_redirects=True)
        assert page.status_code == 200 and server.url in page.get_data(as_text=True)
        model = deployed_model(client, town["ajt-a"]["clerk_token"])
        expedient = opened(client, town["ajt-a"]["clerk_token"], model["model_id"])["expedient"]
        run_queued_jobs()
        opened_calls = [c for c in server.calls if c.headers["x-gee-event"] == "expedient.opened"]
        assert len(opened_calls) == 1
        call = opened_calls[0]
        assert call.path == "/gee-events" and call.headers["content-type"] == "application/json"
        assert signed_by(call, SECRET) and not signed_by(call, SECRET + "x")
        body = json.loads(call.body)
        assert body["event"] == "expedient.opened" and body["tenant"]["code"] == "ajt-a"
        assert body["data"]["expedient"]["number"] == expedient["number"]
        log = client.get("/admin/webhooks/", headers=EN).get_data(as_text=True)
        delivery_id = call.headers["x-gee-delivery"]
        assert f'data-delivery-id="{delivery_id}" data-status="delivered"' in log

        clerk = bearer(town["ajt-a"]["clerk_token"])
        [task] = client.get("/api/v1/tasks", headers=clerk).get_json()
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=clerk,
                           json={"data": {"unitat_responsable": "Urbanisme", "completa": True}})
        assert done.status_code == 200, done.get_json()
        run_queued_jobs()
        completed = [json.loads(c.body) for c in server.calls if c.headers["x-gee-event"] == "task.completed"]
        assert [c["data"]["task"]["id"] for c in completed] == [task["id"]]
        assert completed[0]["data"]["task"]["completed_by"] == "clerk-ajt-a" and signed_by(server.calls[-1], SECRET)


def test_a_refused_delivery_is_retried_with_backoff_then_failed_until_the_admin_retries_it(client, town):
    with receiver() as server:
        register(client, town["ajt-a"]["admin_token"], server.url, ["expedient.opened"])
        server.status = 503
        model = deployed_model(client, town["ajt-a"]["clerk_token"])
        tried_from = utcnow()
        opened(client, town["ajt-a"]["clerk_token"], model["model_id"])
        run_queued_jobs()
        delivery = db.session.query(WebhookDelivery).one()
        waits = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                 timedelta(hours=12)]
        for attempt, wait in enumerate(waits, start=1):
            db.session.refresh(delivery)
            assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", attempt,
                                                                                 "HTTP 503 Service Unavailable")
            due = as_utc(delivery.next_attempt_at)
            assert tried_from + wait <= due <= utcnow() + wait  # the wait counts from the failed attempt
            sweep_all(due - timedelta(seconds=1))  # not yet due: nothing is sent
            run_queued_jobs()
            assert len(server.calls) == attempt
            tried_from = utcnow()
            sweep_all(due)
            run_queued_jobs()
            assert len(server.calls) == attempt + 1
        db.session.refresh(delivery)
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
        assert len({c.body for c in server.calls}) == 1 and all(signed_by(c, SECRET) for c in server.calls)

        server.status = 204
        login(client, "admin-ajt-a")
        client.post(f"/admin/webhooks/deliveries/{delivery.id}/retry",
                    data={"csrf_token": csrf_token(client, "/admin/webhooks/")}, headers=EN)
        run_queued_jobs()
        db.session.refresh(delivery)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 7, None)
        assert len(server.calls) == 7


def test_a_signed_decree_and_a_completed_task_reach_the_webhooks_that_want_them(client, town):
    with receiver() as everything, receiver() as decrees_only:
        register(client, town["ajt-a"]["admin_token"], everything.url,
                 ["expedient.opened", "task.completed", "decree.signed", "notification.settled"])
        register(client, town["ajt-a"]["admin_token"], decrees_only.url, ["decree.signed"])
        tenant, clerk = town["ajt-a"]["tenant"], town["ajt-a"]["clerk"]
        ctx = ctx_for(clerk, tenant)
        draft = run_in_transaction(lambda: create_draft(ctx, title="Nomenament", text="Nomeno ..."))
        signed = run_in_transaction(lambda: sign_decree(ctx, draft.id))
        run_queued_jobs()
        assert [c.headers["x-gee-event"] for c in decrees_only.calls] == ["decree.signed"]
        decree = json.loads(decrees_only.calls[0].body)["data"]["decree"]
        assert decree["number"] == signed.number and decree["status"] == "signed"
        assert [c.headers["x-gee-event"] for c in everything.calls] == ["decree.signed"]


def test_a_notification_the_party_opened_is_reported_as_settled(client, town):
    tenant, clerk = town["ajt-a"]["tenant"], town["ajt-a"]["clerk"]
    ctx = ctx_for(clerk, tenant)

    def notified() -> int:
        expedient = open_expedient(ctx, "Llicència d'obres menors")
        party = find_or_create_party(ctx, "12345678Z", "Maria Puig", email="maria@example.test")
        doc = store_document(ctx, expedient.id, "resolucio.txt", b"Decret: concedida", title="Resolucio",
                             tipo_documental="TD07", from_administration=True)
        return n.notify(ctx, expedient.id, party.id, doc.id).id

    with receiver() as server:
        register(client, town["ajt-a"]["admin_token"], server.url, ["notification.settled"])
        note_id = run_in_transaction(notified)
        run_queued_jobs()
        assert server.calls == []  # made available is not settled
        run_in_transaction(lambda: n.access(ctx, note_id))
        run_queued_jobs()
        [call] = server.calls
        note = json.loads(call.body)["data"]["notification"]
        assert call.headers["x-gee-event"] == "notification.settled" and signed_by(call, SECRET)
        assert (note["id"], note["state"]) == (note_id, "accessed") and note["settled_at"]


def test_another_municipality_neither_receives_nor_sees_the_webhooks(client, town):
    with receiver() as server:
        hook = register(client, town["ajt-a"]["admin_token"], server.url, ["expedient.opened"])
        model = deployed_model(client, town["ajt-b"]["clerk_token"])
        opened(client, town["ajt-b"]["clerk_token"], model["model_id"])
        run_queued_jobs()
        assert server.calls == []
        other = bearer(town["ajt-b"]["admin_token"])
        assert client.get("/api/v1/webhooks", headers=other).get_json() == []
        assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=other).status_code == 404
        assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=other).status_code == 404
        model_a = deployed_model(client, town["ajt-a"]["clerk_token"])
        opened(client, town["ajt-a"]["clerk_token"], model_a["model_id"])
        run_queued_jobs()
        mine = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=bearer(town["ajt-a"]["admin_token"]))
        [delivery] = mine.get_json()
        assert delivery["status"] == "delivered" and delivery["attempts"] == 1
        retry = client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/retry", headers=other)
        assert retry.status_code == 404 and retry.get_json()["error"] == "not_found"


def test_only_admins_manage_webhooks_and_bad_input_is_refused_in_the_callers_language(client, town):
    clerk = bearer(town["ajt-a"]["clerk_token"])
    assert client.get("/api/v1/webhooks", headers=clerk).status_code == 403
    admin = {"Authorization": f"Bearer {town['ajt-a']['admin_token']}"}
    cases = [
        ({"url": "ftp://example.org/x", "secret": SECRET, "events": ["expedient.opened"]}, "url"),
        ({"url": "https://example.org/x", "secret": "short", "events": ["expedient.opened"]}, "secret"),
        ({"url": "https://example.org/x", "secret": SECRET, "events": ["expedient.deleted"]}, "events"),
        ({"url": "https://example.org/x", "secret": SECRET, "events": []}, "events"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/webhooks", headers={**admin, "Accept-Language": "es"}, json=body)
        assert response.status_code == 422 and response.get_json()["field"] == field
    refused = client.post("/api/v1/webhooks", headers={**admin, "Accept-Language": "es"}, json=cases[0][0])
    assert refused.get_json()["message"] == "La URL debe empezar por https:// (o http://) e indicar un servidor."
    assert client.get("/api/v1/webhooks", headers=admin).get_json() == []


def test_a_refused_webhook_on_the_page_keeps_the_url_and_events_beside_the_reason(client, town):
    login_en(client, "admin-ajt-a")
    page = client.post("/admin/webhooks/", data={
        "url": "ftp://example.org/x", "secret": SECRET, "events": ["task.completed"],
        "csrf_token": csrf_token(client, "/admin/webhooks/")}, headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert field_error(html, "webhook-url") == "The URL must start with https:// (or http://) and name a host."
    assert 'value="ftp://example.org/x"' in html and SECRET not in html  # the secret is never sent back
    assert 'value="task.completed" id="event-' in html and 'value="expedient.opened" id="event-1">' in html
    no_event = client.post("/admin/webhooks/", data={
        "url": "https://example.org/x", "secret": SECRET, "csrf_token": csrf_token(client, "/admin/webhooks/")},
        headers=EN)
    html = no_event.get_data(as_text=True)
    assert no_event.status_code == 422 and field_error(html, "webhook-events") == "Choose at least one event."
    assert '<fieldset class="mt-2" aria-describedby="webhook-events-error">' in html
    assert client.get("/api/v1/webhooks", headers=bearer(town["ajt-a"]["admin_token"])).get_json() == []


def test_in_production_a_webhook_cannot_reach_this_server_or_a_private_network(app, client, town):
    """GEE_WEBHOOK_PRIVATE_ADDRESSES is off in production: an admin cannot aim the workers at the
    provider's internal services, neither by address nor by a name that resolves to one."""
    admin = {"Authorization": f"Bearer {town['ajt-a']['admin_token']}", "Accept-Language": "es"}
    with receiver() as server:
        register(client, town["ajt-a"]["admin_token"], server.url, ["expedient.opened"])
        with settings_changed(app, webhook_private_addresses=False):
            for url in ("http://127.0.0.1:8080/x", "http://10.1.2.3/x", "https://192.168.1.10/x",
                        "http://localhost:5000/x", "http://[::1]/x", "http://169.254.169.254/latest"):
                response = client.post("/api/v1/webhooks", headers=admin,
                                       json={"url": url, "secret": SECRET, "events": ["expedient.opened"]})
                assert response.status_code == 422 and response.get_json()["field"] == "url", url
                assert "dirección pública" in response.get_json()["message"]
            model = deployed_model(client, town["ajt-a"]["clerk_token"])
            opened(client, town["ajt-a"]["clerk_token"], model["model_id"])
            run_queued_jobs()
        assert server.calls == []
        [delivery] = db.session.query(WebhookDelivery).all()
        assert delivery.status == "pending" and "127.0.0.1" in (delivery.last_error or "")
    assert len(client.get("/api/v1/webhooks", headers=admin).get_json()) == 1
