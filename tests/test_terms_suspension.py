"""The suspension of the maximum term to resolve by a requeriment d'esmena (art. 22.1.a Ley 39/2015)
ends the day the citizen's answer is filed (its registry entry), not when the clerk reviews it: the
last day moves at once by the natural days suspended, and both the clerk's expedient page and the
citizen's folder say from when to when the term was suspended.

Llicència d'obres menors (one month, from the entry of Monday 2 March 2026): the requeriment is
notified on Thursday 5 March and answered online on Thursday 12 March. 2 April + 7 natural days
suspended = Thursday 9 April (a working day, so art. 30.4 does not move it).
"""

from __future__ import annotations

import html
import re
from datetime import date

from flask.testing import FlaskClient

from engine.base.db import db
from engine.base.formats import format_day
from engine.control.risk import term_of
from engine.expedients.expedients import Expedient
from tests.conftest import login
from tests.procedures_helpers import Town, pending_timers, ready_ids, spiff_clock, town
from tests.test_procedures_obres import MARIA, MENORS, _answer_online, _check, _citizen_opens, _filed, frozen_clock
from tests.test_seu import citizen_login

__all__ = ["frozen_clock", "spiff_clock"]  # the fixtures, used by name

SUSPENDED = [["2026-03-05", "2026-03-12"]]


def _answered_on_12_march() -> tuple[Town, int, int]:
    t = town(f"{MENORS}.bpmn")
    expedient_id, instance_id = _filed(t, MENORS)
    _check(t, instance_id, expedient_id, completa=False, mancances="Falta el pressupost detallat.")
    _citizen_opens(t, expedient_id, "2026-03-05")
    assert _expedient(expedient_id).term_suspended_since == date(2026, 3, 5)
    _answer_online(t, expedient_id, instance_id, "2026-03-12", "Pressupost detallat")
    return t, expedient_id, instance_id


def _expedient(expedient_id: int) -> Expedient:
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None
    db.session.refresh(expedient)
    return expedient


def test_the_answer_s_filing_ends_the_suspension_and_moves_the_last_day() -> None:
    t, expedient_id, instance_id = _answered_on_12_march()
    # The clerk has not reviewed the correction yet: the suspension ended on the answer's day anyway.
    assert ready_ids(instance_id) == ["T_revisar_esmena"]
    expedient = _expedient(expedient_id)
    assert (expedient.term_suspended_since, expedient.term_suspensions) == (None, SUSPENDED)
    assert expedient.term_due == date(2026, 4, 9)  # 2 April + 7 natural days (5 -> 12 March)
    # Weeks later the last day no longer moves (a running suspension pushes it day by day).
    status = term_of(t.people["tramitador"], expedient, date(2026, 3, 30))
    assert status is not None and (status.due, status.suspended_since) == (date(2026, 4, 9), None)
    assert status.suspensions == ((date(2026, 3, 5), date(2026, 3, 12)),)
    assert status.elapsed_days == 28 - 7  # 2 -> 30 March, without the 7 days suspended


def test_the_review_records_the_same_suspension_and_last_day() -> None:
    t, expedient_id, instance_id = _answered_on_12_march()
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": True})
    expedient = _expedient(expedient_id)
    assert (expedient.term_suspensions, expedient.term_due) == (SUSPENDED, date(2026, 4, 9))
    assert pending_timers(instance_id) == {"C_silenci": "2026-04-09T23:59:59+02:00"}


def test_both_pages_say_from_when_to_when_the_term_was_suspended(client: FlaskClient) -> None:
    t, expedient_id, _ = _answered_on_12_march()
    since, until = format_day(date(2026, 3, 5), "ca"), format_day(date(2026, 3, 12), "ca")
    due = format_day(date(2026, 4, 9), "ca")
    login(client, "tramitador.proves")
    clerk = html.unescape(client.get(f"/expedients/{expedient_id}").get_data(as_text=True))
    card = re.search(r'id="legal-term".*?</section>', clerk, re.S)
    assert card is not None and due in card.group(0)
    [shown] = re.findall(r'<small class="term-suspension">(.*?)</small>', card.group(0))
    assert since in shown and until in shown
    assert "des del" not in card.group(0)  # no suspension still running ("suspès des del …")
    client.get("/logout")
    citizen_login(client, t.tenant.code, nif=MARIA.nif, name=MARIA.name)
    folder = html.unescape(client.get(f"/seu/{t.tenant.code}/carpeta/{expedient_id}").get_data(as_text=True))
    progress = re.search(r'<dd id="progress">(.*?)</dd>', folder, re.S)
    assert progress is not None
    assert due in progress.group(0) and since in progress.group(0) and until in progress.group(0)
    assert "des del" not in progress.group(0)
