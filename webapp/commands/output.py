"""Shared helpers for commands that print JSON or fail with readable messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from engine.base.errors import GeeError

T = TypeVar("T")

commands: list[click.Command] = []


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def fail(err: GeeError | str, code: int = 1) -> NoReturn:
    click.echo(f"error: {err}", err=True)
    sys.exit(code)


class EngineChoice(click.Choice):
    """A choice among values the engine defines, read when a command line is parsed or its help
    shown: listing the commands (``gee --help``) does not import the models they come from."""

    def __init__(self, values: Callable[[], Sequence[str]]) -> None:
        self._values = values
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        return tuple(self._values())

    @choices.setter
    def choices(self, _ignored: Sequence[str]) -> None:
        """click.Choice sets it in ``__init__``; the values are read from the engine instead."""


def in_transaction(action: Callable[[], T]) -> T:
    """The CLI edge: run ``action`` as one unit of work, or exit 1 with its message (nothing kept)."""
    from engine.base.unit_of_work import run_in_transaction

    try:
        return run_in_transaction(action)
    except GeeError as err:
        fail(err)


def transactional(command: Callable[..., T]) -> Callable[..., T]:
    """The CLI edge for a whole command (put it right above ``def``, under the click decorators):
    the command and the services it calls only flush; one commit when it returns, nothing kept
    when it fails or exits, a rerun after a lost race."""

    @wraps(command)
    def edge(*args: Any, **kwargs: Any) -> T:
        from engine.base.unit_of_work import run_in_transaction

        return run_in_transaction(lambda: command(*args, **kwargs))

    return edge
