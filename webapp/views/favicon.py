"""/favicon.ico: browsers ask for it on every site whatever the page links, so answer with the icon."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("favicon", __name__)


@bp.get("/favicon.ico")
def favicon() -> Any:
    return send_from_directory(current_app.static_folder or "static", "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)
