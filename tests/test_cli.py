"""The ``gee`` console script: every command explains itself."""

from __future__ import annotations

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
