"""Audit chain anchoring: signed checkpoints outside the database catch a rewritten chain.

With write access to the database someone can edit an event and recompute every later hash, or
delete the last events and wind the head back; the hash chain alone then looks intact. A checkpoint
signed with the tenant's seal and kept in the document store folder still names the old head.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from asn1crypto import cms
from flask import Flask
from sqlalchemy import select, text

from engine.audit.trail import AuditEvent, _digest, verify_chain
from engine.base.db import db
from engine.expedients.expedients import open_expedient
from engine.tenancy.models import Tenant
from engine.worker.anchoring import checkpoints_dir, read_checkpoints, seal_chain, verify_anchored
from engine.worker.integrity import latest_check, run_integrity_checks
from engine.worker.scheduler import sweep_all
from tests.conftest import ctx_for, make_user, settings_changed
from tests.smtp_sink import SmtpSink
from tests.test_signatures_helpers import town
from webapp.cli import main

CODE = "ajt-ancorat"


@pytest.fixture
def tenant() -> Tenant:
    people = town(CODE, "L01250021")
    for subject in ("Primer", "Segon", "Tercer"):
        open_expedient(people["clerk"], subject)
    db.session.commit()
    return db.session.get(Tenant, people["clerk"].tenant_id)


def gee(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(main, ["audit", *args])


def open_more(tenant: Tenant, subject: str) -> None:
    user = make_user(f"extra.{subject.lower()}", tenant, ("tramitador",))
    open_expedient(ctx_for(user, tenant), subject)
    db.session.commit()


def rewrite_from(tenant_id: int, seq: int, actor: str) -> None:
    """The attack: edit event ``seq`` and recompute its hash and every later one, and the head's."""
    events = db.session.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
                                .order_by(AuditEvent.seq)).scalars().all()
    previous = None
    for event in events:
        if event.seq == seq:
            event.actor = actor
        if previous is not None:
            event.prev_hash = previous
        if event.seq >= seq:
            event.hash = _digest(event)
        previous = event.hash
    db.session.execute(text("UPDATE audit_heads SET last_hash = :h WHERE tenant_id = :t"),
                       {"h": previous, "t": tenant_id})
    db.session.commit()


def test_an_intact_chain_verifies_against_its_checkpoints(app: Flask, tenant: Tenant) -> None:
    result = gee(app, "seal", "--tenant", CODE)
    assert result.exit_code == 0, result.output
    files = list(checkpoints_dir(tenant.id).glob("*.json"))
    assert len(files) == 1 and str(files[0]) in result.stdout
    open_more(tenant, "Quart")  # the chain grows after the checkpoint: still fine
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.stdout and "sealed" in result.stdout
    assert verify_anchored(tenant.id) is None


def test_the_checkpoint_is_a_seal_signature_over_the_head(app: Flask, tenant: Tenant) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    head_hash = db.session.execute(text("SELECT last_hash, seq FROM audit_heads WHERE tenant_id = :t"),
                                   {"t": tenant.id}).one()
    stored = json.loads(checkpoint.path.read_text())
    body = json.loads(base64.b64decode(stored["checkpoint"]))
    assert (body["seq"], body["hash"], body["tenant_code"]) == (head_hash[1], head_hash[0], CODE)
    signed = cms.ContentInfo.load(base64.b64decode(stored["signature"]))
    assert signed["content_type"].native == "signed_data"
    subjects = [c.chosen.subject.native["common_name"] for c in signed["content"]["certificates"]]
    assert any(name.startswith("Segell") for name in subjects)  # the tenant's seal certificate signed it


def test_edit_and_rehash_is_detected_by_the_checkpoint(app: Flask, tenant: Tenant) -> None:
    seal_chain(tenant.id, mail=False)
    open_more(tenant, "Quart")
    rewrite_from(tenant.id, 2, "someone-else")
    assert verify_chain(tenant.id) is None  # the bare hash chain is fooled
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert "checkpoint" in result.stderr and "edited" in result.stderr and CODE in result.stderr
    assert "between #1 and #6" in result.stderr  # the checkpoint sealed event #6; #2 was rewritten
    assert "Traceback" not in result.output
    # The nightly integrity check (shown on the admin "Background jobs" page) finds it too.
    run_integrity_checks(tenant.id)
    check = latest_check(tenant.id)
    assert check is not None and not check.audit_ok and "checkpoint" in (check.audit_problem or "")


def test_tail_deleted_and_head_wound_back_is_detected(app: Flask, tenant: Tenant) -> None:
    head = seal_chain(tenant.id, mail=False).seq
    db.session.execute(text("DELETE FROM audit_events WHERE tenant_id = :t AND seq > :s"),
                       {"t": tenant.id, "s": head - 2})
    last = db.session.execute(text("SELECT hash FROM audit_events WHERE tenant_id = :t AND seq = :s"),
                              {"t": tenant.id, "s": head - 2}).scalar()
    db.session.execute(text("UPDATE audit_heads SET seq = :s, last_hash = :h WHERE tenant_id = :t"),
                       {"s": head - 2, "h": last, "t": tenant.id})
    db.session.commit()
    assert verify_chain(tenant.id) is None  # the bare hash chain is fooled
    result = gee(app, "verify")
    assert result.exit_code == 1
    assert f"event #{head}" in result.stderr and "deleted" in result.stderr
    assert f"ends at event #{head - 2}" in result.stderr


def test_a_forged_checkpoint_file_is_refused(app: Flask, tenant: Tenant) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    stored = json.loads(checkpoint.path.read_text())
    body = json.loads(base64.b64decode(stored["checkpoint"]))
    body["hash"] = "f" * 64
    stored["checkpoint"] = base64.b64encode(json.dumps(body).encode()).decode()
    checkpoint.path.write_text(json.dumps(stored))
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1 and "signature is not valid" in result.stderr


def test_a_broken_chain_is_not_sealed(app: Flask, tenant: Tenant) -> None:
    db.session.execute(text("UPDATE audit_events SET actor = 'x' WHERE tenant_id = :t AND seq = 1"), {"t": tenant.id})
    db.session.commit()
    result = gee(app, "seal", "--tenant", CODE)
    assert result.exit_code == 1 and "broken" in result.stderr and "Traceback" not in result.output
    assert read_checkpoints(tenant.id) == []


def test_nightly_sweep_seals_and_mails_the_secretaries(app: Flask, tenant: Tenant) -> None:
    secretary = db.session.execute(text("SELECT id FROM users WHERE username = :u"),
                                   {"u": f"secretary.{CODE}"}).scalar()
    db.session.execute(text("UPDATE users SET email = 'secretaria@example.test' WHERE id = :i"), {"i": secretary})
    db.session.commit()
    with SmtpSink() as sink, settings_changed(app, redis_url=None):
        app.config.update(GEE_SMTP_HOST=sink.host, GEE_SMTP_PORT=sink.port)
        try:
            result = sweep_all(datetime(2026, 12, 3, 3, 0, tzinfo=UTC))  # 04:00 in Madrid: the nightly work
        finally:
            app.config.update(GEE_SMTP_HOST=None, GEE_SMTP_PORT=None)
    assert result.integrity
    assert len(read_checkpoints(tenant.id)) == 1
    # The first sweep of the week also sends the weekly e-mail of legal terms (engine.control).
    seals = [m for m in sink.messages if CODE in m["subject"]]
    assert [m["to"] for m in seals] == [["secretaria@example.test"]] and "signature" in seals[0]["body"]
    assert [m["subject"] for m in sink.messages if m not in seals] == [
        f"Terminis legals en risc a {tenant.name} (2026-W49): 0"]  # in the secretary's language (Catalan)
