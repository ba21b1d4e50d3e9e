"""My API tokens: create one (its secret is shown once) and revoke them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.i18n import _, _l
from engine.tenancy.tokens import NewToken, create_token, list_tokens, revoke_token
from webapp.actions import REFUSALS, field_errors
from webapp.auth import login_required
from webapp.navigation import NavItem

bp = Blueprint("tokens", __name__, url_prefix="/api-tokens")

NAV = [NavItem("tokens.index", _l("API"), order=90, menu="tools")]


@bp.get("/")
@login_required
def index() -> Any:
    return _page()


def _page(new: NewToken | None = None, errors: dict[str, str] | None = None) -> str:
    """My tokens; a new one's secret; after a refused name, that name with the reason beside it."""
    return render_template("tokens/index.html", tokens=list_tokens(g.ctx), new=new, errors=errors or {},
                           form=request.form)


@bp.post("/")
@login_required
def create() -> Any:
    try:
        new = create_token(g.ctx, request.form.get("name", ""))
    except REFUSALS as err:
        unit_of_work.discard()
        return _page(errors=field_errors(err, general="token-name")), err.status
    # Rendered, not redirected: the secret must never sit in a session or a URL.
    return _page(new), 201


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    token = revoke_token(g.ctx, token_id)
    flash(_("The token %(name)s was revoked.", name=token.name), "success")
    return redirect(url_for("tokens.index"))
