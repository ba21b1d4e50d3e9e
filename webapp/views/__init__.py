"""Blueprints, one module per feature."""

from __future__ import annotations

from flask import Flask

from webapp.auth import load_current_user


def register_blueprints(app: Flask) -> None:
    from webapp.views import account, health, home

    app.before_request(load_current_user)
    for module in (health, account, home):
        app.register_blueprint(module.bp)
