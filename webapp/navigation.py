"""The top navigation bar, assembled from the NAV lists of the view modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, g

from engine.base.i18n import _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy translated string
    #: Shown to users holding any of these roles in the current tenant; empty = everyone logged in.
    roles: tuple[str, ...] = ()
    order: int = 50
    #: Items of a menu ("tools", "admin") are grouped under one dropdown to keep the bar on one line.
    menu: str | None = None
    #: Optional badge count, e.g. open tasks: called with the engine Context.
    counter: Callable[[Any], int] | None = field(default=None, compare=False)


MENU_LABELS = {"tools": _l("Tools"), "admin": _l("Administration")}


def init_app(app: Flask, items: list[NavItem]) -> None:
    ordered = sorted(items, key=lambda item: (item.order, item.endpoint))

    def nav_items(menu: str | None = None) -> list[tuple[NavItem, int | None]]:
        """The visible items of the top bar (``menu=None``) or of one dropdown menu."""
        ctx = g.get("ctx")
        if ctx is None:
            return []
        visible = [
            item for item in ordered
            if item.menu == menu and (not item.roles or set(item.roles) & set(ctx.roles))
        ]
        return [(item, item.counter(ctx) if item.counter else None) for item in visible]

    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["nav_menus"] = MENU_LABELS
