"""Log in and out, switch tenant, choose a language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from engine.app import LANGUAGES
from engine.base import unit_of_work
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _
from engine.tenancy.admin import MIN_PASSWORD_LENGTH, change_own_password
from engine.tenancy.login import authenticate, end_sessions
from engine.tenancy.models import Tenant
from webapp.actions import field_errors
from webapp.auth import login_required
from webapp.inputs import int_arg
from webapp.redirects import is_safe_next, safe_next

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("home.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = authenticate(username, request.form.get("password", ""))
        if user is None:
            flash(_("Wrong user name or password."), "danger")
            return render_template("login.html", username=username), 401
        session.clear()
        session["user_id"] = user.id
        session["session_epoch"] = user.session_epoch
        session["locale"] = user.locale
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.post("/logout")
def logout() -> Any:
    user_id = session.get("user_id")
    if isinstance(user_id, int) and g.get("user") is not None:
        end_sessions(user_id)
    session.clear()
    return redirect(url_for("auth.login"))


#: The password fields of my password page and of a one-time link's page (their DOM ids are their names).
PASSWORD_FIELDS = ("current_password", "new_password", "repeat_password")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_page() -> Any:
    """Change my password: the current one and the new one twice; my other sessions end."""
    if request.method == "POST":
        form = request.form
        try:
            change_own_password(g.ctx, form.get("current_password", ""), form.get("new_password", ""),
                                form.get("repeat_password", ""))
        except ValidationFailed as err:
            unit_of_work.discard()
            return render_template("account/password.html", min_length=MIN_PASSWORD_LENGTH,
                                   errors=field_errors(err, PASSWORD_FIELDS, "password")), err.status
        # Every other browser is logged out; this one goes on with the new epoch.
        session["session_epoch"] = g.user.session_epoch
        flash(_("Your password was changed. Your other sessions were closed."), "success")
        return redirect(url_for("home.index"))
    return render_template("account/password.html", errors={}, min_length=MIN_PASSWORD_LENGTH)


@bp.post("/tenant")
@login_required
def switch_tenant() -> Any:
    tenant_id = int_arg(request.form.get("tenant_id"), field="tenant_id", low=1)
    if tenant_id is None:
        abort(400)
    if tenant_id not in g.user.tenant_ids():
        abort(404)
    session["tenant_id"] = tenant_id
    tenant = db.session.get(Tenant, tenant_id)
    flash(_("You are now working in %(name)s.", name=tenant.name if tenant else ""), "info")
    return redirect(url_for("home.index"))


def _gettable(path: str) -> bool:
    """Whether this site answers a GET of ``path`` (a page, not only the address a form posts to)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(urlsplit(path).path, method="GET")
    except RequestRedirect:
        return True  # the same page under its canonical address
    except HTTPException:
        return False
    return True


def _same_site_path(url: str | None) -> str | None:
    """``url`` as a path of this site (with its query), or None when it is another site's."""
    if not url:
        return None
    parts, here = urlsplit(url), urlsplit(request.host_url)
    if (parts.scheme, parts.netloc) != (here.scheme, here.netloc):
        return None
    path = parts.path.removeprefix(request.script_root) or "/"
    path = f"{path}?{parts.query}" if parts.query else path
    return path if is_safe_next(path) and _gettable(path) else None


@bp.app_template_global()
def language_return_path(default: str | None = None) -> str:
    """Where the language switch brings the browser back to: this page when it was asked for with GET; after a
    form's POST (a refusal shown at the address the form posts to, which a GET may not answer) the page the
    form was on when it is this site's, else ``default`` (the home page)."""
    if request.method == "GET":
        return request.full_path
    return _same_site_path(request.referrer) or default or url_for("home.index")


@bp.post("/locale")
def set_locale() -> Any:
    """Choose the pages' language, then go back to ``next``: only a path of this site, else the home page."""
    locale = request.form.get("locale", "")
    if locale in LANGUAGES:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))
