"""A ``gee`` command run before ``gee db upgrade`` (or with the wrong GEE_INSTANCE_DIR) says so in
one line and exits 1: no traceback, and no empty database file left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GEE = Path(sys.executable).with_name("gee")


def _gee(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GEE_ENV")}
    env["GEE_INSTANCE_DIR"] = str(instance)
    return subprocess.run([str(GEE), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_command_before_db_upgrade_says_to_run_it_and_creates_no_file(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    result = _gee(instance, "expedients", "list", "--tenant", "sant-demo")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    database = instance / "gee.sqlite3"
    assert "`gee db upgrade`" in result.stderr and f"sqlite:///{database}" in result.stderr
    assert not database.exists()


def test_an_empty_database_file_gets_the_same_answer(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "gee.sqlite3").touch()
    result = _gee(instance, "expedients", "list", "--tenant", "sant-demo")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "`gee db upgrade`" in result.stderr


def test_the_database_url_is_printed_without_its_password() -> None:
    from webapp.commands.schema import missing_schema_message

    message = missing_schema_message("postgresql+psycopg://gee:s3cret@db.example:5432/gee")
    assert "s3cret" not in message and "postgresql+psycopg://gee@db.example:5432/gee" in message
