"""``gee migrate``: a bulk migration of ~30 expedients from another tool, some of them broken."""

from __future__ import annotations

import csv

from sqlalchemy import select

from engine.base.db import db
from engine.eni.models import EniImportedExpedient
from engine.expedients.expedients import Expedient
from tests.eni_builder import Doc
from tests.eni_builder import Expedient as SentExpedient
from tests.test_signatures_helpers import town
from webapp.cli import main

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _source(tmp_path):
    source = tmp_path / "antic"
    source.mkdir()
    good = []
    for n in range(24):
        sent = SentExpedient(f"ES_L01080193_2014_EXP_M{n:03d}", [
            Doc(f"ES_L01080193_2014_DOC_M{n:03d}A", PDF + str(n).encode(), digest="md5", encoding="hex"),
            Doc(f"ES_L01080193_2014_DOC_M{n:03d}B", PDF + b"b" + str(n).encode(), tipo="TD60"),
        ], state="E01" if n % 2 else "E02", classification="OLD-URB" if n % 3 else "OLD-CULT")
        if n % 3 == 0:
            (source / f"exp{n:03d}.zip").write_bytes(sent.zip())
        elif n % 3 == 1:
            (source / f"exp{n:03d}.xml").write_bytes(sent.single_file())
        else:
            folder = source / f"exp{n:03d}"
            folder.mkdir()
            sent.write(folder)
        good.append(sent.identifier)
    # broken: wrong digest, a type the schema does not know, not XML, no expediente, two documents missing
    wrong = SentExpedient("ES_L01080193_2014_EXP_BAD01", [Doc("ES_L01080193_2014_DOC_BAD01", PDF)])
    files = wrong.files()
    files["doc001_TD99.xml"] = files["doc001_TD99.xml"].replace(b"JVBER", b"JVBEX")
    (source / "bad01").mkdir()
    for name, data in files.items():
        (source / "bad01" / name).write_bytes(data)
    (source / "bad02.xml").write_bytes(SentExpedient("ES_L01080193_2014_EXP_BAD02", [
        Doc("ES_L01080193_2014_DOC_BAD02", PDF, tipo="TD70")]).single_file())
    (source / "bad03.xml").write_bytes(b"this is not xml")
    (source / "bad04.xml").write_bytes(b"<remesa/>")
    lonely = SentExpedient("ES_L01080193_2014_EXP_BAD05", [Doc("ES_L01080193_2014_DOC_BAD05", PDF)]).files()
    (source / "bad05").mkdir()
    (source / "bad05" / "EXP_index.xml").write_bytes(lonely["EXP_index.xml"])
    (source / "bad06.zip").write_bytes(b"PK\x03\x04 broken zip")
    return source, good


def _run(app, *args):
    return app.test_cli_runner().invoke(main, ["migrate", *args])


def _report(path):
    with path.open(encoding="utf-8") as handle:
        return {row["source"]: row for row in csv.DictReader(handle)}


def _imported(tenant_id):
    return set(db.session.execute(select(EniImportedExpedient.identifier)
                                  .where(EniImportedExpedient.tenant_id == tenant_id)).scalars())


def test_bulk_migration_reports_every_expedient_and_resumes(app, tmp_path):
    people = town()
    tenant_id = people["clerk"].tenant_id
    source, good = _source(tmp_path)
    mapping = tmp_path / "map.csv"
    mapping.write_text("old_code,new_code,unit\nOLD-URB,SIA-201234,Urbanisme\nOLD-CULT,SIA-209999,Cultura\n",
                       encoding="utf-8")

    dry = _run(app, str(source), "--tenant", "ajt-proves", "--dry-run", "--report", str(tmp_path / "dry.csv"))
    assert dry.exit_code == 0, dry.output
    assert _imported(tenant_id) == set()
    assert {r["status"] for r in _report(tmp_path / "dry.csv").values()} == {"checked", "refused"}

    result = _run(app, str(source), "--tenant", "ajt-proves", "--report", str(tmp_path / "report.csv"),
                  "--classification-map", str(mapping))
    assert result.exit_code == 0, result.output
    assert "30 expedients" in result.output and "24 imported" in result.output and "6 refused" in result.output
    report = _report(tmp_path / "report.csv")
    assert len(report) == 30
    refused = {name: row for name, row in report.items() if row["status"] == "refused"}
    assert sorted(refused) == ["bad01", "bad02.xml", "bad03.xml", "bad04.xml", "bad05", "bad06.zip"]
    assert refused["bad01"]["element"] == "ValorHuella" and "ES_L01080193_2014_DOC_BAD01" in refused["bad01"]["reason"]
    assert "TD70" in refused["bad02.xml"]["reason"]
    assert "ES_L01080193_2014_DOC_BAD05" in refused["bad05"]["reason"]
    assert all(row["reason"] for row in refused.values())
    assert _imported(tenant_id) == set(good)

    # the old codes are in the tenant's catalogue; open expedients are with the unit that handles them
    urb = db.session.execute(select(Expedient).where(Expedient.eni_id == "ES_L01080193_2014_EXP_M001")).scalar_one()
    assert urb.classification == "SIA-201234" and urb.state == "E01" and urb.responsible_unit == "Urbanisme"
    cult = db.session.execute(select(Expedient).where(Expedient.eni_id == "ES_L01080193_2014_EXP_M003")).scalar_one()
    assert cult.classification == "SIA-209999"

    again = _run(app, str(source), "--tenant", "ajt-proves", "--report", str(tmp_path / "again.csv"))
    assert again.exit_code == 0
    assert "24 skipped" in again.output and "imported" not in again.output.splitlines()[-1]
    assert db.session.execute(select(db.func.count()).select_from(EniImportedExpedient)
                              .where(EniImportedExpedient.tenant_id == tenant_id)).scalar_one() == 24


def test_the_migration_benchmark_runs_and_reports_json(app):
    import json

    result = app.test_cli_runner().invoke(main, ["bench", "migrate", "--count", "10"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    first, again = figures["runs"]
    assert figures["broken"] == 1 and first["imported"] == 9 and first["refused"] == 1
    assert again["skipped"] == 9 and "imported" not in again
