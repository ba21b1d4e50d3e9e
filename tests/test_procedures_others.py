"""Comunicació prèvia d'obres driven through the engine, every path (the padró and the grants have
their own files: tests/test_procedures_padro.py, tests/test_procedures_subvencions.py).

Dates checked by hand against the 2026 Catalan calendar plus the test town's local holiday of
Monday 16 March 2026 (Good Friday 3 April and Easter Monday 6 April are holidays).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.decrees.book import Decree
from engine.expedients.expedients import Expedient
from engine.process.models import ProcessInstance
from tests.procedures_helpers import (
    Town,
    document_titles,
    pending_timers,
    ready_ids,
    spiff_clock,
    town,
)

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

YEAR = local_date(utcnow()).year
OBRA = {
    "nif": "B58378431",
    "nom": "Construccions Puig SL",
    "emplacament": "Plaça de l'Església, 3",
    "referencia_cadastral": "4A08169P03PRAT0001LR",
    "descripcio_obres": "Arranjament de la tanca",
    "pressupost": 1800,
    "data_entrada": "2026-03-02",
}


def _decrees(expedient_id: int) -> list[Decree]:
    stmt = select(Decree).where(Decree.expedient_id == expedient_id).order_by(Decree.id)
    return list(db.session.execute(stmt).scalars())


def _status(instance_id: int) -> str:
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None
    return instance.status


def _sign_and_notify(t: Town, instance_id: int, prefix: str) -> None:
    t.sign(instance_id, f"T_{prefix}_signar")
    t.sign(instance_id, f"T_{prefix}_fe")
    t.do(instance_id, f"T_{prefix}_rebuda", {"data_notificacio": "2026-04-01", "estat_notificacio": "accedida"})


# --------------------------------------------------------------------------- comunicació prèvia


def _comunicacio(t: Town, result: dict[str, Any]) -> tuple[int, int]:
    expedient_id = t.open_case("Comunicació prèvia d'obres", "B58378431", "Construccions Puig SL")
    instance_id = t.start("comunicacio_previa_obres", expedient_id)
    t.do(instance_id, "T_dades", {**OBRA, "documents": [t.attach(expedient_id, "Memòria")]})
    assert document_titles(expedient_id) == ["Justificant de comunicació prèvia"]
    t.do(instance_id, "T_comprovar", result)
    return expedient_id, instance_id


def test_comunicacio_previa_conforme() -> None:
    t = town("comunicacio_previa_obres.bpmn")
    expedient_id, instance_id = _comunicacio(t, {"resultat": "conforme", "observacions": "Cap."})
    assert _status(instance_id) == "completed"
    assert document_titles(expedient_id)[-1] == "Conformitat de la comunicació prèvia"
    assert _decrees(expedient_id) == []
    assert db.session.get(Expedient, expedient_id).state == "E02"  # type: ignore[union-attr]


def test_comunicacio_previa_requirement_answered() -> None:
    t = town("comunicacio_previa_obres.bpmn")
    expedient_id, instance_id = _comunicacio(t, {"resultat": "requeriment", "mancances": "Falta el croquis."})
    t.do(instance_id, "T_requeriment_rebut", {"data_notificacio_requeriment": "2026-03-05"})
    assert pending_timers(instance_id) == {"B_esmena_termini": "2026-03-20T23:59:59+01:00"}
    t.do(instance_id, "T_esmena", {"data_esmena": "2026-03-10",
                                   "documents_esmena": [t.attach(expedient_id, "Croquis")]})
    t.do(instance_id, "T_revisar_esmena", {"esmena_correcta": True})
    assert _status(instance_id) == "completed" and _decrees(expedient_id) == []


def test_comunicacio_previa_unanswered_requirement_orders_to_stop() -> None:
    t = town("comunicacio_previa_obres.bpmn")
    expedient_id, instance_id = _comunicacio(t, {"resultat": "requeriment", "mancances": "Falta el croquis."})
    t.do(instance_id, "T_requeriment_rebut", {"data_notificacio_requeriment": "2026-03-05"})
    assert t.fire(instance_id, "2026-03-21") == 1
    _sign_and_notify(t, instance_id, "aturada")
    decree = _decrees(expedient_id)[0]
    assert (decree.number, decree.title) == (f"DEC/{YEAR}/0001", "Ordre d'aturada de les obres comunicades")
    assert _status(instance_id) == "completed"


def test_comunicacio_previa_direct_order_to_stop() -> None:
    t = town("comunicacio_previa_obres.bpmn")
    expedient_id, instance_id = _comunicacio(t, {"resultat": "aturada", "observacions": "Afecta la façana."})
    assert ready_ids(instance_id) == ["T_aturada_signar"]
    _sign_and_notify(t, instance_id, "aturada")
    assert "Afecta la façana." in _decrees(expedient_id)[0].text
