"""``gee db ...``: Flask-Migrate's schema commands, loaded only when one of them runs."""

from __future__ import annotations

import click
from flask.cli import ScriptInfo


class DeferredMigrations(click.Group):
    """What ``gee --help`` lists in place of ``flask_migrate.cli.db``: Alembic is imported when a
    ``db`` command is about to run (``gee`` swaps this for the real group), not at every start."""

    def load(self, ctx: click.Context) -> click.Group:
        from flask_migrate.cli import db

        from engine.app import init_migrations

        init_migrations(ctx.ensure_object(ScriptInfo).load_app())
        return db


db_group = DeferredMigrations("db", help="Perform database migrations.")

commands: list[click.Command] = [db_group]
