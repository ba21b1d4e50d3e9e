"""A municipality's logo, served publicly (staff pages, e-office, printed documents)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort

from engine.documents.tenant_logo import logo_of

bp = Blueprint("branding", __name__)


@bp.get("/tenants/<tenant_code>/logo")
def logo(tenant_code: str) -> Any:
    found = logo_of(tenant_code)
    if found is None:
        abort(404)
    content_type, content = found
    response = Response(content, mimetype=content_type)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
