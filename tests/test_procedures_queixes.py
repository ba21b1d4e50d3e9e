"""Queixes i suggeriments: the answer is a document the alcalde signs for real (a sign step, no decree),
notified to the person who wrote, and the expedient closes; the municipal term of one month is the
answer task's deadline. A complaint is no application: no silence, no appeals (LBRL arts. 18.1, 70 bis).

Dates checked by hand against the 2026 Catalan calendar; summer time from Sunday 29 March (+02:00).
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from engine.base.clock import MADRID
from engine.citizens.procedures import get_procedure
from engine.documents.documents import read_content
from engine.notifications import notifications
from tests.online_helpers import closed, decrees_of, file_online, open_notification, outgoing
from tests.procedures_helpers import Town, pending_timers, ready, ready_ids, spiff_clock, town

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

KEY = "queixes_suggeriments"
COMPLAINT = {"tipus": "queixa", "assumpte": "Enllumenat apagat", "servei": "Enllumenat públic",
             "descripcio": "Fa dues setmanes que el fanal del carrer Major no funciona."}


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def test_the_e_office_shows_one_month_and_no_silence(t: Town) -> None:
    procedure = get_procedure(t.tenant.id, KEY, "ca")
    assert (procedure.online, procedure.max_term, procedure.silence) == (True, {"months": 1}, "none")


def test_the_answer_is_signed_by_the_alcalde_notified_and_the_expedient_closes(t: Town) -> None:
    expedient_id, instance_id = file_online(t, KEY, COMPLAINT, "2026-03-02", "Fotografia")
    # The municipal term of one month from Monday 2 March: Thursday 2 April, the answer's deadline.
    task = ready(instance_id)[0]
    assert task.element_id == "T_resposta" and task.due_at is not None
    assert task.due_at.astimezone(MADRID).isoformat() == "2026-04-02T23:59:59+02:00"
    t.do(instance_id, "T_resposta", {"resposta": "La brigada ha substituït la làmpada del fanal.",
                                     "mesures": "Revisió mensual de l'enllumenat."})
    assert ready_ids(instance_id) == ["T_resposta_signar"]
    t.sign(instance_id, "T_resposta_signar")
    data = t.show(instance_id)["data"]
    assert data["signatura"]["outcome"] == "signed"
    note = notifications.list_notifications(t.people["tramitador"], expedient_id)[-1]
    assert note.document_id == data["signatura"]["document_id"]  # the signed answer itself is notified
    pdf = read_content(t.people["tramitador"], note.document_id)[1]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "La brigada ha substituït la làmpada del fanal." in text and data["doc_resposta"]["csv"] in text
    assert len(PdfReader(io.BytesIO(pdf)).get_fields() or {}) >= 1  # the PAdES signature field
    assert outgoing(expedient_id) == ["Resposta a la queixa o suggeriment"]
    assert decrees_of(expedient_id) == []  # an answer, not a decree
    open_notification(t, expedient_id, "2026-03-20")
    assert closed(expedient_id, instance_id)


def test_the_alcalde_returns_the_answer_and_the_clerk_rewrites_it(t: Town) -> None:
    expedient_id, instance_id = file_online(t, KEY, {**COMPLAINT, "tipus": "suggeriment"}, "2026-03-02")
    t.do(instance_id, "T_resposta", {"resposta": "Gràcies pel suggeriment."})
    t.give_back(instance_id, "T_resposta_signar", "Expliqueu què farem.")
    assert ready_ids(instance_id) == ["T_resposta"]
    t.do(instance_id, "T_resposta", {"resposta": "Gràcies: el proper pressupost preveu fanals LED."})
    t.sign(instance_id, "T_resposta_signar")
    open_notification(t, expedient_id, "2026-03-20")
    assert closed(expedient_id, instance_id)


def test_the_month_running_out_leaves_the_answer_pending(t: Town) -> None:
    _, instance_id = file_online(t, KEY, COMPLAINT, "2026-03-02")
    assert pending_timers(instance_id) == {"B_termini_resposta": "2026-04-02T23:59:59+02:00"}
    assert t.fire(instance_id, "2026-04-03") == 1
    assert ready_ids(instance_id) == ["T_resposta"]  # the duty to answer stays
