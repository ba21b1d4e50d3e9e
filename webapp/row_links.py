"""Links to one page per row of a list, built once per list instead of once per row.

``url_for`` walks the URL map for each call: two links a row on a 25-row inbox were fifty walks,
all giving the same text but for the id. ``{% set task_link = link_by_id('tasks.show', 'task_id') %}``
builds the link once, around a marker id, and ``task_link(row.task_id)`` puts each row's id in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, url_for

#: An id no row has, put where the row's id goes (the ``int`` converter writes it as these digits).
_MARKER = 987654321


def link_by_id(endpoint: str, key: str) -> Callable[[int], str]:
    """``url_for(endpoint, key=id)`` for many ids: the same URL, with each id in the marker's place."""
    values: dict[str, Any] = {key: _MARKER}
    before, _marker, after = url_for(endpoint, **values).partition(str(_MARKER))
    return lambda value: f"{before}{int(value)}{after}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["link_by_id"] = link_by_id
