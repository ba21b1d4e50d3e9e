"""Administració: the welcome checklist, incidents, users and roles, settings of the municipality
(the platform pages are in :mod:`webapp.views.platform`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine.base import unit_of_work
from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _, _l
from engine.documents.tenant_logo import set_logo
from engine.expedients.statistics import open_incidents
from engine.onboarding.checklist import welcome_checklist
from engine.process.instances.tasks import retry_incident, skip_incident
from engine.signatures.credentials import import_seal
from engine.tenancy import admin as tenancy
from engine.tenancy.languages import LANGUAGE_NAMES
from engine.tenancy.models import ROLES, Membership, Tenant, User
from engine.tenancy.password_links import mail_password_link, password_link_url
from webapp.actions import REFUSALS, act, field_errors
from webapp.auth import roles_required
from webapp.inputs import YEAR_MAX, YEAR_MIN, is_id
from webapp.modeler_panel import BLOCK_NAMES
from webapp.navigation import NavItem

bp = Blueprint("admin", __name__, url_prefix="/admin")

NAV = [NavItem("admin.index", _l("Administration"), roles=("admin",), order=80, menu="admin")]


def _done(message: str, target: str = "admin.index") -> Any:
    flash(message, "success")
    return redirect(url_for(target))


def _tenant_users() -> list[User]:
    stmt = (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == g.ctx.tenant_id).distinct().order_by(User.full_name))  # fmt: skip
    return list(db.session.execute(stmt).scalars())


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(_l("Write the date as YYYY-MM-DD."), field=field) from None


def _index_page(errors: dict[str, str] | None = None) -> str:
    """The page; after a refused form, what was typed in it (never a password) with the reason beside its field."""
    tenant = db.session.get(Tenant, g.ctx.tenant_id)
    if tenant is None:
        abort(404)
    return render_template("admin/index.html", incidents=open_incidents(g.ctx), block_names=BLOCK_NAMES,
                           users=_tenant_users(), roles=ROLES,
                           tenant=tenant, this_year=local_date(utcnow()).year, checklist=welcome_checklist(tenant),
                           form=request.form, errors=errors or {}, languages=LANGUAGE_NAMES,
                           holidays=_holidays(tenant))  # fmt: skip


def _holidays(tenant: Tenant) -> dict[str, list[date]]:
    """The local holidays by year, as dates (stored as ISO text) for the page to write in its language."""
    return {year: [date.fromisoformat(day) for day in days] for year, days in (tenant.local_holidays or {}).items()}


def _setting(work: Callable[[], Any], done: str, fields: Mapping[str, str], general: str) -> Any:
    """Run a form of the page: done, back to it; refused, the page again with the reason beside the field it
    names (``fields``: field name -> DOM id), else in the form's alert ``general``."""
    return act(work, done, url_for("admin.index"),
               page=lambda err: _index_page(field_errors(err, fields, general)))


#: The DOM ids of the new user's fields, by the names the services give them.
_NEW_USER = {"username": "nu-username", "full_name": "nu-name", "email": "nu-email", "password": "nu-password",
             "roles": "nu-roles", "role": "nu-roles"}


@bp.get("/")
@roles_required("admin")
def index() -> Any:
    return _index_page()


@bp.get("/incidents")
@roles_required("admin")
def incidents() -> Any:
    """Every open incident, newest first, a page at a time (the Administration page shows the latest)."""
    page = request.args.get("page", "1")
    return render_template("admin/incidents.html", block_names=BLOCK_NAMES, form=request.form, errors={},
                           incidents=open_incidents(g.ctx, page=int(page) if is_id(page) else 1))  # fmt: skip


@bp.post("/incidents/<int:incident_id>/retry")
@roles_required("admin")
def retry(incident_id: int) -> Any:
    result = retry_incident(g.ctx, incident_id)
    failed_again = result.get("incidents") or []
    if failed_again:
        flash(_("The step was run again and failed again: %(message)s", message=failed_again[0]["message"]), "danger")
    else:
        flash(_("The step was run again and went through."), "success")
    return redirect(url_for("admin.index"))


@bp.post("/incidents/<int:incident_id>/skip")
@roles_required("admin")
def skip(incident_id: int) -> Any:
    return _setting(lambda: skip_incident(g.ctx, incident_id, request.form.get("reason", "")),
                    _("The step was skipped; the reason is in the audit trail."),
                    {"reason": f"reason-{incident_id}"}, "incidents")


@bp.post("/users")
@roles_required("admin")
def add_user() -> Any:
    form = request.form
    spec = tenancy.NewUser(username=form.get("username", ""), full_name=form.get("full_name", ""),
                           password=form.get("password", ""), email=form.get("email") or None)
    try:
        user = tenancy.add_user(g.ctx, spec, form.getlist("roles"))
    except REFUSALS as err:
        unit_of_work.discard()
        return _index_page(field_errors(err, _NEW_USER, "add-user")), err.status
    return _done(_("%(name)s can now log in.", name=user.full_name))


#: The DOM ids of a user's fields on their page, by the names the services give them.
_USER_FIELDS = {"full_name": "u-name", "email": "u-email", "roles": "u-roles", "role": "u-roles"}


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int) -> Any:
    """A user's name, e-mail and roles here; the form keeps what was typed when it is refused."""
    user = tenancy.tenant_user(g.ctx, user_id)
    values: dict[str, Any] = {"full_name": user.full_name, "email": user.email or "",
                              "roles": sorted(user.roles_in(g.ctx.tenant_id))}  # fmt: skip
    if request.method == "POST":
        form = request.form
        values = {"full_name": form.get("full_name", ""), "email": form.get("email", ""),
                  "roles": form.getlist("roles")}  # fmt: skip
        try:
            tenancy.update_user(g.ctx, user_id, full_name=values["full_name"], email=values["email"] or None,
                                roles=values["roles"])  # fmt: skip
        except REFUSALS as err:
            unit_of_work.discard()
            return render_template("admin/user.html", user=user, values=values, roles=ROLES,
                                   errors=field_errors(err, _USER_FIELDS, "user")), err.status
        return _done(_("The changes to %(name)s are saved.", name=values["full_name"]))
    return render_template("admin/user.html", user=user, values=values, roles=ROLES, errors={})


@bp.post("/users/<int:user_id>/password-link")
@roles_required("admin")
def password_link(user_id: int) -> Any:
    """Reset a user's password: the one-time link is shown once here and e-mailed to them."""
    secret = tenancy.reset_password(g.ctx, user_id)
    user = mail_password_link(user_id, secret)
    return render_template("admin/password_link.html", user=user, link=password_link_url(secret),
                           back=url_for("admin.edit_user", user_id=user_id))  # fmt: skip


def _on_user(work: Callable[[], str]) -> Any:
    """Change a user from the users table: done, back to the page with ``work``'s message; refused (the
    last administrator, one's own account, an unknown role), the page again with the reason above the table."""
    try:
        message = work()
    except REFUSALS as err:
        unit_of_work.discard()
        return _index_page(field_errors(err, general="users")), err.status
    return _done(message)


@bp.post("/users/<int:user_id>/roles")
@roles_required("admin")
def grant(user_id: int) -> Any:
    def work() -> str:
        tenancy.grant_role(g.ctx, user_id, request.form.get("role", ""))
        return _("The role was granted.")

    return _on_user(work)


@bp.post("/users/<int:user_id>/roles/<role>/revoke")
@roles_required("admin")
def revoke(user_id: int, role: str) -> Any:
    def work() -> str:
        tenancy.revoke_role(g.ctx, user_id, role)
        return _("The role was revoked.")

    return _on_user(work)


@bp.post("/users/<int:user_id>/deactivate")
@roles_required("admin")
def deactivate(user_id: int) -> Any:
    def work() -> str:
        user = tenancy.set_user_active(g.ctx, user_id, False)
        return _("%(name)s can no longer log in; their sessions were closed.", name=user.full_name)

    return _on_user(work)


@bp.post("/users/<int:user_id>/reactivate")
@roles_required("admin")
def reactivate(user_id: int) -> Any:
    def work() -> str:
        user = tenancy.set_user_active(g.ctx, user_id, True)
        return _("%(name)s can log in again.", name=user.full_name)

    return _on_user(work)


@bp.post("/holidays")
@roles_required("admin")
def holidays() -> Any:
    year = request.form.get("year", "")

    def work() -> None:
        if not (year.strip().isdigit() and YEAR_MIN <= int(year) <= YEAR_MAX):
            raise ValidationFailed(_l("Write the year with four digits."), field="year")
        days = [_date(v, "dates") for v in request.form.getlist("dates") if v.strip()]
        tenancy.set_local_holidays(g.ctx, int(year), days)

    return _setting(work, _("The local holidays of %(year)s are saved.", year=year.strip()),
                    {"year": "hol-year"}, "holidays")


@bp.post("/logo")
@roles_required("admin")
def logo() -> Any:
    upload = request.files.get("logo")

    def work() -> None:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose an image to upload."), field="logo")
        set_logo(g.ctx, upload.filename, upload.read())

    return _setting(work, _("The logo is saved."), {}, "logo")


@bp.post("/seal")
@roles_required("admin")
def seal() -> Any:
    """The municipality's seal certificate (PKCS#12), which signs automated acts."""
    upload = request.files.get("seal")

    def work() -> None:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose the seal's PKCS#12 file (.p12 or .pfx)."), field="seal")
        import_seal(g.ctx, upload.read(), request.form.get("password", ""))

    return _setting(work, _("The seal certificate is saved."),
                    {"seal": "seal-file", "file": "seal-file", "password": "seal-password"}, "seal")


@bp.post("/signing-officers")
@roles_required("admin")
def signing_officers() -> Any:
    def user_id(field: str) -> int | None:
        value = request.form.get(field, "")
        return int(value) if is_id(value) else None

    return _setting(lambda: tenancy.set_signing_officers(g.ctx, alcalde=user_id("alcalde"),
                                                         secretari=user_id("secretari")),
                    _("The signing officers are saved."),
                    {"alcalde": "officer-alcalde", "secretari": "officer-secretari"}, "signing-officers")


@bp.post("/language")
@roles_required("admin")
def default_locale() -> Any:
    return _setting(lambda: tenancy.set_default_locale(g.ctx, request.form.get("default_locale")),
                    _("The default language of the municipality is saved."), {}, "default-locale")


@bp.post("/csv-regulation")
@roles_required("admin")
def csv_regulation() -> Any:
    return _setting(lambda: tenancy.set_csv_regulation(g.ctx, request.form.get("csv_regulation", "")),
                    _("The act creating the CSV system is saved."), {}, "csv-regulation")
