"""Apoderaments: the staff side of the register of powers (search, register one from the signed
document, revoke) and the accreditation of a declared representative on an expedient.
Views call :mod:`engine.powers.register` (and :mod:`engine.dossier.actors` for who revoked in words)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from engine.base.errors import GeeError
from engine.base.i18n import _, _l
from engine.base.unit_of_work import discard
from engine.dossier.actors import actor_words_by_username
from engine.expedients.expedients import get_expedient
from engine.powers import names, standing
from engine.powers import register as powers
from engine.powers.models import Power
from engine.process.forms.errors import FieldError
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
    """Every field's refusal beside its field; one that names none in the page's alert ("form-error")."""
    each = {d.field: d.message for d in exc.details if isinstance(d, FieldError) and d.field in _FIELDS}
    return {**field_errors(exc, _FIELDS), **each}


def _register(expedient_id: int | None = None) -> Power:
    form = request.form
    upload = request.files.get("document")
    content = upload.read() if upload and upload.filename else b""
    chosen = None if form.get("scope", "all") == "all" else form.getlist("procedures")
    return powers.register_from_document(
        g.ctx, form.get("grantor_nif", ""), form.get("grantor_name", ""), form.get("representative_nif", ""),
        form.get("representative_name", ""), upload.filename if upload and upload.filename else "", content,
        procedures=chosen, valid_from=form.get("valid_from"), valid_until=form.get("valid_until"),
        expedient_id=expedient_id,
    )


@bp.get("/powers/name")
@roles_required(*STAFF)
def name_lookup() -> Any:
    """htmx: the name field of one side of the form (``side``: grantor | representative), filled in with
    the name on record for the NIF typed, else as typed."""
    side = "representative" if request.args.get("side") == "representative" else "grantor"
    known = names.recorded_name(g.ctx, request.args.get(f"{side}_nif", ""))
    value = known or request.args.get(f"{side}_name", "")
    return render_template("powers/_name_field.html", side=side, value=value, known=known, errors={})


@bp.get("/powers")
@roles_required(*STAFF)
def index() -> Any:
    return _index_page()


def _index_page(errors: dict[str, str] | None = None) -> str:
    """The register, searched; after a refused revocation, its reason as typed with the refusal."""
    q = request.args.get("q", "")
    found = powers.search(g.ctx, q)
    on_record = names.recorded_names(g.ctx, [n for p in found for n in (p.grantor_nif, p.representative_nif)])
    return render_template("powers/index.html", powers=found, q=q, today=powers.today(),
                           procedures=powers.procedure_keys(g.ctx), errors=errors or {}, form=request.form,
                           revokers=actor_words_by_username([p.revoked_by for p in found if p.revoked_by]),
                           on_record=on_record)  # fmt: skip


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
    accredited = standing.accreditations(g.ctx, expedient.id)
    interessats = powers.interessats(g.ctx, expedient.id)
    representatives = powers.declared_representatives(g.ctx, expedient.id)
    form = request.form if request.method == "POST" else _prefilled(interessats, representatives)
    return render_template(
        "powers/representation.html", expedient=expedient, errors=errors, form=form, today=powers.today(),
        interessats=interessats, representatives=representatives,
        candidates=powers.candidate_powers(g.ctx, expedient.id),
        accredited=accredited, revoked=standing.revocations(g.ctx, expedient.id),
        linkers=actor_words_by_username([a.link.linked_by for a in accredited if not a.on_filing]),
        procedures=powers.procedure_keys(g.ctx),
    ), status


def _prefilled(interessats: list[Any], representatives: list[Any]) -> MultiDict[str, str]:
    """The accreditation form as the page reads: the first interessat grants the power to the one
    declared representative (nothing is guessed when several representatives were declared)."""
    if not interessats or len(representatives) != 1:
        return MultiDict()
    grantor, representative = interessats[0], representatives[0]
    return MultiDict({"grantor_nif": grantor.nif or "", "grantor_name": grantor.name or "",
                      "representative_nif": representative.nif or "", "representative_name": representative.name or ""})


@bp.app_template_global()
def revoked_representations(expedient_id: int) -> list[Power]:
    """For the expedient page: powers an interessat revoked from a declared representative
    (engine.powers.standing.revocations); nothing for who may not see the representation page."""
    if not set(STAFF) & g.ctx.roles:
        return []
    return standing.revocations(g.ctx, expedient_id)
