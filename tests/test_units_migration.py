"""A migration map gives each old classification code a procedure of the catalogue and a unit: the migrated
expedients carry the procedure and its classification, and open ones land in the inbox of the unit's members."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.base.db import db
from engine.eni.models import MigrationRun
from engine.expedients.expedients import Expedient
from engine.process.definition.deploy import deploy_process
from engine.process.models import HumanTask, ProcessModel
from engine.tenancy import units
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, ctx_for, make_tenant, make_user
from tests.eni_builder import Doc
from tests.eni_builder import Expedient as SentExpedient
from tests.services import run_queued_jobs
from tests.test_signatures_helpers import town
from tests.web_clerk import INSTANCIA, login_en
from webapp.cli import main

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URB_OPEN, URB_CLOSED = "ES_L01080193_2017_EXP_URB1", "ES_L01080193_2017_EXP_URB2"
#: instancia_generica's sidecar gives the code INSTANCIA_GENERICA, not a SIA number: the ENI Clasificacion
#: is then <organ DIR3>_PRO_<code>, with the DIR3 of the municipality (town(): L01259999).
EXPECTED_CLASSIFICATION = "L01259999_PRO_INSTANCIA_GENERICA"
MAP = "old_code,procedure,unit\nOLD-URB,instancia_generica,urbanisme\n"


def sent(identifier: str, state: str) -> SentExpedient:
    return SentExpedient(identifier, [Doc(identifier.replace("EXP", "DOC"), PDF + identifier.encode())],
                         state=state, classification="OLD-URB")


def source(tmp_path: Path) -> Path:
    folder = tmp_path / "antic"
    folder.mkdir(exist_ok=True)
    for identifier, state in ((URB_OPEN, "E01"), (URB_CLOSED, "E02")):
        (folder / f"{identifier}.xml").write_bytes(sent(identifier, state).single_file())
    return folder


def municipality() -> Tenant:
    """A town with a clerk, mayor and secretary; the shared instància genèrica; Urbanisme staffed by a
    technician; an administrator."""
    people = town()
    tenant = db.session.get(Tenant, people["clerk"].tenant_id)
    assert tenant is not None
    assert deploy_process(None, INSTANCIA, shared=True).ok
    admin = make_user("admin.urb", tenant, ("admin",))
    architect = make_user("arquitecta", tenant, ("tecnic",), full_name="Aina Arquitecta")
    admin_ctx = ctx_for(admin, tenant)
    unit = units.create_unit(admin_ctx, "urbanisme", "Urbanisme")
    units.add_member(admin_ctx, unit.id, architect.id)
    db.session.commit()
    return tenant


def inbox(app: Flask, username: str) -> str:
    client = app.test_client()
    login_en(client, username)
    return client.get("/tasks").get_data(as_text=True)


def test_open_expedients_go_to_the_units_inbox_with_the_procedures_classification(app: Flask,
                                                                                   tmp_path: Path) -> None:
    tenant = municipality()
    mapping = tmp_path / "map.csv"
    mapping.write_text(MAP, encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["migrate", str(source(tmp_path)), "--tenant", tenant.code,
                                                 "--classification-map", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "2 imported" in result.output

    migrated = {e.eni_id: e for e in db.session.execute(select(Expedient)).scalars()}
    for expedient in migrated.values():  # open or closed, both belong to the procedure now
        model = db.session.get(ProcessModel, expedient.process_model_id)
        assert model is not None and model.key == "instancia_generica"
        assert expedient.classification == EXPECTED_CLASSIFICATION
    assert migrated[URB_OPEN].responsible_unit == "Urbanisme"

    technician = inbox(app, "arquitecta")  # a technician: no role of hers is mapped, her unit is
    assert migrated[URB_OPEN].number in technician and "unit: Urbanisme" in technician
    assert migrated[URB_CLOSED].number not in technician
    assert migrated[URB_OPEN].number not in inbox(app, "clerk.ajt-proves")  # the default role gets nothing
    task = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    assert (task.expedient_id, task.unit) == (migrated[URB_OPEN].id, "urbanisme")


def test_a_map_naming_an_unknown_procedure_or_unit_is_refused_with_each_line(client: FlaskClient) -> None:
    tenant = municipality()
    other = make_tenant(code="altre", name="Ajuntament d'Altre", dir3="L01258888", ine_code="258888")
    other_admin = make_user("admin.altre", other, ("admin",))
    units.create_unit(ctx_for(other_admin, other), "cultura", "Cultura")
    db.session.commit()

    login_en(client, "admin.urb")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"{URB_OPEN}.xml", sent(URB_OPEN, "E01").single_file())
    bad_map = ("old_code,procedure,unit\n"
               "OLD-URB,instancia_generica,urbanisme\n"
               "OLD-ARX,arxiu_historic,urbanisme\n"
               "OLD-CUL,instancia_generica,cultura\n")
    response = client.post("/admin/migration/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/migration/"), "dry_run": "1",
        "file": (io.BytesIO(archive.getvalue()), "antic.zip"), "mapping": (io.BytesIO(bad_map.encode()), "map.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert "line 3" in page and "arxiu_historic is no published procedure" in page
    assert "line 4" in page and "cultura is no active unit" in page  # the other town's unit is not ours
    assert "line 2" not in page and "Traceback" not in page
    run_queued_jobs()
    assert db.session.execute(select(func.count()).select_from(MigrationRun)).scalar_one() == 0
    assert db.session.execute(select(Expedient).where(Expedient.tenant_id == tenant.id)).first() is None


def test_an_old_map_with_a_role_column_still_works(app: Flask, tmp_path: Path) -> None:
    tenant = municipality()
    mapping = tmp_path / "map.csv"
    mapping.write_text("OLD-URB,SIA-201234,Obres,tecnic\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["migrate", str(source(tmp_path)), "--tenant", tenant.code,
                                                 "--classification-map", str(mapping)])
    assert result.exit_code == 0, result.output
    opened = db.session.execute(select(Expedient).where(Expedient.eni_id == URB_OPEN)).scalar_one()
    assert (opened.classification, opened.responsible_unit, opened.process_model_id) == ("SIA-201234", "Obres", None)
    task = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    assert (task.role, task.unit) == ("tecnic", None)
