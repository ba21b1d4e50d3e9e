"""Apoderaments: the staff side of the register of powers (search, register one from the signed
document, revoke) and the accreditation of a declared representative on an expedient.
Views call :mod:`engine.powers.register` (and :mod:`engine.dossier.actors` for who revoked in words)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.base.errors import GeeError
from engine.base.i18n import _, _l
from engine.base.unit_of_work import discard
from engine.dossier.actors import actor_words_by_username
from engine.expedients.expedients import get_expedient
from engine.powers import register as powers
from engine.powers.models import Power
from webapp.actions import REFUSALS, field_errors
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("powers", __name__)

STAFF = ("tramitador", "secretari", "admin")
NAV = [NavItem("powers.index", _l("Powers"), roles=STAFF, order=62, menu="tools")]


#: The fields of a power's form (powers/_form.html; their DOM ids are their names).
_FIELDS = ("grantor_nif", "grantor_name", "representative_nif", "representative_name", "procedures", "valid_from",
           "valid_until", "document")


def _errors(exc: GeeError) -> dict[str, str]:
    """A refusal beside the field it names, else in the page's alert ("form-error")."""
    return field_errors(exc, _FIELDS)


def _register(expedient_id: int | None = None) -> Power:
    form = request.form
    upload = request.files.get("document")
    content = upload.read() if upload and upload.filename else b""
    chosen = None if form.get("scope", "all") == "all" else form.getlist("procedures")
    return powers.register_from_document(
        g.ctx, form.get("grantor_nif", ""), form.get("grantor_name", ""), form.get("representative_nif", ""),
        form.get("representative_name", ""), upload.filename if upload and upload.filename else "", content,
        procedures=chosen, valid_from=powers.parse_date(form.get("valid_from"), "valid_from"),
        valid_until=powers.parse_date(form.get("valid_until"), "valid_until"), expedient_id=expedient_id,
    )


@bp.get("/powers")
@roles_required(*STAFF)
def index() -> Any:
    return _index_page()


def _index_page(errors: dict[str, str] | None = None) -> str:
    """The register, searched; after a refused revocation, its reason as typed with the refusal."""
    q = request.args.get("q", "")
    found = powers.search(g.ctx, q)
    return render_template("powers/index.html", powers=found, q=q, today=powers.today(),
                           procedures=powers.procedure_keys(g.ctx), errors=errors or {}, form=request.form,
                           revokers=actor_words_by_username([p.revoked_by for p in found if p.revoked_by]))  # fmt: skip


@bp.route("/powers/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> Any:
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            power = _register()
        except REFUSALS as exc:
            discard()
            errors, status = _errors(exc), exc.status
        else:
            flash(_("Power registered: %(grantor)s to %(representative)s.", grantor=power.grantor_name,
                    representative=power.representative_name), "success")  # fmt: skip
            return redirect(url_for("powers.index", q=power.grantor_nif))
    return render_template("powers/new.html", errors=errors, form=request.form, today=powers.today(),
                           procedures=powers.procedure_keys(g.ctx), expedient=None), status  # fmt: skip


@bp.post("/powers/<int:power_id>/revoke")
@roles_required(*STAFF)
def revoke(power_id: int) -> Any:
    try:
        power = powers.revoke(g.ctx, power_id, reason=request.form.get("reason"))
    except REFUSALS as exc:
        discard()
        return _index_page(field_errors(exc, {"reason": f"reason-{power_id}"}, "revoke")), exc.status
    flash(_("The power has been revoked."), "success")
    return redirect(url_for("powers.index", q=power.grantor_nif))


@bp.route("/expedients/<int:expedient_id>/representation", methods=["GET", "POST"])
@roles_required(*STAFF)
def representation(expedient_id: int) -> Any:
    """Accredit a declared representative: link a valid registered power, or register one from
    the signed document they bring (it covers this expedient)."""
    expedient = get_expedient(g.ctx, expedient_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("power_id"):
                power = powers.get_power(g.ctx, request.form["power_id"])
            else:
                power = _register(expedient.id)
            powers.accredit(g.ctx, expedient.id, power.id)
        except REFUSALS as exc:
            discard()
            errors, status = _errors(exc), exc.status
        else:
            flash(_("Representation accredited: %(representative)s acts for %(grantor)s.",
                    representative=power.representative_name, grantor=power.grantor_name), "success")  # fmt: skip
            return redirect(url_for("powers.representation", expedient_id=expedient.id))
    return render_template(
        "powers/representation.html", expedient=expedient, errors=errors, form=request.form, today=powers.today(),
        interessats=powers.interessats(g.ctx, expedient.id),
        representatives=powers.declared_representatives(g.ctx, expedient.id),
        candidates=powers.candidate_powers(g.ctx, expedient.id),
        accredited=powers.accredited_powers(g.ctx, expedient.id),
        procedures=powers.procedure_keys(g.ctx),
    ), status
