"""Shared helpers for commands that print JSON or fail with readable messages."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from engine.base.errors import GeeError

commands: list[click.Command] = []


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def fail(err: GeeError | str, code: int = 1) -> NoReturn:
    click.echo(f"error: {err}", err=True)
    sys.exit(code)
