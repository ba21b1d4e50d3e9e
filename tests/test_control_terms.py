"""Real-time control of maximum legal terms (arts. 21, 22, 24, 25 and 30 Ley 39/2015).

Dates checked by hand against the 2026 Catalan calendar: Good Friday 3 April and Easter Monday
6 April are holidays; the test town also has a local holiday on Monday 16 March 2026.

The llicència d'obres menors has a maximum term of 1 month and positive silence (its sidecar).
Application registered on Monday 2 March 2026: 1 month ends on Thursday 2 April (art. 30.4).
A requeriment d'esmena notified on Thursday 5 March suspends the term (art. 22.1.a) until the
applicant answers on Thursday 12 March: 7 natural days, so the term ends on Thursday 9 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.control.legal_terms import record_term, suspend_term
from engine.control.risk import at_risk, open_terms, province_terms
from engine.control.weekly_digest import TermDigest, digests_due, send_weekly_digest
from engine.documents.closing import close_expedient
from engine.expedients.expedients import Expedient, open_expedient
from engine.expedients.statistics import resolution_times
from engine.process.models import ProcessModel
from tests.conftest import ctx_for, login, make_tenant, make_user, settings_changed
from tests.procedures_helpers import LOCAL_HOLIDAYS, Town, spiff_clock, town
from tests.smtp_sink import SmtpSink
from tests.test_procedures_obres import _answer_online, _check, _citizen_opens, _filed, frozen_clock

__all__ = ["frozen_clock", "spiff_clock"]  # the fixtures, used by name
MENORS = "llicencia_obres_menors"



def _expedient(expedient_id: int) -> Expedient:
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None
    return expedient


@pytest.mark.usefixtures("frozen_clock")
def test_a_requeriment_suspends_the_term_from_its_notification_to_the_answer() -> None:
    t: Town = town(f"{MENORS}.bpmn")
    # Filed in the e-office on 2 March: the term starts with the procedure.
    expedient_id, instance_id = _filed(t, MENORS)
    expedient = _expedient(expedient_id)
    assert (expedient.term_start, expedient.term_months, expedient.term_due, expedient.silence) == (
        date(2026, 3, 2), 1, date(2026, 4, 2), "positive")
    _check(t, instance_id, expedient_id, completa=False, mancances="Falta el pressupost detallat.")
    _citizen_opens(t, expedient_id, "2026-03-05")  # the requeriment takes effect on 5 March
    _answer_online(t, expedient_id, instance_id, "2026-03-12", "Pressupost detallat")
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": True})
    expedient = _expedient(expedient_id)
    assert expedient.term_suspended_since is None
    assert [[str(d)[:10] for d in pair] for pair in expedient.term_suspensions] == [["2026-03-05", "2026-03-12"]]
    assert expedient.term_due == date(2026, 4, 9)  # the same day as the procedure's silence timer

    ctx = t.people["alcalde"]
    # Monday 23 March: 24-27 (4), 30-31 (2), 1-2 April (2), 7-9 April (3) = 11 working days left.
    assert at_risk(ctx, date(2026, 3, 23)) == []
    # Tuesday 24 March: 10 working days left -> at risk.
    [risky] = at_risk(ctx, date(2026, 3, 24))
    assert (risky.expedient_id, risky.working_days_left, risky.due) == (expedient_id, 10, date(2026, 4, 9))
    # Friday 27 March: 7 left; elapsed 25 days since 2 March minus the 7 suspended = 18.
    [risky] = at_risk(ctx, date(2026, 3, 27))
    assert (risky.working_days_left, risky.elapsed_days, risky.silence) == (7, 18, "positive")
    # Friday 10 April: one day past the term; positive silence has happened.
    [late] = at_risk(ctx, date(2026, 4, 10))
    assert late.expired and late.days_past == 1 and late.working_days_left == 0

    page = open_terms(ctx, 1, date(2026, 3, 27))
    assert page.total == 1 and [s.number for s in page.items] == [expedient.number]


@pytest.fixture
def two_towns():
    sant = make_tenant("sant", "Ajuntament de Sant Prova", local_holidays=LOCAL_HOLIDAYS)
    other = make_tenant("altre", "Ajuntament Altre", dir3="L01250002", ine_code="250002")
    people = {
        "alcalde": make_user("alcalde.sant", sant, ("alcalde",), email="alcalde@sant.test"),
        "secretari": make_user("secretari.sant", sant, ("secretari",), email="secretari@sant.test"),
        "tramitador": make_user("tramitador.sant", sant, ("tramitador",), email="tramitador@sant.test"),
        "altre": make_user("alcalde.altre", other, ("alcalde", "secretari"), email="alcalde@altre.test"),
    }
    platform = make_user("plataforma", sant, ("admin",), platform_admin=True)
    model = ProcessModel(tenant_id=None, key="llicencia_obres_menors", name="Llicència d'obres menors")
    db.session.add(model)
    db.session.flush()
    ctx, other_ctx = ctx_for(people["alcalde"], sant), ctx_for(people["altre"], other)
    opened = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    near = open_expedient(ctx, "Obra a prop del termini", process_model_id=model.id, opened_at=opened)
    record_term(ctx, near.id, date(2026, 3, 2), 1, [(date(2026, 3, 5), date(2026, 3, 12))])  # ends 9 April
    near.silence = "positive"  # what the procedure's sidecar gives when it starts
    far = open_expedient(ctx, "Obra amb temps", process_model_id=model.id, opened_at=opened)
    record_term(ctx, far.id, date(2026, 3, 20), 1, [])  # ends Monday 20 April
    suspended = open_expedient(ctx, "Obra en requeriment", process_model_id=model.id, opened_at=opened)
    record_term(ctx, suspended.id, date(2026, 3, 2), 1, [])  # 2 April, but suspended since 20 March
    suspend_term(ctx, suspended.id, date(2026, 3, 20))
    alien = open_expedient(other_ctx, "Expedient d'un altre municipi", process_model_id=model.id, opened_at=opened)
    record_term(other_ctx, alien.id, date(2026, 3, 2), 1, [])  # 2 April: at risk, but not Sant's
    db.session.commit()
    return {"ctx": ctx, "other_ctx": other_ctx, "near": near, "far": far, "suspended": suspended,
            "alien": alien, "people": people, "platform": platform, "sant": sant, "other": other}


def test_the_risk_list_is_per_tenant_and_respects_a_running_suspension(two_towns) -> None:
    w = two_towns
    today = date(2026, 3, 27)
    # Near: 7 working days left (see the first test). Far: 20 April is 14 working days away.
    # Suspended since 20 March: 7 days so far push 2 April to 9 April, also 7 working days left,
    # and the push grows every day the suspension runs.
    risky = at_risk(w["ctx"], today)
    assert [(s.number, s.working_days_left) for s in risky] == [
        (w["near"].number, 7), (w["suspended"].number, 7)]
    assert risky[1].suspended_since == date(2026, 3, 20)
    assert [s.number for s in at_risk(w["ctx"], date(2026, 3, 30))] == [w["near"].number, w["suspended"].number]
    assert at_risk(w["ctx"], date(2026, 3, 30))[1].due == date(2026, 4, 13)  # 2 April + 10 suspended days
    # The other municipality sees only its own.
    assert [s.subject for s in at_risk(w["other_ctx"], today)] == ["Expedient d'un altre municipi"]
    # The province on Friday 3 April: per municipality, open with a term / at risk / past it.
    # Sant: near (9 April: 7, 8, 9 = 3 left), far (20 April: 7-10, 13-17, 20 = 10 left) and the
    # suspended one (14 days so far: 16 April, 8 left) are all at risk, none past. The other
    # town's expedient, due Thursday 2 April, is past its term.
    rows = {r.tenant: (r.with_term, r.at_risk, r.expired) for r in province_terms(date(2026, 4, 3))}
    assert rows == {"Ajuntament de Sant Prova": (3, 3, 0), "Ajuntament Altre": (1, 1, 1)}


def test_a_closed_expedient_leaves_the_risk_list_and_counts_against_its_legal_term(two_towns) -> None:
    w = two_towns
    ctx = w["ctx"]
    close_expedient(ctx, w["near"].id)
    _expedient(w["near"].id).closed_at = datetime(2026, 3, 22, 9, 0, tzinfo=UTC)  # 20 days after opening
    db.session.commit()
    assert [s.number for s in at_risk(ctx, date(2026, 3, 27))] == [w["suspended"].number]
    [row] = resolution_times(ctx)
    assert (row.procedure, row.resolved, row.median_days, row.legal_months) == ("Llicència d'obres menors", 1, 20, 1)


def test_the_weekly_digest_goes_once_to_the_mayor_and_the_secretary(app, two_towns) -> None:
    w = two_towns
    sunday_night = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 30 March 00:00 in Madrid
    assert digests_due(sunday_night) == []  # not before Monday 7:00
    monday = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # 8:00 in Madrid
    due = digests_due(monday)
    assert due == [(w["sant"].id, "2026-W14"), (w["other"].id, "2026-W14")]
    with SmtpSink() as sink, settings_changed(app, redis_url=None):
        app.config.update(GEE_SMTP_HOST=sink.host, GEE_SMTP_PORT=sink.port)
        try:
            assert send_weekly_digest(w["sant"].id, "2026-W14", date(2026, 3, 30)) is True
            assert send_weekly_digest(w["sant"].id, "2026-W14", date(2026, 3, 30)) is False  # once a week
        finally:
            app.config.update(GEE_SMTP_HOST=None, GEE_SMTP_PORT=None)
    [mail] = sink.messages
    assert mail["to"] == ["alcalde@sant.test", "secretari@sant.test"]  # not the clerk, not the other town
    assert w["near"].number in mail["body"] and w["suspended"].number in mail["body"]
    assert w["far"].number not in mail["body"] and "Expedient d'un altre municipi" not in mail["body"]
    assert digests_due(monday) == [(w["other"].id, "2026-W14")]
    sent = db.session.execute(select(TermDigest).where(TermDigest.tenant_id == w["sant"].id)).scalar_one()
    assert sent.at_risk == 2


def test_the_mayor_sees_the_risk_list_refresh_on_the_dashboard(client, two_towns) -> None:
    w = two_towns
    login(client, "alcalde.sant")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'hx-get="/dashboard/terms/at-risk"' in page
    partial = client.get("/dashboard/terms/at-risk")
    assert partial.status_code == 200
    html = partial.get_data(as_text=True)
    assert 'hx-trigger="every 60s"' in html  # it keeps polling itself
    assert "Expedient d'un altre municipi" not in html
    listing = client.get("/dashboard/terms/").get_data(as_text=True)
    assert w["far"].number in listing and w["near"].number in listing
    assert client.get("/dashboard/terms/province").status_code == 403
    # The expedient page shows where it stands (the real today is long after April 2026: past).
    expedient_page = client.get(f"/expedients/{w['near'].id}").get_data(as_text=True)
    assert 'id="legal-term"' in expedient_page and "Silenci positiu" in expedient_page


def test_a_clerk_does_not_get_the_risk_list(client, two_towns) -> None:
    login(client, "tramitador.sant")
    assert client.get("/dashboard/terms/at-risk").status_code == 403
    assert client.get("/dashboard/terms/").status_code == 403
    assert 'hx-get="/dashboard/terms/at-risk"' not in client.get("/dashboard/").get_data(as_text=True)


def test_the_platform_admin_sees_the_terms_of_every_municipality(client, two_towns) -> None:
    login(client, "plataforma")
    html = client.get("/dashboard/terms/province").get_data(as_text=True)
    assert "Ajuntament de Sant Prova" in html and "Ajuntament Altre" in html
