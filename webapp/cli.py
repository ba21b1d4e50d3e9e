"""The ``gee`` console script: Flask's CLI plus GEE's commands (``webapp/commands``)."""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from engine.base.errors import GeeError
from webapp import commands as commands_package
from webapp.commands.db import DeferredMigrations
from webapp.commands.output import fail
from webapp.commands.schema import SchemaMissing, guarded, missing_schema_message

log = logging.getLogger("gee.cli")


def _create_app() -> Flask:
    from webapp import create_app

    return create_app()


class GeeGroup(FlaskGroup):
    """Lists GEE's own commands without building the application (``gee --help`` stays cheap);
    the app is loaded only to run a command, or to look up a name that is not ours."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, DeferredMigrations):
            command = command.load(ctx)
        return name, command, rest


@click.group(cls=GeeGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """GEE - Gestor d'Expedients Electrònics."""


def _in_app_context(command: click.Command) -> click.Command:
    """Run the command (or every command of a group) inside the application context."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _in_app_context(sub)
    elif command.callback is not None:
        command.callback = with_appcontext(_one_line_errors(command.callback))
    return command


def _one_line_errors(callback: Any) -> Any:
    """An expected refusal (a GeeError) a command did not catch, or a database without its tables
    (``gee db upgrade`` not run yet): one line, exit 1, no traceback."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        from flask import current_app

        try:
            return guarded(callback, *args, **kwargs)
        except GeeError as err:
            log.debug("command refused", exc_info=err)
            fail(err)
        except SchemaMissing:
            fail(missing_schema_message(current_app.config["SQLALCHEMY_DATABASE_URI"]))

    return run


def _register_commands() -> None:
    """Each module in webapp/commands exposes ``commands``: a list of click commands."""
    for info in sorted(pkgutil.iter_modules(commands_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands_package.__name__}.{info.name}")
        for command in getattr(module, "commands", []):
            main.add_command(_in_app_context(command))


_register_commands()
