"""GEE web application: the app factory. Blueprints live in ``webapp.views``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from engine.base.settings import Settings


def create_app(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    from engine.app import create_engine_app

    app = create_engine_app(settings, overrides)
    from webapp import errors, i18n, logging_setup, row_links, security, transactions
    from webapp.inputs import IdConverter
    from webapp.seu import frame
    from webapp.views import register_blueprints

    app.url_map.converters["int"] = IdConverter

    logging_setup.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    frame.init_app(app)
    row_links.init_app(app)
    errors.init_app(app)
    register_blueprints(app)
    transactions.init_app(app)  # after the blueprints: wraps their views
    return app
