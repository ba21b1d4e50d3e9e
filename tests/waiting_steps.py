"""Two expedients of the clerk: one whose step only waits for its notification's outcome (it goes on
by itself), one with a task to do — what the inbox, its badge and the task API tell apart."""

from __future__ import annotations

from pathlib import Path

from engine.base.db import db
from engine.notifications import notifications as n
from engine.process.definition.deploy import deploy_process
from engine.process.models import HumanTask
from tests.procedures_helpers import Town, ready, town


class WaitingAndToDo:
    def __init__(self, t: Town) -> None:
        self.clerk = t.people["tramitador"]
        self.waiting = self._notified(t, "00000000T")
        doing = self._notified(t, "00000001R")
        (note,) = n.list_notifications(self.clerk, doing.expedient_id)
        n.access(self.clerk, note.id)
        db.session.commit()
        n.continue_process(self.clerk, note.id)
        db.session.commit()
        (self.to_do,) = ready(doing.instance_id)

    @staticmethod
    def _notified(t: Town, nif: str) -> HumanTask:
        expedient_id = t.open_case("Llicència d'obres menors", nif=nif)
        instance_id = t.start("notify_block", expedient_id,
                              {"documents_presentats": [t.attach(expedient_id, "Decret de concessió")],
                               "sollicitud": {"canal": "electronic"}})
        db.session.commit()
        (task,) = ready(instance_id)
        return task


def waiting_and_to_do() -> WaitingAndToDo:
    """The two steps, in a town with the notify_block test procedure deployed."""
    t = town("instancia_generica.bpmn")
    assert deploy_process(None, Path(__file__).parent / "fixtures" / "bpmn" / "notify_block.bpmn",
                          shared=True, created_by="tests").ok
    db.session.commit()
    made = WaitingAndToDo(t)
    assert n.awaited_by(made.clerk, made.waiting.id) is not None
    assert n.awaited_by(made.clerk, made.to_do.id) is None
    return made
