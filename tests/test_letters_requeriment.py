"""A requeriment d'esmena quotes the filing as the citizen made it: the day she presented it and its
registry number, not the day a filing on a non-working day counts from (art. 31.2.b Ley 39/2015),
from which the terms still run. The shortcomings keep the lines the clerk typed them in.

Saturday 5 December 2026: a filing that day counts from Monday 7 December.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from engine.base.clock import MADRID
from engine.base.db import db
from engine.base.formats import format_day
from engine.documents.documents import Document, read_content
from tests.online_helpers import file_online, incoming
from tests.procedures_helpers import Town, ready, spiff_clock, town

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

SATURDAY = "2026-12-05"
SHORTCOMINGS = "Falta el plànol de situació.\nFalta l'autorització de la propietat."


def _letter_lines(t: Town, expedient_id: int, title: str) -> list[str]:
    doc = db.session.query(Document).filter_by(expedient_id=expedient_id, title=title).one()
    pdf = read_content(t.people["tramitador"], doc.id)[1]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [" ".join(line.split()) for line in text.splitlines()]


def _says(lines: list[str], text: str) -> bool:
    return text in " ".join(lines)


def test_the_requeriment_quotes_the_day_the_request_was_presented_and_its_number() -> None:
    t = town("acces_informacio_publica.bpmn")
    expedient_id, instance_id = file_online(t, "acces_informacio_publica", {
        "assumpte": "Contractes de neteja viària", "informacio_sollicitada": "Els contractes de neteja viària",
        "forma_acces_preferida": "electronica"}, SATURDAY)
    entry = incoming(expedient_id)[0]
    data = t.show(instance_id)["data"]
    # terms count from the effective day; the letter quotes the real one
    assert (data["data_entrada"], data["data_presentacio"]) == ("2026-12-07", SATURDAY)
    t.do(instance_id, "T_admissio", {"precisa": False, "mancances": SHORTCOMINGS})
    lines = _letter_lines(t, expedient_id, "Requeriment d'esmena")
    presented = format_day(date(2026, 12, 5), "ca", long=True)
    effective = format_day(date(2026, 12, 7), "ca", long=True)
    assert _says(lines, f"presentada el {presented} (registre d'entrada {entry.number})")
    assert not _says(lines, effective)
    # each shortcoming on its own line, as the clerk typed them
    assert "Falta el plànol de situació." in lines and "Falta l'autorització de la propietat." in lines


def test_the_activity_requeriment_quotes_the_presentation_day_and_keeps_the_lines() -> None:
    t = town("comunicacio_activitat.bpmn")
    expedient_id, instance_id = file_online(t, "comunicacio_activitat", {
        "assumpte": "Obertura d'una botiga de roba", "activitat": "Comerç al detall de roba", "epigraf": "12.42",
        "emplacament": "Carrer Major, 5", "superficie_m2": 80, "data_inici_activitat": "2026-12-14"},
        SATURDAY, "Certificat tècnic")
    entry = incoming(expedient_id)[0]
    # the municipality's month to check it runs from the effective day, Monday 7 December
    task = ready(instance_id)[0]
    assert task.due_at is not None and task.due_at.astimezone(MADRID).isoformat() == "2027-01-07T23:59:59+01:00"
    t.do(instance_id, "T_comprovacio", {"resultat": "deficiencies", "mancances": SHORTCOMINGS})
    titles = [d.title for d in db.session.query(Document).filter_by(expedient_id=expedient_id)]
    title = next(title for title in titles if title.startswith("Requeriment"))
    lines = _letter_lines(t, expedient_id, title)
    presented = format_day(date(2026, 12, 5), "ca", long=True)
    assert _says(lines, f"presentada el {presented} (registre d'entrada {entry.number})")
    assert not _says(lines, format_day(date(2026, 12, 7), "ca", long=True))
    assert "Falta el plànol de situació." in lines and "Falta l'autorització de la propietat." in lines
