"""Public information (Ley 39/2015 art. 83): the edict stays 20 working days on the board, allegations
are registry entries of the expedient, the process resumes when the term ends with the allegations filed
in time, and an allegation after the term is kept, marked late."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine.base.clock import MADRID
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.noticeboard import edicts, public_information
from engine.noticeboard.models import Edict
from engine.operators import public_information as operator
from engine.process.definition.deploy import deploy_process
from engine.registry import entries
from engine.registry.entries import RegistryEntry
from tests.procedures_helpers import pending_timers, ready_ids, spiff_clock, town  # noqa: F401 (fixture)

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn" / "informacio_publica.bpmn"


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=MADRID)


def test_allegations_during_and_after_the_term_and_the_process_resumes_at_its_end(spiff_clock, monkeypatch) -> None:  # noqa: F811
    t = town("instancia_generica.bpmn")
    assert deploy_process(None, FIXTURE, shared=True, created_by="tests").ok
    db.session.commit()
    # The whole story runs on 3 December 2026, whatever day the suite runs: the operator dates the edict
    # and the board checks it does not start in the past, both on that clock.
    monkeypatch.setattr(operator, "utcnow", lambda: _at("2026-12-03T10:00:00"))
    monkeypatch.setattr(edicts, "utcnow", lambda: _at("2026-12-03T10:00:00"))
    expedient_id = t.open_case("Projecte d'obres de la piscina municipal")
    instance_id = t.start("informacio_publica", expedient_id, {"text_edicte": "Es sotmet a informació pública."})
    db.session.commit()
    # Published Thursday 3 December 2026: 20 working days from the next day, without 8 and 25 December and
    # 1 January (art. 30.2; Dec 24 and 31 are working days in Catalonia): the term ends on 5 January 2027.
    edict = db.session.query(Edict).one()
    assert edict.ends_on.isoformat() == "2027-01-05"
    assert pending_timers(instance_id) == {"Timer_termini": "2027-01-05T23:59:59+01:00"}

    clerk = t.people["tramitador"]
    monkeypatch.setattr(entries, "utcnow", lambda: _at("2026-12-10T11:00:00"))
    during = public_information.file_allegation(clerk, edict.id, nif="12345678Z", name="Maria Soler Vidal",
                                                text="La piscina ha de ser accessible.")
    db.session.commit()
    assert not during.late
    entry = db.session.get(RegistryEntry, during.registry_entry_id)
    assert entry is not None and entry.expedient_id == expedient_id and entry.direction == "E"

    assert t.fire(instance_id, "2027-01-05") == 0  # the last day is still in the term
    assert t.fire(instance_id, "2027-01-06") == 1
    db.session.commit()
    assert ready_ids(instance_id) == ["Task_resoldre"]
    taken = t.show(instance_id)["data"]["al_legacions"]
    assert (taken["count"], taken["on_time"]) == (1, 1)
    assert taken["allegations"][0]["registry_number"] == entry.number

    # filed on Saturday 9 January: it counts from Monday 11 (art. 31.2.b), after the term: kept, marked late
    monkeypatch.setattr(entries, "utcnow", lambda: _at("2027-01-09T12:00:00"))
    late = public_information.file_allegation(clerk, edict.id, nif="00000000T", name="Pere Font",
                                              text="Fora de termini.")
    db.session.commit()
    assert late.late
    summary = public_information.allegations_summary(clerk, edict.id)
    assert (summary["count"], summary["on_time"]) == (2, 1)


def test_public_information_is_never_shorter_than_twenty_working_days() -> None:
    t = town("instancia_generica.bpmn")
    expedient_id = t.open_case("Modificació de l'ordenança")
    with pytest.raises(ValidationFailed, match="at least 20 working days"):
        public_information.open_public_information(t.people["secretari"], expedient_id, title="Edicte",
                                                   text="Text", starts_on=datetime.now(MADRID).date(),
                                                   working_days=15)
