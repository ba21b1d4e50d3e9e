"""The command-line side of a designer's work and of listing expedients:
`gee deploy --draft`, `gee process test-run`, `gee process publish`, `gee expedients list`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from engine.base.db import db
from engine.expedients import expedients, parties
from engine.expedients.expedients import ExpedientState
from engine.process.models import ProcessModel
from tests.conftest import ctx_for, make_tenant, make_user
from webapp.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sol-licitud-de-prova"
DEPLOY = ["deploy", str(EXAMPLE / "sollicitud_de_prova.bpmn"), "--tenant", "ajt-cli",
          "--forms-dir", str(EXAMPLE / "forms"), "--templates-dir", str(EXAMPLE / "templates")]


def test_draft_then_test_run_then_publish(app, tmp_path):
    make_tenant("ajt-cli", "Ajuntament del CLI")
    db.session.commit()
    cli = app.test_cli_runner()
    deployed = cli.invoke(main, [*DEPLOY, "--draft"])
    assert deployed.exit_code == 0 and "version 1 as a draft" in deployed.output
    refused = cli.invoke(main, ["start", "sollicitud_de_prova", "--tenant", "ajt-cli"])
    assert refused.exit_code == 1 and "no published process" in refused.output.lower()

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"tasks": {"T_dades": {"nom": "Pere Prova"}}}), encoding="utf-8")
    run = cli.invoke(main, ["process", "test-run", "sollicitud_de_prova", "--version", "1", "--tenant", "ajt-cli",
                            "--data", str(plan)])
    assert run.exit_code == 0, run.output
    assert "Outcome: completed" in run.output and "Pere Prova" in run.output
    assert "document: Resposta a la sol·licitud de prova [TD06]" in run.output
    as_json = cli.invoke(main, ["process", "test-run", "sollicitud_de_prova", "--version", "1", "--tenant", "ajt-cli",
                                "--json"])
    assert json.loads(as_json.output)["reached_end"] is True

    published = cli.invoke(main, ["process", "publish", "sollicitud_de_prova", "--version", "1", "--tenant", "ajt-cli"])
    assert published.exit_code == 0 and "Published sollicitud_de_prova version 1" in published.output
    started = cli.invoke(main, ["start", "sollicitud_de_prova", "--tenant", "ajt-cli"])
    assert started.exit_code == 0, started.output


def test_a_malformed_plan_is_refused_in_one_line(app, tmp_path):
    make_tenant("ajt-cli", "Ajuntament del CLI")
    db.session.commit()
    cli = app.test_cli_runner()
    assert cli.invoke(main, [*DEPLOY, "--draft"]).exit_code == 0
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"tasks": {"T_dades": "nom"}}), encoding="utf-8")
    run = cli.invoke(main, ["process", "test-run", "sollicitud_de_prova", "--version", "1", "--tenant", "ajt-cli",
                            "--data", str(plan)])
    assert run.exit_code == 1 and "each task" in run.output.lower() and "Traceback" not in run.output
    missing = cli.invoke(main, ["process", "publish", "sollicitud_de_prova", "--version", "7", "--tenant", "ajt-cli"])
    assert missing.exit_code == 1 and "no version 7" in missing.output


def _open(tenant, clerk, subject, closed=False, model_id=None):
    party = parties.find_or_create_party(clerk, "12345678Z", "Maria Soler")
    expedient = expedients.open_expedient(clerk, subject, process_model_id=model_id, party_ids=[party.id])
    if closed:
        expedient.state = ExpedientState.CLOSED.value
    db.session.commit()
    return expedient


def test_expedients_list_shows_only_the_tenants_own(app):
    ours, theirs = make_tenant("ajt-a", "Ajuntament A"), make_tenant("ajt-b", "Ajuntament B", dir3="L01250002")
    clerk_a = ctx_for(make_user("clerk-a", ours, ("tramitador",)), ours)
    clerk_b = ctx_for(make_user("clerk-b", theirs, ("tramitador",)), theirs)
    first = _open(ours, clerk_a, "Tala d'un arbre")
    second = _open(ours, clerk_a, "Gual permanent", closed=True)
    _open(theirs, clerk_b, "Expedient d'un altre ajuntament")
    cli = app.test_cli_runner()
    assert cli.invoke(main, [*DEPLOY[:2], "--tenant", "ajt-a", *DEPLOY[4:]]).exit_code == 0
    model = db.session.execute(select(ProcessModel).where(ProcessModel.tenant_id == ours.id)).scalar_one()
    third = _open(ours, clerk_a, "Sol·licitud de prova", model_id=model.id)

    table = cli.invoke(main, ["expedients", "list", "--tenant", "ajt-a"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["NUMBER", "PROCEDURE", "STATE", "OPENED", "SUBJECT"]
    assert first.number in lines[1] and "open" in lines[1] and lines[1].endswith("Tala d'un arbre")
    assert second.number in lines[2] and "closed" in lines[2]
    assert third.number in lines[3] and "sollicitud_de_prova" in lines[3]
    assert "altre ajuntament" not in table.output and lines[-1] == "3 expedients"
    only = cli.invoke(main, ["expedients", "list", "--tenant", "ajt-a", "--procedure", "sollicitud_de_prova", "--json"])
    assert [json.loads(line)["number"] for line in only.output.splitlines()] == [third.number]

    closed = cli.invoke(main, ["expedients", "list", "--tenant", "ajt-a", "--state", "closed", "--json"])
    rows = [json.loads(line) for line in closed.output.splitlines()]
    assert rows == [{"number": second.number, "procedure": None, "state": "closed", "subject": "Gual permanent",
                     "opened_on": rows[0]["opened_on"]}]
    none = cli.invoke(main, ["expedients", "list", "--tenant", "ajt-a", "--procedure", "llicencia_obres_menors"])
    assert none.output.splitlines()[-1] == "0 expedients"
    unknown = cli.invoke(main, ["expedients", "list", "--tenant", "ajt-zzz"])
    assert unknown.exit_code == 1 and "no tenant" in unknown.output
