"""The designer walkthrough's example procedure deploys with `gee deploy` and runs as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engine.base.db import db
from engine.documents.documents import Document
from engine.process.instances.service_calls import OPERATORS
from engine.process.models import ProcessInstance
from engine.process.sandbox.helpers import HELPER_NAMES
from tests.conftest import ctx_for, make_tenant, make_user
from tests.procedures_helpers import Town, pending_timers, ready_ids, spiff_clock, steps
from webapp.cli import main

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sol-licitud-de-prova"
README = EXAMPLE.parent / "README.md"


def test_the_walkthrough_lists_every_helper_and_operator() -> None:
    text = README.read_text(encoding="utf-8")
    for name in (*HELPER_NAMES, *OPERATORS):
        assert re.search(rf"`{re.escape(name)}\b", text), name
    assert "gee deploy" in text and "--tenant" in text


def test_example_deploys_with_gee_deploy_and_runs(app: Flask) -> None:
    tenant = make_tenant("ajt-exemple", "Ajuntament d'Exemple")
    people = {role: make_user(f"{role}.ex", tenant, (role,), full_name=f"{role.title()} Exemple")
              for role in ("tramitador", "secretari")}
    db.session.commit()
    result = app.test_cli_runner().invoke(main, [
        "deploy", str(EXAMPLE / "sollicitud_de_prova.bpmn"), "--tenant", "ajt-exemple",
        "--forms-dir", str(EXAMPLE / "forms"), "--templates-dir", str(EXAMPLE / "templates")])
    assert result.exit_code == 0, result.output
    assert "sollicitud_de_prova" in result.output

    t = Town(tenant, {role: ctx_for(user, tenant) for role, user in people.items()})
    expedient_id = t.open_case("Sol·licitud de prova")
    instance_id = t.start("sollicitud_de_prova", expedient_id)
    t.do(instance_id, "T_dades", {"nif": "12345678Z", "nom": "Maria Soler", "data_entrada": "2026-03-02",
                                  "import_sollicitat": 99.9, "documents": [1], "idioma": "es"})
    # 10 working days from 2 March 2026 (no local holidays here): Monday 16 March.
    assert pending_timers(instance_id) == {"B_termini": "2026-03-16T23:59:59+01:00"}
    assert t.fire(instance_id, "2026-03-17") == 1  # non-interrupting: a warning, the task stays
    assert ready_ids(instance_id) == ["T_resposta"] and "E_avis" in steps(instance_id)
    t.do(instance_id, "T_resposta", {"resposta": "Concedida."})
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None and instance.status == "completed"
    doc = db.session.execute(select(Document).where(Document.expedient_id == expedient_id)).scalar_one()
    assert doc.title == "Resposta a la sol·licitud de prova" and doc.csv
    assert t.show(instance_id)["data"]["doc_resposta"]["template"] == "resposta_prova.es.html"


def test_the_modeler_names_every_block_in_words() -> None:
    """The modeler's block list and an incident of a failed call say what the block does, not its id."""
    import engine.operators  # noqa: F401  (registers them)
    from engine.process.instances.service_calls import OPERATORS
    from webapp.modeler_panel import BLOCK_NAMES

    assert sorted(set(OPERATORS) - set(BLOCK_NAMES)) == []
