"""The provincial service's platform pages (platform administrators only): every tenant with its
adoption figures, searchable and paginated; one tenant's figures; creating one tenant by hand or
many from a CSV file, with the import's progress polled by htmx."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.context import Context
from engine.base.errors import ValidationFailed
from engine.base.i18n import _, _l
from engine.expedients.statistics import expedients_by_procedure_and_state, monthly_flow, resolution_medians
from engine.onboarding.adoption import platform_tenants, tenant_figures
from engine.onboarding.importer import get_import, start_import
from engine.onboarding.rows import COLUMNS
from engine.tenancy import admin as tenancy
from engine.tenancy.languages import LANGUAGE_NAMES
from engine.tenancy.password_links import mail_password_link, password_link_url
from webapp.actions import REFUSALS, field_errors
from webapp.auth import login_required
from webapp.inputs import int_arg

bp = Blueprint("platform", __name__, url_prefix="/admin/tenants")

#: The DOM ids of the fields of the form that creates one tenant, by the names the services give them.
_TENANT_FIELDS = {"name": "t-name", "code": "t-code", "kind": "t-kind", "dir3": "t-dir3", "ine_code": "t-ine",
                  "comarca": "t-comarca", "default_locale": "t-locale", "aran": "t-aran", "username": "a-username",
                  "full_name": "a-name", "email": "a-email", "password": "a-password"}


def _require_platform_admin() -> None:
    if not g.ctx.platform_admin:
        abort(403)


def _list_page(errors: dict[str, str] | None = None) -> str:
    """The list; after a refused new tenant or import, the form as typed (never a password) with the reason
    beside its field."""
    search = request.args.get("q", "")
    page = _page_arg()
    listing = platform_tenants(g.ctx, search, page)
    return render_template("platform/tenants.html", listing=listing, search=search, form=request.form,
                           errors=errors or {}, kinds=tenancy.KIND_LABELS, columns=COLUMNS,
                           languages=LANGUAGE_NAMES)  # fmt: skip


def _page_arg() -> int:
    """The page asked for; a mistyped one (``?page=abc``, ``?page=0``) is the first, never an error page."""
    try:
        return int_arg(request.args.get("page"), field="page", default=1, low=1) or 1
    except ValidationFailed:
        return 1


@bp.get("")
@login_required
def tenants() -> Any:
    _require_platform_admin()
    return _list_page()


@bp.post("")
@login_required
def create_tenant() -> Any:
    _require_platform_admin()
    form = request.form
    first_admin = tenancy.NewUser(
        username=form.get("admin_username", ""), full_name=form.get("admin_full_name", ""),
        password=form.get("admin_password", ""), email=form.get("admin_email") or None,
    )
    try:
        tenant = tenancy.create_tenant(
            g.ctx, code=form.get("code", ""), name=form.get("name", ""), dir3=form.get("dir3", ""),
            kind=form.get("kind", "ajuntament"), ine_code=form.get("ine_code") or None,
            comarca=form.get("comarca") or None, aran=form.get("aran") == "on",
            default_locale=form.get("default_locale", "ca"), first_admin=first_admin,
        )  # fmt: skip

    except REFUSALS as err:
        unit_of_work.discard()
        return _list_page(field_errors(err, _TENANT_FIELDS, "tenant")), err.status
    flash(_("%(name)s is created with its first administrator.", name=tenant.name), "success")
    return redirect(url_for("platform.tenants"))


@bp.post("/import")
@login_required
def upload() -> Any:
    _require_platform_admin()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose a CSV file to upload."), field="file")
        job = start_import(g.ctx, upload.filename, upload.read())
    except ValidationFailed as err:
        unit_of_work.discard()
        return _list_page(field_errors(err, general="import-file")), err.status
    return redirect(url_for("platform.import_page", import_id=job.id))


@bp.get("/imports/<int:import_id>")
@login_required
def import_page(import_id: int) -> Any:
    _require_platform_admin()
    return render_template("platform/import.html", job=get_import(g.ctx, import_id))


@bp.get("/imports/<int:import_id>/progress")
@login_required
def import_progress(import_id: int) -> Any:
    """The progress bar and report (polled by htmx until the import is finished)."""
    _require_platform_admin()
    return render_template("platform/_import_progress.html", job=get_import(g.ctx, import_id))


@bp.get("/<int:tenant_id>")
@login_required
def tenant(tenant_id: int) -> Any:
    """One tenant's figures: numbers only, never its documents or the content of its expedients."""
    _require_platform_admin()
    figures = tenant_figures(g.ctx, tenant_id)
    of_tenant = Context.system(tenant_id, f"platform:{g.ctx.username}")
    return render_template(
        "platform/tenant.html", figures=figures, kinds=tenancy.KIND_LABELS,
        states=expedients_by_procedure_and_state(of_tenant), flow=monthly_flow(of_tenant),
        resolution=resolution_medians(of_tenant), admins=tenancy.administrators(tenant_id),
    )  # fmt: skip


@bp.post("/<int:tenant_id>/users/<int:user_id>/password-link")
@login_required
def password_link(tenant_id: int, user_id: int) -> Any:
    """A new one-time password link for one of a tenant's administrators (e.g. the welcome e-mail
    was lost): shown once here to hand over, and e-mailed to them."""
    _require_platform_admin()
    in_tenant = replace(g.ctx, tenant_id=tenant_id)
    secret = tenancy.reset_password(in_tenant, user_id)
    user = mail_password_link(user_id, secret)
    return render_template("admin/password_link.html", user=user, link=password_link_url(secret),
                           back=url_for("platform.tenant", tenant_id=tenant_id))  # fmt: skip
