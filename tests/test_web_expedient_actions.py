"""From the expedient page: notify an issued document, record postal delivery attempts and see the
evidence, send a PDF for signature; other tenants' ids, missing roles and missing CSRF refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from engine.audit.trail import AuditEvent
from engine.base.clock import MADRID, as_utc
from engine.base.db import db
from engine.documents.documents import issue_document, store_document
from engine.notifications.notifications import Notification, expiry_of, notify
from engine.signatures.circuits import pending_count
from engine.signatures.models import SignatureRequest
from tests.conftest import ctx_for, make_user
from tests.web_clerk import login_en, make_world, open_case, their_issued_document, token

PDF = b"%PDF-1.4\n% informe\n%%EOF\n"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def case(world):
    """An expedient of the clerk's town (party Maria Garcia, no e-mail: notified by post) with an
    issued resolution, a draft report and a citizen's document."""
    opened = open_case(world)
    ctx = ctx_for(world.clerk, world.tenant)
    eid = opened.expedient.id
    resolution = store_document(ctx, eid, "resolucio.pdf", PDF, title="Resolució", tipo_documental="TD01",
                                from_administration=True)
    issue_document(ctx, resolution.id)
    draft = store_document(ctx, eid, "informe.pdf", PDF + b"% esborrany\n", title="Informe", tipo_documental="TD13",
                           from_administration=True)
    citizen = store_document(ctx, eid, "dni.pdf", PDF + b"% dni\n", title="DNI", tipo_documental="TD14",
                             from_administration=False)
    db.session.commit()
    return {"id": eid, "resolution": resolution.id, "draft": draft.id, "citizen": citizen.id,
            "party": _party_id(eid), "ctx": ctx}


def _party_id(expedient_id: int) -> int:
    from engine.expedients.parties import ExpedientParty

    return db.session.execute(db.select(ExpedientParty.party_id)
                              .where(ExpedientParty.expedient_id == expedient_id)).scalar_one()


def _notifications() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Notification).order_by(Notification.id)).scalars())


def _row(html: str, notification_id: int) -> str:
    match = re.search(rf'<tr id="notification-{notification_id}".*?</tr>', html, re.S)
    assert match, "notification row missing"
    return match.group(0)


def _local(moment: datetime) -> str:
    return moment.astimezone(MADRID).strftime("%Y-%m-%dT%H:%M")


def test_notify_by_post_then_two_failed_attempts_leave_it_for_the_tauler_edictal(client, world, case):
    login_en(client, "anna")
    page = client.get(f"/expedients/{case['id']}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="notify-form".*?</form>', page, re.S).group(0)
    # Only the issued document is offered; the party's preferred channel is the default.
    assert f'value="{case["resolution"]}"' in form
    assert f'value="{case["draft"]}"' not in form and f'value="{case["citizen"]}"' not in form
    assert '<option value="" selected>' in form

    done = client.post(f"/expedients/{case['id']}/notifications", data={
        "csrf_token": token(client), "party_id": case["party"], "document_id": case["resolution"], "channel": ""})
    [note] = _notifications()
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#notification-{note.id}")
    assert (note.channel, note.state, note.expires_at) == ("postal", "pending", None)

    page = client.get(f"/expedients/{case['id']}").get_data(as_text=True)
    row = _row(page, note.id)
    assert "Maria Garcia" in row and "Resolució" in row and "postal" in row
    assert 'data-state="pending"' in row and 'data-kind="made_available"' in row
    assert "Record a delivery attempt" in row

    now = datetime.now(MADRID)
    for result in ("absent", "unknown_address"):
        answer = client.post(f"/expedients/{case['id']}/notifications/{note.id}/attempts", data={
            "csrf_token": token(client), "attempted_at": _local(now), "result": result})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        if result == "absent":
            assert _notifications()[0].state == "pending"

    [note] = _notifications()
    assert note.state == "publication_pending"
    kinds = [(ev.kind, ev.result) for ev in note.evidence]
    assert kinds == [("made_available", None), ("postal_attempt", "absent"),
                     ("postal_attempt", "unknown_address"), ("publication_pending", "unknown_address")]
    assert as_utc(note.evidence[1].at) == now.replace(second=0, microsecond=0)  # the local time typed

    row = _row(client.get(f"/expedients/{case['id']}").get_data(as_text=True), note.id)
    assert "publication pending in the Tauler Edictal Únic" in row
    assert row.count('data-kind="postal_attempt"') == 2 and 'data-result="unknown_address"' in row
    assert "Record a delivery attempt" not in row
    actions = db.session.execute(db.select(AuditEvent.action).where(AuditEvent.object_type == "notification")
                                 .order_by(AuditEvent.seq)).scalars().all()
    assert actions == ["notification.made_available", "notification.postal_attempt",
                       "notification.publication_pending"]


def test_a_delivered_attempt_counts_as_accessed(client, world, case):
    note = notify(case["ctx"], case["id"], case["party"], case["resolution"],
                  at=datetime.now(MADRID) - timedelta(days=3))
    db.session.commit()
    login_en(client, "sergi")
    attempted = datetime.now(MADRID) - timedelta(days=1)
    client.post(f"/expedients/{case['id']}/notifications/{note.id}/attempts", data={
        "csrf_token": token(client), "attempted_at": _local(attempted), "result": "delivered"})
    [note] = _notifications()
    assert note.state == "accessed"
    row = _row(client.get(f"/expedients/{case['id']}").get_data(as_text=True), note.id)
    assert 'data-state="accessed"' in row and 'data-kind="accessed"' in row and 'data-result="delivered"' in row


def test_electronic_notification_shows_its_ten_day_expiry(client, world, case):
    login_en(client, "anna")
    client.post(f"/expedients/{case['id']}/notifications", data={
        "csrf_token": token(client), "party_id": case["party"], "document_id": case["resolution"],
        "channel": "electronic"})
    [note] = _notifications()
    assert note.channel == "electronic"
    assert as_utc(note.expires_at) == expiry_of(note.made_available_at)  # art. 43.2: ten natural days
    row = _row(client.get(f"/expedients/{case['id']}").get_data(as_text=True), note.id)
    assert "electronic" in row and "Record a delivery attempt" not in row
    shown = re.search(r'class="text-nowrap notification-expiry"><time datetime="([^"]+)"', row).group(1)
    assert as_utc(datetime.fromisoformat(shown)) == expiry_of(note.made_available_at)


def test_refused_input_is_explained_and_saves_nothing(client, world, case):
    login_en(client, "anna")
    url = f"/expedients/{case['id']}/notifications"
    unissued = client.post(url, data={"csrf_token": token(client), "party_id": case["party"],
                                      "document_id": case["draft"]})
    assert unissued.status_code == 422
    assert "Only an issued document (with its CSV) can be notified." in unissued.get_data(as_text=True)
    no_party = client.post(url, data={"csrf_token": token(client), "document_id": case["resolution"]})
    assert no_party.status_code == 422 and "Choose the interested party." in no_party.get_data(as_text=True)
    assert _notifications() == []

    note = notify(case["ctx"], case["id"], case["party"], case["resolution"])
    db.session.commit()
    attempts = f"/expedients/{case['id']}/notifications/{note.id}/attempts"
    future = client.post(attempts, data={"csrf_token": token(client), "result": "absent",
                                         "attempted_at": _local(datetime.now(MADRID) + timedelta(days=2))})
    assert future.status_code == 422
    expected = f'id="attempt-{note.id}-error">A delivery attempt cannot be in the future.'
    assert expected in future.get_data(as_text=True)
    garbage = client.post(attempts, data={"csrf_token": token(client), "result": "absent", "attempted_at": "ahir"})
    assert garbage.status_code == 422 and "Give the date and time of the attempt." in garbage.get_data(as_text=True)
    unknown = client.post(attempts, data={"csrf_token": token(client), "result": "lost",
                                          "attempted_at": _local(datetime.now(MADRID))})
    assert unknown.status_code == 422 and "Unknown delivery result lost." in unknown.get_data(as_text=True)
    assert [ev.kind for ev in _notifications()[0].evidence] == ["made_available"]


def test_request_signatures_shows_whose_turn_it_is(client, world, case):
    login_en(client, "anna")
    done = client.post(f"/expedients/{case['id']}/documents/{case['draft']}/signatures",
                       data={"csrf_token": token(client), "circuit": "alcalde_secretari"})
    assert done.status_code == 302
    request = db.session.execute(db.select(SignatureRequest)).scalar_one()
    assert request.document_id == case["draft"] and [s.role for s in request.steps] == ["alcalde", "secretari"]
    assert pending_count(ctx_for(world.mayor, world.tenant)) == 1
    assert pending_count(ctx_for(world.secretary, world.tenant)) == 0

    page = client.get(f"/expedients/{case['id']}").get_data(as_text=True)
    row = re.search(rf'<tr data-document-id="{case["draft"]}".*?</tr>', page, re.S).group(0)
    assert "Waiting for signature of the mayor" in row and "Request signatures" not in row
    assert f'href="/documents/{case["draft"]}/signatures"' in row
    citizen_row = re.search(rf'<tr data-document-id="{case["citizen"]}".*?</tr>', page, re.S).group(0)
    assert "Request signatures" not in citizen_row

    again = client.post(f"/expedients/{case['id']}/documents/{case['draft']}/signatures",
                        data={"csrf_token": token(client), "circuit": "secretari"})
    assert again.status_code == 409 and "already waiting for signatures" in again.get_data(as_text=True)
    citizen = client.post(f"/expedients/{case['id']}/documents/{case['citizen']}/signatures",
                          data={"csrf_token": token(client), "circuit": "secretari"})
    assert citizen.status_code == 422
    bogus = client.post(f"/expedients/{case['id']}/documents/{case['resolution']}/signatures",
                        data={"csrf_token": token(client), "circuit": "everyone"})
    assert bogus.status_code == 422 and "Choose who signs." in bogus.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(SignatureRequest)).scalar_one() == 1


def test_only_the_secretary_circuit(client, world, case):
    login_en(client, "sergi")
    client.post(f"/expedients/{case['id']}/documents/{case['draft']}/signatures",
                data={"csrf_token": token(client), "circuit": "secretari"})
    request = db.session.execute(db.select(SignatureRequest)).scalar_one()
    assert [s.role for s in request.steps] == ["secretari"]
    assert "Waiting for signature of the secretary" in client.get(f"/expedients/{case['id']}").get_data(as_text=True)


def test_another_towns_ids_are_not_found(client, world, case):
    theirs, their_doc = their_issued_document(world, PDF)
    their_ctx = ctx_for(world.outsider, world.other_tenant)
    their_party = _party_id(theirs.expedient.id)
    their_note = notify(their_ctx, theirs.expedient.id, their_party, their_doc.id)
    db.session.commit()

    login_en(client, "anna")
    ours = f"/expedients/{case['id']}"
    assert client.post(f"/expedients/{theirs.expedient.id}/notifications", data={
        "csrf_token": token(client), "party_id": their_party, "document_id": their_doc.id}).status_code == 404
    assert client.post(f"{ours}/notifications", data={
        "csrf_token": token(client), "party_id": their_party, "document_id": case["resolution"]}).status_code == 404
    assert client.post(f"{ours}/notifications", data={
        "csrf_token": token(client), "party_id": case["party"], "document_id": their_doc.id}).status_code == 404
    assert client.post(f"{ours}/notifications/{their_note.id}/attempts", data={
        "csrf_token": token(client), "attempted_at": _local(datetime.now(MADRID)),
        "result": "absent"}).status_code == 404
    assert client.post(f"{ours}/documents/{their_doc.id}/signatures", data={
        "csrf_token": token(client), "circuit": "secretari"}).status_code == 404
    assert [n.id for n in _notifications()] == [their_note.id]
    assert [ev.kind for ev in _notifications()[0].evidence] == ["made_available"]
    assert db.session.execute(db.select(db.func.count()).select_from(SignatureRequest)).scalar_one() == 0


def test_roles_are_required(client, world, case):
    make_user("dani", world.tenant, ("dissenyador",))
    db.session.commit()
    note = notify(case["ctx"], case["id"], case["party"], case["resolution"])
    db.session.commit()
    login_en(client, "toni")  # the technician: neither notifies nor exports ENI
    page = client.get(f"/expedients/{case['id']}").get_data(as_text=True)
    assert 'id="notify-form"' not in page and "Record a delivery attempt" not in page
    assert 'id="eni-export"' not in page
    assert client.post(f"/expedients/{case['id']}/notifications", data={
        "csrf_token": token(client), "party_id": case["party"], "document_id": case["resolution"]}).status_code == 403
    assert client.post(f"/expedients/{case['id']}/notifications/{note.id}/attempts", data={
        "csrf_token": token(client), "attempted_at": _local(datetime.now(MADRID)),
        "result": "absent"}).status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})
    login_en(client, "dani")
    page = client.get(f"/expedients/{case['id']}").get_data(as_text=True)
    assert "Request signatures" not in page
    assert client.post(f"/expedients/{case['id']}/documents/{case['draft']}/signatures", data={
        "csrf_token": token(client), "circuit": "secretari"}).status_code == 403
    assert len(_notifications()[0].evidence) == 1
    assert db.session.execute(db.select(db.func.count()).select_from(SignatureRequest)).scalar_one() == 0


def test_eni_links_for_the_eni_roles(client, world, case):
    login_en(client, "anna")
    page = client.get(f"/expedients/{case['id']}").get_data(as_text=True)
    assert f'href="/expedients/{case["id"]}/eni.xml"' in page
    assert f'href="/expedients/{case["id"]}/foliated-index.pdf"' in page


def test_csrf_is_required(client, world, case):
    note = notify(case["ctx"], case["id"], case["party"], case["resolution"])
    db.session.commit()
    login_en(client, "anna")
    base = f"/expedients/{case['id']}"
    assert client.post(f"{base}/notifications", data={
        "party_id": case["party"], "document_id": case["resolution"]}).status_code == 400
    assert client.post(f"{base}/notifications/{note.id}/attempts", data={
        "attempted_at": _local(datetime.now(MADRID)), "result": "absent"}).status_code == 400
    assert client.post(f"{base}/documents/{case['draft']}/signatures", data={"circuit": "secretari"}).status_code == 400
    assert len(_notifications()) == 1 and len(_notifications()[0].evidence) == 1
    assert db.session.execute(db.select(db.func.count()).select_from(SignatureRequest)).scalar_one() == 0
