"""The notify block: a step that waits for the notification's own outcome (property
``gee:await-notification``) — accessed, rejected, deemed rejected after ten natural days
(Ley 39/2015 art. 43.2), or published in the BOE after two failed postal attempts (art. 44) —
and that no form, API call or clerk's tick completes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.base.clock import MADRID, as_utc, local_date
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.notifications import notifications as n
from engine.notifications.alerts import expire_notification
from engine.process.definition.deploy import deploy_process
from engine.registry.entries import RegistryEntry
from tests.conftest import csrf_token, login
from tests.procedures_helpers import Town, ready, ready_ids, steps, town
from tests.services import run_queued_jobs

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn" / "notify_block.bpmn"


def _notified(canal: str = "electronic") -> tuple[Town, int, int]:
    t = town()
    result = deploy_process(None, FIXTURE, shared=True, created_by="tests")
    assert result.ok, [str(p) for p in result.problems]
    db.session.commit()
    expedient_id = t.open_case("Llicència d'obres menors")
    document_id = t.attach(expedient_id, "Decret de concessió")
    instance_id = t.start("notify_block", expedient_id,
                          {"documents_presentats": [document_id], "sollicitud": {"canal": canal}})
    db.session.commit()
    return t, instance_id, expedient_id


def _the_notification(t: Town, expedient_id: int) -> n.Notification:
    notes = n.list_notifications(t.people["tramitador"], expedient_id)
    assert len(notes) == 1
    return notes[0]


def test_the_step_waits_for_the_notification_and_nobody_can_tick_it(client: FlaskClient) -> None:
    t, instance_id, expedient_id = _notified()
    note = _the_notification(t, expedient_id)
    waiting = ready(instance_id)
    assert [w.element_id for w in waiting] == ["T_espera"] and note.human_task_id == waiting[0].id
    # the dispatch is an outgoing registry entry of the expedient
    entry = db.session.execute(db.select(RegistryEntry).where(RegistryEntry.expedient_id == expedient_id)).scalar_one()
    assert entry.direction == "S"  # sortida
    with pytest.raises(ValidationFailed, match="goes on by itself"):
        t.do(instance_id, "T_espera", {"notification_outcome": "accessed"})
    login(client, "tramitador.proves")
    page = client.get(f"/tasks/{waiting[0].id}").get_data(as_text=True)
    assert 'id="awaited-notification"' in page and 'id="task-form"' not in page
    assert ready_ids(instance_id) == ["T_espera"]


def test_access_by_the_party_takes_the_process_on_with_the_day_it_took_effect() -> None:
    t, instance_id, expedient_id = _notified()
    note = _the_notification(t, expedient_id)
    opened = as_utc(note.made_available_at) + timedelta(days=3)  # type: ignore[operator]
    n.access(t.people["tramitador"], note.id, at=opened)
    db.session.commit()
    assert n.continue_process(t.people["tramitador"], note.id) is True
    db.session.commit()
    assert ready_ids(instance_id) == ["T_seguir"] and "T_espera" in steps(instance_id)
    data = t.show(instance_id)["data"]
    assert (data["notification_outcome"], data["notified_on"]) == ("accessed", local_date(opened).isoformat())
    # and with the dispatch it settles, for terms that run from it
    assert data["notificacio"]["notified_on"] == local_date(opened).isoformat()
    assert data["notificacio"]["registry_number"].startswith("S/")


def test_ten_natural_days_without_access_count_as_rejected_and_the_process_goes_on() -> None:
    t, instance_id, expedient_id = _notified()
    note = _the_notification(t, expedient_id)
    expires = as_utc(note.expires_at)
    assert expires is not None
    # art. 43.2: deemed rejected when ten natural days pass from being made available
    assert (local_date(expires) - local_date(as_utc(note.made_available_at))).days == 10  # type: ignore[arg-type]
    assert expire_notification(t.tenant.id, note.id, (expires + timedelta(seconds=1)).isoformat()) is True
    db.session.commit()
    assert ready_ids(instance_id) == ["T_seguir"]
    data = t.show(instance_id)["data"]
    assert (data["notification_outcome"], data["notified_on"]) == ("expired", local_date(expires).isoformat())


def test_two_failed_postal_attempts_wait_for_the_boe_then_the_publication_takes_it_on(
    app: Flask, client: FlaskClient
) -> None:
    t, instance_id, expedient_id = _notified("postal")
    note = _the_notification(t, expedient_id)
    made = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=6)
    note.made_available_at = made  # sent by post six days ago
    db.session.commit()
    login(client, "tramitador.proves")
    for day in (1, 2):
        when = (made + timedelta(days=day)).astimezone(MADRID).strftime("%Y-%m-%dT%H:%M")
        reply = client.post(f"/expedients/{expedient_id}/notifications/{note.id}/attempts",
                            data={"csrf_token": csrf_token(client, f"/expedients/{expedient_id}"),
                                  "attempted_at": when, "result": "absent"})
        assert reply.status_code == 302
    run_queued_jobs()
    db.session.expire_all()
    assert _the_notification(t, expedient_id).state == "publication_pending"
    assert ready_ids(instance_id) == ["T_espera"]  # art. 44: still not practised
    page = client.get(f"/expedients/{expedient_id}").get_data(as_text=True)
    assert "publication-form" in page
    future = (local_date(datetime.now(UTC)) + timedelta(days=2)).isoformat()
    refused = client.post(f"/expedients/{expedient_id}/notifications/{note.id}/publication",
                          data={"csrf_token": csrf_token(client, f"/expedients/{expedient_id}"),
                                "published_on": future, "reference": "BOE-N-2026-100200"},
                          )
    assert refused.status_code == 422 and "La data de publicació no pot ser futura." in refused.get_data(as_text=True)
    published_on = local_date(made) + timedelta(days=5)
    reply = client.post(f"/expedients/{expedient_id}/notifications/{note.id}/publication",
                        data={"csrf_token": csrf_token(client, f"/expedients/{expedient_id}"),
                              "published_on": published_on.isoformat(), "reference": "BOE-N-2026-100200"})
    assert reply.status_code == 302
    run_queued_jobs()
    db.session.expire_all()
    note = _the_notification(t, expedient_id)
    assert note.state == "published"
    assert [(e.kind, e.result) for e in note.evidence][-1] == ("published", "BOE-N-2026-100200")
    assert ready_ids(instance_id) == ["T_seguir"]
    data = t.show(instance_id)["data"]
    assert (data["notification_outcome"], data["notified_on"]) == ("published", published_on.isoformat())


def test_deploy_refuses_a_wait_on_an_unknown_variable_or_with_a_form(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace('name="gee:await-notification" value="notificacio"',
                                       'name="gee:await-notification" value="notificacio_inexistent"')
    text = text.replace('<bpmn:userTask id="T_seguir" name="Continuar la tramitació">',
                        '<bpmn:userTask id="T_seguir" name="Continuar la tramitació"><bpmn:extensionElements>'
                        '<spiffworkflow:properties><spiffworkflow:property name="gee:await-notification" '
                        'value="notificacio" /><spiffworkflow:property name="formJsonSchemaFilename" '
                        'value="completesa.json" /></spiffworkflow:properties></bpmn:extensionElements>')
    bad = tmp_path / "notify_block.bpmn"
    bad.write_text(text)
    result = deploy_process(None, bad, shared=True, created_by="tests",
                            forms_dir=Path(__file__).parents[1] / "forms")
    problems = {(p.element_id, str(p.message)) for p in result.problems}
    assert problems == {
        ("T_espera", "The task Esperar la notificació waits for the notification in notificacio_inexistent, which "
                     "no earlier step sets (the resultVariable of a gee.notify)."),
        ("T_seguir", "The task Continuar la tramitació goes on with the notification's outcome: it cannot have a "
                     "form or be a sign task."),
    }
