"""Blueprints, one module per feature, discovered automatically.

Each module in this package exposes ``bp`` (a Blueprint) and may expose ``NAV``: a list of
:class:`webapp.navigation.NavItem` shown in the top bar to users who hold one of its roles.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask

from webapp import navigation
from webapp.auth import load_current_user


def register_blueprints(app: Flask) -> None:
    app.before_request(load_current_user)
    items: list[navigation.NavItem] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        app.register_blueprint(module.bp)
        items += getattr(module, "NAV", [])
    navigation.init_app(app, items)
