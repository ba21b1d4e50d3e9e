"""Administració → Units: the municipality's administrative units and who works in each."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine.base import unit_of_work
from engine.base.db import db
from engine.base.errors import Conflict, GeeError, NotFound, ValidationFailed
from engine.base.i18n import _, _l
from engine.tenancy import units
from engine.tenancy.models import Membership, User
from webapp.actions import field_errors
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("units", __name__, url_prefix="/admin/units")

NAV = [NavItem("units.index", _l("Units"), roles=("admin",), order=82, menu="admin")]

_REFUSED = (ValidationFailed, Conflict, NotFound)


#: The DOM ids of the units pages' fields, by the names the services give them; a refusal naming none is
#: shown as the page's alert, "unit-error".
_FIELDS = {"code": "unit-code", "name": "unit-name", "user_id": "member-user"}


def _list_page(values: dict[str, str] | None = None, error: GeeError | None = None) -> str:
    return render_template("units/index.html", units=units.list_units(g.ctx),
                           values=values or {"code": "", "name": ""}, errors=field_errors(error, _FIELDS, "unit"))


def _unit_page(unit_id: int, name: str | None = None, error: GeeError | None = None) -> str:
    unit = units.get_unit(g.ctx, unit_id)
    people = units.members(g.ctx, unit.id)
    inside = {u.id for u in people}
    candidates = [u for u in db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == g.ctx.tenant_id, User.active.is_(True)).distinct().order_by(User.full_name)
    ).scalars() if u.id not in inside]  # fmt: skip
    return render_template("units/unit.html", unit=unit, members=people, candidates=candidates,
                           name=unit.name if name is None else name,
                           errors=field_errors(error, _FIELDS, "unit"))  # fmt: skip


@bp.get("/")
@roles_required("admin")
def index() -> Any:
    return _list_page()


@bp.post("/")
@roles_required("admin")
def create() -> Any:
    values = {"code": request.form.get("code", ""), "name": request.form.get("name", "")}
    try:
        unit = units.create_unit(g.ctx, values["code"], values["name"])
    except _REFUSED as err:
        unit_of_work.discard()
        return _list_page(values, err), err.status
    flash(_("The unit %(name)s was created.", name=unit.name), "success")
    return redirect(url_for("units.show", unit_id=unit.id))


@bp.get("/<int:unit_id>")
@roles_required("admin")
def show(unit_id: int) -> Any:
    return _unit_page(unit_id)


@bp.post("/<int:unit_id>")
@roles_required("admin")
def rename(unit_id: int) -> Any:
    name = request.form.get("name", "")
    try:
        units.rename_unit(g.ctx, unit_id, name)
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _unit_page(unit_id, name, err), err.status
    flash(_("The unit is now called %(name)s.", name=" ".join(name.split())), "success")
    return redirect(url_for("units.show", unit_id=unit_id))


@bp.post("/<int:unit_id>/active")
@roles_required("admin")
def set_active(unit_id: int) -> Any:
    active = request.form.get("active") == "1"
    unit = units.set_unit_active(g.ctx, unit_id, active)
    flash(_("The unit %(name)s is active again.", name=unit.name) if active else
          _("The unit %(name)s is deactivated: its tasks are offered to nobody.", name=unit.name), "success")
    return redirect(url_for("units.show", unit_id=unit_id))


@bp.post("/<int:unit_id>/members")
@roles_required("admin")
def add_member(unit_id: int) -> Any:
    raw = request.form.get("user_id", "")
    try:
        if not raw.isdigit():
            raise ValidationFailed(_l("Choose a person to add."), field="user_id")
        units.add_member(g.ctx, unit_id, int(raw))
    except _REFUSED as err:
        unit_of_work.discard()
        return _unit_page(unit_id, error=err), err.status
    flash(_("The person now works in this unit."), "success")
    return redirect(url_for("units.show", unit_id=unit_id))


@bp.post("/<int:unit_id>/members/<int:user_id>/remove")
@roles_required("admin")
def remove_member(unit_id: int, user_id: int) -> Any:
    units.remove_member(g.ctx, unit_id, user_id)
    flash(_("The person no longer works in this unit."), "success")
    return redirect(url_for("units.show", unit_id=unit_id))
