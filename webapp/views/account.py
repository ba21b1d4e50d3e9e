"""Log in and out, switch tenant, choose a language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from engine.app import LANGUAGES
from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.base.i18n import _
from engine.base.settings import current_settings
from engine.tenancy.models import Tenant, User
from engine.tenancy.passwords import verify_password
from webapp.auth import login_required

bp = Blueprint("auth", __name__)

LOCKOUT = timedelta(minutes=5)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = db.session.query(User).filter_by(username=username).one_or_none()
        now = utcnow()
        locked_until = as_utc(user.locked_until) if user else None
        if user is not None and locked_until and locked_until > now:
            flash(_("Too many failed attempts. Try again in a few minutes."), "danger")
            return render_template("login.html", username=username), 429
        if user is None or not user.active or not verify_password(user.password_hash, password):
            if user is not None:
                user.failed_logins += 1
                if user.failed_logins >= current_settings().login_max_failures:
                    user.locked_until = now + LOCKOUT
                    user.failed_logins = 0
            flash(_("Wrong user name or password."), "danger")
            return render_template("login.html", username=username), 401
        user.failed_logins = 0
        user.locked_until = None
        session.clear()
        session["user_id"] = user.id
        session["locale"] = user.locale
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/tenant")
@login_required
def switch_tenant() -> Any:
    try:
        tenant_id = int(request.form.get("tenant_id", ""))
    except ValueError:
        abort(400)
    if tenant_id not in g.user.tenant_ids():
        abort(404)
    session["tenant_id"] = tenant_id
    tenant = db.session.get(Tenant, tenant_id)
    flash(_("You are now working in %(name)s.", name=tenant.name if tenant else ""), "info")
    return redirect(url_for("home.index"))


@bp.post("/locale")
def set_locale() -> Any:
    locale = request.form.get("locale", "")
    if locale in LANGUAGES:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))
