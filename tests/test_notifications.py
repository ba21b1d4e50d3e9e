"""Notifications to interested parties: evidence, the ten natural days of art. 43.2, postal
attempts, the process waiting for the outcome, and the informational e-mail alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.documents.documents import store_document
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from engine.notifications import notifications as n
from engine.notifications.alerts import alert_party
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.tenancy.models import Tenant
from engine.worker.scheduler import sweep_all
from tests.conftest import ctx_for, make_user, settings_changed
from tests.engine_helpers import make_version
from tests.smtp_sink import SmtpSink

MADE = datetime(2026, 11, 21, 9, 15, tzinfo=UTC)  # 10:15 in Catalonia


@pytest.fixture
def clerk(tenant: Tenant) -> Context:
    user = make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    return ctx_for(user, tenant)


@pytest.fixture
def case(clerk: Context) -> dict[str, int]:
    expedient = open_expedient(clerk, "Llicència d'obres menors")
    # she chose the e-office (art. 14.1 Ley 39/2015): her e-mail alone would not make it electronic
    party = find_or_create_party(clerk, "12345678Z", "Maria Puig", email="maria@example.test",
                                 address="Carrer Major 1", postal_code="25000", municipality="Sant Demo",
                                 preferred_channel="electronic")
    doc = store_document(clerk, expedient.id, "resolucio.txt", b"Decret 2026/0001: concedida", title="Resolucio",
                         tipo_documental="TD07", from_administration=True)
    db.session.commit()
    return {"expedient": expedient.id, "party": party.id, "document": doc.id}


#: Last moment of the tenth natural day after MADE (worked below): 1 December 2026, 23:59:59 CET.
LAST_MOMENT = datetime(2026, 12, 1, 22, 59, 59, tzinfo=UTC)


def test_expiry_is_the_end_of_the_tenth_natural_day_after_being_made_available() -> None:
    # Art. 43.2 Ley 39/2015: rejected when ten natural days have passed since it was made available;
    # days counted as art. 30.4 counts them, from the day after. Made available Saturday 21 November
    # 2026 at 10:15 CET: day 1 is 22 November, ..., day 10 is Tuesday 1 December (November has 30
    # days: 22..30 are days 1-9). The tenth day runs to its end: 1 December 23:59:59 CET (UTC+1)
    # = 22:59:59 UTC. Not the clock time of the making available (10:15) of that day.
    assert n.expiry_of(MADE) == LAST_MOMENT
    # Made available at 00:30 CET on 22 November (23:30 UTC on the 21st): day D is the Madrid
    # day, 22 November; the tenth day is 2 December -> 23:59:59 CET = 22:59:59 UTC.
    assert n.expiry_of(datetime(2026, 11, 21, 23, 30, tzinfo=UTC)) == datetime(2026, 12, 2, 22, 59, 59, tzinfo=UTC)
    # Summer time: 20 October 2026 12:00 CEST (10:00 UTC); day 10 is 30 October, after summer time
    # ends on 25 October, so 23:59:59 CET = 22:59:59 UTC.
    assert n.expiry_of(datetime(2026, 10, 20, 10, 0, tzinfo=UTC)) == datetime(2026, 10, 30, 22, 59, 59, tzinfo=UTC)
    # 1 July 2026 at 10:00 CEST (08:00 UTC) -> 11 July 23:59:59 CEST (UTC+2) = 21:59:59 UTC.
    assert n.expiry_of(datetime(2026, 7, 1, 8, 0, tzinfo=UTC)) == datetime(2026, 7, 11, 21, 59, 59, tzinfo=UTC)


def test_unaccessed_notification_is_deemed_rejected_and_the_process_goes_on(
    app: Flask, tenant: Tenant, clerk: Context, case: dict[str, int]
) -> None:
    version = make_version(tenant.id, "worker_notified")
    started = instances.start_instance(clerk, version, expedient_id=case["expedient"])
    wait = started["ready_tasks"][0]
    note = n.notify(clerk, case["expedient"], case["party"], case["document"], human_task_id=wait["id"], at=MADE)
    db.session.commit()
    assert (note.channel, note.state) == ("electronic", "pending")  # the party's preferred channel
    with settings_changed(app, redis_url=None):
        assert sweep_all(as_utc(note.expires_at) - timedelta(seconds=1)).expiries == 0  # type: ignore[operator]
        assert sweep_all(as_utc(note.expires_at) + timedelta(seconds=1)).expiries == 1  # type: ignore[operator]
    db.session.expire_all()
    note = n.get_notification(clerk, note.id)
    assert note.state == "expired"
    assert [(e.kind, as_utc(e.at)) for e in note.evidence] == [
        ("made_available", MADE), ("expired_as_rejected", LAST_MOMENT)]
    tasks = db.session.execute(select(HumanTask).where(HumanTask.instance_id == started["instance_id"])
                               .order_by(HumanTask.id)).scalars().all()
    assert [(t.element_id, t.state) for t in tasks] == [("wait_notification", "completed"),
                                                        ("after_notification", "ready")]
    data = instances.show_instance(clerk, started["instance_id"])["data"]
    assert (data["notification_id"], data["notification_outcome"]) == (note.id, "expired")
    with pytest.raises(Conflict):
        n.access(clerk, note.id)


def test_access_in_time_takes_effect_and_late_access_is_refused(clerk: Context, case: dict[str, int]) -> None:
    on_time = n.notify(clerk, case["expedient"], case["party"], case["document"], at=MADE)
    late = n.notify(clerk, case["expedient"], case["party"], case["document"], at=MADE)
    # The tenth day (1 December) runs to its end: opened at 23:59:59 CET it still takes effect ...
    n.access(clerk, on_time.id, at=LAST_MOMENT)
    # ... one second later (2 December 00:00:00 CET) it was already deemed rejected.
    with pytest.raises(Conflict):
        n.access(clerk, late.id, at=LAST_MOMENT + timedelta(seconds=1))
    n.reject(clerk, late.id, at=MADE + timedelta(days=2))
    db.session.commit()
    assert [(x.id, x.state) for x in n.list_notifications(clerk, case["expedient"])] == [
        (on_time.id, "accessed"), (late.id, "rejected")]
    assert [e.kind for e in late.evidence] == ["made_available", "rejected"]


def test_postal_two_failed_attempts_then_publication(clerk: Context, case: dict[str, int]) -> None:
    paper = n.notify(clerk, case["expedient"], case["party"], case["document"], "postal", at=MADE)
    delivered = n.notify(clerk, case["expedient"], case["party"], case["document"], "postal", at=MADE)
    assert paper.expires_at is None
    n.record_postal_attempt(clerk, paper.id, MADE + timedelta(days=1), "absent")
    assert paper.state == "pending"
    n.record_postal_attempt(clerk, paper.id, MADE + timedelta(days=2), "absent")
    assert paper.state == "publication_pending"
    n.record_postal_attempt(clerk, delivered.id, MADE + timedelta(days=1), "delivered")
    assert delivered.state == "accessed"
    with pytest.raises(ValidationFailed):
        n.record_postal_attempt(clerk, delivered.id, MADE, "lost")
    db.session.commit()
    assert [(e.kind, e.result) for e in paper.evidence] == [
        ("made_available", None), ("postal_attempt", "absent"), ("postal_attempt", "absent"),
        ("publication_pending", "absent")]


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        app.config.update(GEE_SMTP_HOST=sink.host, GEE_SMTP_PORT=sink.port)
        try:
            yield sink
        finally:
            app.config.pop("GEE_SMTP_HOST")
            app.config.pop("GEE_SMTP_PORT")


@pytest.mark.parametrize(("municipal_locale", "disclaimer"), [
    ("ca", "Aquest correu és només un avís i no té efectes jurídics."),
    ("es", "Este correo es solo un aviso y no tiene efectos jurídicos."),
])
def test_party_gets_an_informational_email_in_the_municipalitys_language(
    tenant: Tenant, clerk: Context, case: dict[str, int], smtp: SmtpSink, municipal_locale: str, disclaimer: str
) -> None:
    # The party chose no language: the e-mail speaks the municipality's default one (issue #19).
    tenant.default_locale = municipal_locale
    note = n.notify(clerk, case["expedient"], case["party"], case["document"])
    db.session.commit()
    assert alert_party(tenant.id, note.id)
    assert [m["to"] for m in smtp.messages] == [["maria@example.test"]]
    assert disclaimer in " ".join(smtp.messages[0]["body"].split())


def test_a_notification_of_a_closed_expedient_can_still_be_opened_and_that_is_recorded(
    clerk: Context, case: dict[str, int]
) -> None:
    # Access is the party's right (Ley 39/2015 arts. 41 and 43) and closing the expedient does not
    # annul the act notified: the party may still open it; the evidence says the expedient was closed.
    from engine.audit.trail import AuditEvent
    from engine.documents.closing import close_expedient

    note = n.notify(clerk, case["expedient"], case["party"], case["document"], at=MADE)
    db.session.commit()
    close_expedient(clerk, case["expedient"])
    db.session.commit()
    opened = n.access(clerk, note.id, at=MADE + timedelta(days=1))
    db.session.commit()
    assert opened.state == "accessed"
    assert [(e.kind, e.result) for e in opened.evidence] == [
        ("made_available", None), ("accessed", "expedient_closed")]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "notification.accessed")).scalar_one()
    assert event.after is not None and event.after["result"] == "expedient_closed"
