"""The JSON API of the platform (platform administrators of the provincial service only): every tenant
with the adoption figures of the platform page, one tenant's figures, and creating a tenant with its
first administrator."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine.onboarding.adoption import TenantFigures, platform_tenants, tenant_figures
from engine.tenancy import admin as tenancy
from webapp.api.answers import json_body, ok, optional_text
from webapp.api.auth import api_blueprint
from webapp.inputs import PAGE_MAX, int_arg, search_text

bp = api_blueprint("api_platform")


def _tenant(figures: TenantFigures) -> dict[str, Any]:
    t = figures.tenant
    return {"id": t.id, "code": t.code, "name": t.name, "kind": t.kind, "dir3": t.dir3, "ine_code": t.ine_code,
            "comarca": t.comarca, "aran": t.aran, "default_locale": t.default_locale,
            "active_users": figures.active_users,
            "opened_this_month": figures.opened_this_month, "filed_this_month": figures.filed_this_month,
            "filed_online_this_month": figures.filed_online_this_month,
            "open_incidents": figures.open_incidents, "overdue_tasks": figures.overdue_tasks}  # fmt: skip


@bp.get("/tenants")
def list_tenants() -> Any:
    """By name, 25 a page (``page``); ``q`` in the name, code, DIR3, INE code or comarca."""
    number = int_arg(request.args.get("page"), field="page", default=1, low=1, high=PAGE_MAX) or 1
    listing = platform_tenants(g.ctx, search_text(request.args.get("q")), number)
    return ok({"items": [_tenant(f) for f in listing.rows], "page": listing.page, "pages": listing.pages,
               "total": listing.total})  # fmt: skip


@bp.get("/tenants/<int:tenant_id>")
def show_tenant(tenant_id: int) -> Any:
    return ok(_tenant(tenant_figures(g.ctx, tenant_id)))


@bp.post("/tenants")
def create_tenant() -> Any:
    body = json_body()
    admin: dict[str, Any] = body["admin"] if isinstance(body.get("admin"), dict) else {}
    first_admin = tenancy.NewUser(username=str(admin.get("username") or ""),
                                  full_name=str(admin.get("full_name") or ""),
                                  password=str(admin.get("password") or ""),
                                  email=optional_text(admin, "email"))  # fmt: skip
    tenant = tenancy.create_tenant(
        g.ctx, code=str(body.get("code") or ""), name=str(body.get("name") or ""), dir3=str(body.get("dir3") or ""),
        kind=str(body.get("kind") or tenancy.TenantKind.AJUNTAMENT.value), ine_code=optional_text(body, "ine_code"),
        comarca=optional_text(body, "comarca"), aran=body.get("aran") is True,
        default_locale=str(body.get("default_locale") or "ca"), first_admin=first_admin,
    )  # fmt: skip
    return ok(_tenant(tenant_figures(g.ctx, tenant.id)), 201)
