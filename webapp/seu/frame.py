"""The public frame (templates/seu/base.html) around every page a citizen reaches without logging in.

A municipality's e-office (/seu/<code>/…), notice board (/tauler/<code>/…) and transparency portal
(/transparencia/<code>/…) show that municipality's header, e-office navigation and footer; the
verification page (/verify), which serves every municipality, and the list of municipalities show the
same frame without one. Staff pages keep templates/base.html.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, has_request_context, request

from engine.citizens.identity import tenant_by_code
from webapp.i18n import PUBLIC_PAGES
from webapp.seu.session import current_citizen

#: The paths whose pages (and error pages) render in the public frame.
FRAMED = (*PUBLIC_PAGES, "/verify")


def in_public_frame() -> bool:
    """Whether this request's page is a citizen's page (so its error page keeps the public frame too)."""
    return has_request_context() and request.path.startswith(FRAMED)


def _tenant(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    code = (values or {}).get("tenant_code")
    g.seu_tenant = tenant_by_code(code) if code else None


def municipality_pages(bp: Blueprint) -> None:
    """The routes of ``bp`` with a ``<tenant_code>`` are that municipality's: ``g.seu_tenant`` is the
    active municipality of that code (an unknown one answers 404 before the view runs)."""
    bp.url_value_preprocessor(_tenant)


def _frame_values() -> dict[str, Any]:
    if not in_public_frame():
        return {}
    return {"seu_tenant": g.get("seu_tenant"), "citizen": current_citizen()}


def init_app(app: Flask) -> None:
    app.context_processor(_frame_values)
    app.jinja_env.globals["in_public_frame"] = in_public_frame
