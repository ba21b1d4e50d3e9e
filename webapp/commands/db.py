"""``gee db ...``: Flask-Migrate's schema commands, loaded only when one of them runs."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import ScriptInfo


class _MigrationsGroup(click.Group):
    """Stands in for ``flask_migrate.cli.db``: Alembic is imported when a ``db`` command is
    resolved, not when ``gee`` starts."""

    @staticmethod
    def _alembic_group() -> click.Group:
        from flask_migrate.cli import db

        return db

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._alembic_group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._alembic_group().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from engine.app import init_migrations

        init_migrations(ctx.ensure_object(ScriptInfo).load_app())
        return super().invoke(ctx)


db_group = _MigrationsGroup("db", help="Perform database migrations.")

commands: list[click.Command] = [db_group]
