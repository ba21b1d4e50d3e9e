"""Open expedients of a migration land in the inbox of the role the classification map names, and of nobody else."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from engine.base.db import db
from engine.expedients.expedients import Expedient
from engine.process.models import HumanTask, ProcessModel
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, make_user
from tests.eni_builder import Doc
from tests.eni_builder import Expedient as SentExpedient
from tests.test_signatures_helpers import town
from tests.web_clerk import login_en
from webapp.cli import main

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URB_OPEN, URB_CLOSED = "ES_L01080193_2016_EXP_URB1", "ES_L01080193_2016_EXP_URB2"
CULT_OPEN = "ES_L01080193_2016_EXP_CUL1"


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "antic"
    source.mkdir(exist_ok=True)
    for identifier, state, code in ((URB_OPEN, "E01", "OLD-URB"), (URB_CLOSED, "E02", "OLD-URB"),
                                    (CULT_OPEN, "E01", "OLD-CULT")):
        sent = SentExpedient(identifier, [Doc(identifier.replace("EXP", "DOC"), PDF + identifier.encode())],
                             state=state, classification=code)
        (source / f"{identifier}.xml").write_bytes(sent.single_file())
    return source


def _inbox(app: Flask, username: str) -> str:
    client = app.test_client()
    login_en(client, username)
    return client.get("/tasks").get_data(as_text=True)


def test_open_migrated_expedients_reach_the_inbox_of_the_mapped_role_only(app: Flask, tmp_path: Path) -> None:
    people = town()
    tenant = db.session.get(Tenant, people["clerk"].tenant_id)
    make_user("tecnica.urb", tenant, ("tecnic",), full_name="Tècnica d'Urbanisme")
    db.session.commit()
    mapping = tmp_path / "map.csv"
    mapping.write_text("old_code,new_code,unit,role\nOLD-URB,SIA-201234,Urbanisme,tecnic\nOLD-CULT,SIA-209999,Cultura\n",
                       encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["migrate", str(_source(tmp_path)), "--tenant", "ajt-proves",
                                                 "--classification-map", str(mapping)])
    assert result.exit_code == 0, result.output
    number = {e.eni_id: e.number for e in db.session.execute(select(Expedient)).scalars()}

    technician = _inbox(app, "tecnica.urb")
    assert number[URB_OPEN] in technician and "Continue the migrated case file" in technician
    assert number[CULT_OPEN] not in technician and number[URB_CLOSED] not in technician

    clerk = _inbox(app, "clerk.ajt-proves")  # no role in the map: the clerks go on with it
    assert number[CULT_OPEN] in clerk
    assert number[URB_OPEN] not in clerk and number[URB_CLOSED] not in clerk

    mayor = _inbox(app, "mayor.ajt-proves")
    assert not any(n in mayor for n in number.values())
    closed = db.session.execute(select(Expedient).where(Expedient.eni_id == URB_CLOSED)).scalar_one()
    assert db.session.execute(select(HumanTask).where(HumanTask.expedient_id == closed.id)).first() is None

    # The one-step process behind it is no procedure: unpublished, so neither the catalogue nor the e-office
    # offers it.
    models = db.session.execute(select(ProcessModel).where(ProcessModel.key.like("expedient_migrat_%"))).scalars()
    assert {(m.key, m.published) for m in models} == {("expedient_migrat_tecnic", False),
                                                       ("expedient_migrat_tramitador", False)}

    # The technician takes it up and marks it done: it leaves her inbox.
    client = app.test_client()
    login_en(client, "tecnica.urb")
    task = db.session.execute(select(HumanTask).where(HumanTask.role == "tecnic")).scalar_one()
    assert client.get(f"/tasks/{task.id}").status_code == 200
    done = client.post(f"/tasks/{task.id}", data={"csrf_token": csrf_token(client, "/tasks"), "action": "complete",
                                                 "idem_key": "continua-1"})
    assert done.status_code == 302, done.get_data(as_text=True)
    after = client.get("/tasks").get_data(as_text=True)  # once, what follows it: nothing, it is finished
    assert "The procedure has finished." in after
    assert number[URB_OPEN] not in client.get("/tasks").get_data(as_text=True)

    # Re-running skips everything and puts nothing in anyone's inbox twice.
    again = app.test_cli_runner().invoke(main, ["migrate", str(_source(tmp_path)), "--tenant", "ajt-proves",
                                                "--classification-map", str(mapping)])
    assert "3 skipped" in again.output
    assert len(db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).all()) == 1


def test_a_map_naming_an_unknown_role_is_refused_with_its_line(app: Flask, tmp_path: Path) -> None:
    town()
    mapping = tmp_path / "map.csv"
    mapping.write_text("OLD-URB,SIA-201234,Urbanisme,tecnic\nOLD-CULT,SIA-209999,Cultura,bibliotecari\n",
                       encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["migrate", str(_source(tmp_path)), "--tenant", "ajt-proves",
                                                 "--classification-map", str(mapping)])
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "bibliotecari" in result.stderr and "Traceback" not in result.output
    assert db.session.execute(select(Expedient)).first() is None
