"""``gee tenant import FILE.csv``: a progress line per row, a summary, and safe re-runs."""

from __future__ import annotations

from sqlalchemy import select

from engine.base.db import db
from engine.tenancy.models import Tenant
from tests.onboarding_helpers import csv_file, platform_context
from tests.test_tenant_import import BAD_ROWS, LLEIDA, SUCS
from webapp.cli import main


def test_the_cli_prints_a_line_per_row_and_fails_when_a_row_is_bad(app, tmp_path):
    platform_context()
    path = tmp_path / "ens.csv"
    path.write_bytes(csv_file(LLEIDA, BAD_ROWS[0][0], SUCS))
    result = app.test_cli_runner().invoke(main, ["tenant", "import", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "[1/3] line 2 Ajuntament de Lleida: created as l01251207, administrator maria.puig",
        "[2/3] line 3 Ajuntament de Tarragona: NOT imported: "
        "INE code 431480: its control digit should be 2.",
        "[3/3] line 4 EMD de Sucs: created as l05000123, administrator anna",
        "2 created, 0 already on the platform, 1 not imported",
    ]
    db.session.expire_all()
    assert db.session.execute(select(Tenant.dir3).order_by(Tenant.dir3)).scalars().all() == [
        "L01251207", "L02000025", "L05000123"]

    path.write_bytes(csv_file(LLEIDA, SUCS))
    again = app.test_cli_runner().invoke(main, ["tenant", "import", str(path)])
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == "0 created, 2 already on the platform, 0 not imported"


def test_a_file_that_is_not_the_csv_is_one_error_line(app, tmp_path):
    path = tmp_path / "ens.csv"
    path.write_bytes(b"\xff\xfe nonsense")
    result = app.test_cli_runner().invoke(main, ["tenant", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: The file is not a CSV in UTF-8."
