"""The ``gee`` console script: every command explains itself."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import click
from click.testing import CliRunner

from webapp.cli import main

GEE = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "gee"


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found += _all_commands(command, path)
    return found


def test_every_subcommand_has_help():
    runner = CliRunner()
    paths = _all_commands(main)
    assert ("demo",) in paths and ("worker",) in paths
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, f"gee {' '.join(path)} --help failed: {result.output}"
        assert "Usage:" in result.output


def test_console_script_is_installed():
    done = subprocess.run([str(GEE), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for name in ("demo", "worker", "db"):
        assert name in done.stdout


#: Libraries that cost more start-up time than Flask and SQLAlchemy together; ``gee --help``
#: must not pay for them (see docs/performance.md, "Start-up").
HEAVY_AT_START = ("alembic", "pyhanko", "aiohttp", "SpiffWorkflow", "weasyprint", "signxml")


def test_help_lists_commands_without_loading_the_heavy_libraries():
    probe = ("import sys; from webapp.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_AT_START!r})))")
    done = subprocess.run([str(GEE.parent / "python"), "-c", probe], capture_output=True, text=True, timeout=60,
                          cwd=GEE.parent.parent.parent)
    assert done.returncode == 0, done.stderr
    assert "db " in done.stdout and "bench " in done.stdout
    assert "LOADED []" in done.stdout


def test_db_upgrade_brings_an_empty_database_to_head(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    upgraded = subprocess.run([str(GEE), "db", "upgrade"], capture_output=True, text=True, timeout=120, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run([str(GEE), "db", "current"], capture_output=True, text=True, timeout=60, env=env)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout


def test_startup_benchmark_reports_both_figures_and_their_ratio():
    done = subprocess.run([str(GEE), "bench", "startup", "--runs", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "startup" and result["runs"] == 1
    assert result["gee_help_s"] > 0 and result["baseline_s"] > 0
    assert result["ratio"] == round(result["gee_help_s"] / result["baseline_s"], 2)
