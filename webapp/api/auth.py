"""Bearer tokens: every /api/v1 call except the OpenAPI document acts as a token's user in
the token's tenant. Cookies are ignored (so the API needs no CSRF token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from engine.base.i18n import _
from engine.tenancy.tokens import context_for_secret
from engine.webhooks.presence import none_active, remember_none_active
from webapp.security import csrf

#: Endpoints anyone may read without a token.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


def unauthorized() -> Any:
    body = {"error": "unauthorized",
            "message": _("Send a valid API token: Authorization: Bearer <token>. Create one on the API page.")}
    response = jsonify(body)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="gee"'
    return response


def authenticate() -> Any:
    """Before each API request: replace the session's identity with the token's (or refuse)."""
    g.user, g.ctx = None, None
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return unauthorized()
    locale = request.accept_languages.best_match(("ca", "es", "en"))
    # No unit of work of its own: a due last-use stamp is written by the view's, with its one commit.
    found = context_for_secret(secret.strip(), locale, also=none_active)
    if found is None:
        return unauthorized()
    g.ctx, no_webhooks = found
    if no_webhooks:
        remember_none_active(g.ctx.tenant_id)  # events of this request need not read the webhooks
    return None


def api_blueprint(name: str) -> Blueprint:
    """A blueprint of /api/v1 routes: token-authenticated, so exempt from CSRF."""
    bp = Blueprint(name, __name__, url_prefix="/api/v1")
    csrf.exempt(bp)
    bp.before_request(authenticate)
    return bp
