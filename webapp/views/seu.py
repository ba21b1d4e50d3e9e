"""The citizen e-office (seu electrònica) of each municipality: /seu/<tenant_code>/…

Public: the list of municipalities, each one's procedure catalogue and procedure sheets.
Identified citizens (OpenID Connect, see :mod:`webapp.seu.oidc`): file a request, "la meva
carpeta" (their expedients, documents, receipts), answer a requeriment, notifications, "les meves
dades" (how they are notified and where the notices go).
Anything not theirs answers 404. Views only call :mod:`engine.citizens` services.
"""

from __future__ import annotations

from typing import Any, cast

from authlib.integrations.base_client.errors import OAuthError
from flask import Blueprint, Flask, Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from sqlalchemy import select

from engine.base import unit_of_work
from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.base.i18n import _
from engine.citizens import allegations, carpeta, filing, my_details, notices
from engine.citizens.asked import asked_in_folder, what_is_asked
from engine.citizens.identity import citizen_context, identity_from_claims
from engine.citizens.procedures import get_procedure, list_procedures
from engine.powers import register as powers
from engine.powers import standing
from engine.registry.entries import Upload
from engine.tenancy.models import Tenant
from webapp.forms_render import SPARE_ROWS, as_submitted, build_fields, parse_submission
from webapp.inputs import int_arg
from webapp.redirects import safe_next
from webapp.seu import oidc
from webapp.seu.frame import municipality_pages
from webapp.seu.session import NEXT_KEY, citizen_required, current_citizen, log_in, log_out

bp = Blueprint("seu", __name__, url_prefix="/seu")


@bp.record_once
def _init_oidc(state: BlueprintSetupState) -> None:
    # A flask.Blueprint is only ever registered on a flask.Flask (the sansio type is wider).
    oidc.init_app(cast(Flask, state.app))


municipality_pages(bp)  # g.seu_tenant; the frame's values come from webapp.seu.frame


def _locale() -> str:
    return str(get_locale() or "ca")


def _ctx() -> Any:
    return citizen_context(g.seu_tenant, g.citizen, _locale())


def _uploads(field: str = "documents") -> list[Upload]:
    return [
        Upload(filename=f.filename or "document", content=f.read(), title=f.filename or None, tipo_documental="TD99")
        for f in request.files.getlist(field)
        if f and f.filename
    ]


#: Start form fields are named ``f_<property>``.
_SEU_NAMES: dict[str, Any] = {"name_prefix": "f", "separator": "_"}


def _errors(exc: ValidationFailed | Conflict) -> dict[str, str]:
    details = getattr(exc, "details", None) or []
    out = {d.field.removeprefix("/"): d.message for d in details if getattr(d, "field", None)}
    if exc.field and exc.field not in out:
        out[exc.field] = str(exc)
    return out


def _refused(exc: ValidationFailed | Conflict) -> dict[str, str]:
    """A refused form's errors for its own summary and fields (never a flash, which would outlive the
    corrections): a refusal that names no field goes under the key "". Nothing of the attempt is kept."""
    unit_of_work.discard()
    return _errors(exc) or {"": str(exc)}


# --------------------------------------------------------------------------- public pages


@bp.get("/")
def municipalities() -> Any:
    tenants = db.session.execute(
        select(Tenant).where(Tenant.active.is_(True), Tenant.kind != "provincial").order_by(Tenant.name)
    ).scalars()
    return render_template("seu/municipalities.html", tenants=list(tenants))


@bp.get("/<tenant_code>/")
def home(tenant_code: str) -> Any:
    """The procedures a citizen can file online. Every procedure, with its maximum term and the effect of
    its silence (art. 21.4 Ley 39/2015), is in the transparency portal's catalogue, linked from here."""
    procedures = list_procedures(g.seu_tenant.id, _locale())
    return render_template("seu/home.html", procedures=[p for p in procedures if p.online],
                           others=len([p for p in procedures if not p.online]))


@bp.get("/<tenant_code>/tramits/<key>")
def procedure(tenant_code: str, key: str) -> Any:
    return render_template("seu/procedure.html", procedure=get_procedure(g.seu_tenant.id, key, _locale()))


# --------------------------------------------------------------------------- identity


def _filed(value: str | None) -> int | None:
    try:
        return int_arg(value, field="filed", low=1)
    except ValidationFailed:
        return None


@bp.get("/<tenant_code>/entrar")
def login(tenant_code: str) -> Any:
    if current_citizen() is not None:
        return redirect(safe_next(request.args.get("next"), url_for("seu.folder", tenant_code=tenant_code)))
    client = oidc.client()
    if client is None:
        return render_template("seu/login_unavailable.html"), 503
    session[NEXT_KEY] = safe_next(request.args.get("next"), url_for("seu.folder", tenant_code=tenant_code))
    return client.authorize_redirect(url_for("seu.callback", _external=True))


@bp.get("/auth/callback")
def callback() -> Any:
    client = oidc.client()
    if client is None:
        abort(404)
    try:
        token = client.authorize_access_token()
    except OAuthError:
        flash(_("The identification could not be completed. Please try again."), "danger")
        return redirect(url_for("seu.municipalities"))
    claims = token.get("userinfo") or {}
    log_in(identity_from_claims(claims))
    return redirect(safe_next(session.pop(NEXT_KEY, None), url_for("seu.municipalities")))


@bp.post("/<tenant_code>/sortir")
def logout(tenant_code: str) -> Any:
    log_out()
    flash(_("You have left the e-office."), "info")
    return redirect(url_for("seu.home", tenant_code=tenant_code))


# --------------------------------------------------------------------------- filing


@bp.route("/<tenant_code>/tramits/<key>/sollicitud", methods=["GET", "POST"])
@citizen_required
def file_request(tenant_code: str, key: str) -> Any:
    proc = get_procedure(g.seu_tenant.id, key, _locale())
    if not proc.online or proc.start_form is None:
        abort(404)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    # Whom the citizen holds (or held) a power from for this procedure, said before they file on someone's behalf.
    power_notices = standing.filing_notices(_ctx(), g.citizen.nif, key)
    if request.method == "POST":
        # Unconvertible strings go on to the schema check, which names the field too.
        values, typing_errors = parse_submission(proc.start_form, request.form, **_SEU_NAMES)
        represented = None
        if request.form.get("on_behalf"):
            represented = filing.Represented(request.form.get("represented_nif", ""),
                                             request.form.get("represented_name", ""))  # fmt: skip
        try:
            if represented is not None and not represented.name.strip():
                raise ValidationFailed(_("The name is required."), field="represented_name")
            if represented is not None:
                _check_unaccredited(key, represented.nif)
            done = filing.file_request(g.seu_tenant, g.citizen, key, values, _uploads(), represented=represented,
                                       email=request.form.get("email") or None, locale=_locale())  # fmt: skip
        except ValidationFailed as exc:
            # The form's own summary says it (not a flash, which would outlive the corrections);
            # a refusal that names no field is listed there too, under the key "".
            errors, status = {**_errors(exc), **typing_errors} or {"": str(exc)}, 422
            values, errors = as_submitted(proc.start_form, request.form, errors, **_SEU_NAMES)
        else:
            flash(_("Your request has been registered with number %(number)s.", number=done.entry_number), "success")
            return redirect(url_for("seu.expedient", tenant_code=tenant_code, expedient_id=done.expedient_id,
                                    filed=done.entry_id))  # fmt: skip
    fields = build_fields(proc.start_form, values, errors, labels=proc.field_labels,
                          spare_rows=0 if status == 422 else SPARE_ROWS, **_SEU_NAMES)
    return render_template("seu/file.html", procedure=proc, fields=fields, errors=errors,
                           form=request.form, power_notices=power_notices), status  # fmt: skip


def _check_unaccredited(key: str, represented_nif: str) -> None:
    """Filing for someone whose power to the citizen was revoked or has expired needs the citizen's word that
    they know the representation will have to be accredited (art. 5.6 Ley 39/2015): the box ``without_power``."""
    notice = standing.filing_notice(_ctx(), g.citizen.nif, represented_nif, key)
    if notice is not None and not notice.accredits and not request.form.get("without_power"):
        message = _("The power %(name)s granted you no longer accredits your representation: confirm that you "
                    "file knowing it will have to be accredited.", name=notice.power.grantor_name)
        raise ValidationFailed(message, field="without_power")


# --------------------------------------------------------------------------- la meva carpeta


@bp.get("/<tenant_code>/carpeta")
@citizen_required
def folder(tenant_code: str) -> Any:
    ctx = _ctx()
    pending = [n for n in notices.my_notifications(ctx, g.citizen) if n.state == "pending"]
    items = carpeta.my_expedients(ctx, g.citizen)
    return render_template("seu/folder.html", items=items, pending=pending,
                           asked=asked_in_folder(ctx, g.citizen, items))


@bp.get("/<tenant_code>/carpeta/<int:expedient_id>")
@citizen_required
def expedient(tenant_code: str, expedient_id: int) -> Any:
    return _expedient_page(expedient_id)


def _expedient_page(expedient_id: int, extension_refused: tuple[int, str] | None = None) -> str:
    """The expedient's page; after a refused request for an extension, (the requeriment's id, why) is
    said beside its button."""
    ctx = _ctx()
    item = carpeta.open_my_expedient(ctx, g.citizen, expedient_id)
    return render_template(
        "seu/expedient.html",
        item=item,
        asked=what_is_asked(ctx, g.citizen, item),
        documents=carpeta.documents_for(ctx, g.citizen, item),
        entries=carpeta.entries_for(ctx, g.citizen, item),
        notifications=notices.my_notifications(ctx, g.citizen, expedient_id),
        filed=_filed(request.args.get("filed")),
        extension_refused=extension_refused,
    )


@bp.get("/<tenant_code>/documents/<int:document_id>")
@citizen_required
def document(tenant_code: str, document_id: int) -> Any:
    doc, content = carpeta.my_document(_ctx(), g.citizen, document_id)
    response = Response(content, mimetype=doc.content_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.file_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<tenant_code>/registre/<int:entry_id>/justificant")
@citizen_required
def receipt_status(tenant_code: str, entry_id: int) -> Any:
    """The receipt of an entry the citizen just filed: its link once the job issued it, else a
    note that asks again in a second (htmx), so the filing page needs no reload."""
    entry = carpeta.my_filed_entry(_ctx(), g.citizen, entry_id)
    response = Response(render_template("seu/_receipt_status.html", entry=entry))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<tenant_code>/carpeta/<int:expedient_id>/requeriments/<int:awaited_id>", methods=["GET", "POST"])
@citizen_required
def answer(tenant_code: str, expedient_id: int, awaited_id: int) -> Any:
    item = carpeta.get_my_expedient(_ctx(), g.citizen, expedient_id)
    awaited = next((a for a in item.awaited if a.id == awaited_id), None)
    if awaited is None:
        abort(404)
    asked = what_is_asked(_ctx(), g.citizen, item)[awaited.id]
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            done = filing.answer_requeriment(g.seu_tenant, g.citizen, expedient_id, awaited_id, _uploads(),
                                             text=request.form.get("text"), locale=_locale())  # fmt: skip
        except ValidationFailed as exc:
            errors, status = _refused(exc), 422
        else:
            message = (_("Your allegations have been registered with number %(number)s.", number=done.entry_number)
                       if awaited.accepts(filing.ALLEGATIONS_MESSAGE)
                       else _("Your answer has been registered with number %(number)s.", number=done.entry_number))
            if done.late:
                message += " " + _("It was presented after the deadline; this has been recorded.")
            flash(message, "warning" if done.late else "success")
            return redirect(url_for("seu.expedient", tenant_code=tenant_code, expedient_id=expedient_id,
                                    filed=done.entry_id))  # fmt: skip
    return render_template("seu/answer.html", item=item, awaited=awaited, asked=asked, errors=errors), status


@bp.post("/<tenant_code>/carpeta/<int:expedient_id>/requeriments/<int:awaited_id>/extension")
@citizen_required
def extension(tenant_code: str, expedient_id: int, awaited_id: int) -> Any:
    try:
        done = filing.request_extension(g.seu_tenant, g.citizen, expedient_id, awaited_id, locale=_locale())
    except (ValidationFailed, Conflict) as exc:
        unit_of_work.discard()
        return _expedient_page(expedient_id, extension_refused=(awaited_id, str(exc))), exc.status
    flash(_("Your request for an extension has been registered with number %(number)s.",
            number=done.entry_number), "success")
    return redirect(url_for("seu.expedient", tenant_code=tenant_code, expedient_id=expedient_id))


@bp.route("/<tenant_code>/tauler/<int:edict_id>/al-legacions", methods=["GET", "POST"])
@citizen_required
def allegation(tenant_code: str, edict_id: int) -> Any:
    edict = allegations.edict_for_allegations(g.seu_tenant.id, edict_id)
    if edict is None:
        abort(404)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            done = allegations.file_online(g.seu_tenant, g.citizen, edict_id, text=request.form.get("text", ""),
                                           uploads=_uploads(), locale=_locale())
        except (ValidationFailed, Conflict) as exc:
            # once the period is over the page says so in place of the form
            errors, status = _refused(exc), exc.status
        else:
            flash(_("Your allegation has been registered with number %(number)s.", number=done.entry_number),
                  "success")
            return redirect(url_for("seu.expedient", tenant_code=tenant_code, expedient_id=done.expedient_id,
                                    filed=done.entry_id))  # fmt: skip
    open_now = allegations.taking_allegations(edict, local_date(utcnow()))
    return render_template("seu/allegation.html", edict=edict, open_now=open_now, errors=errors,
                           text=request.form.get("text", "")), status


@bp.route("/<tenant_code>/les-meves-dades", methods=["GET", "POST"], endpoint="my_details")
@citizen_required
def edit_my_details(tenant_code: str) -> Any:
    """How the citizen is notified (paper or e-office, art. 14.1 Ley 39/2015) and where the notices go
    (art. 41.1): only ever their own party, found by the NIF they identified with."""
    ctx = _ctx()
    party = my_details.my_party(ctx, g.citizen)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            done = my_details.change_my_details(
                ctx, g.citizen, preferred_channel=form.get("preferred_channel"), email=form.get("email"),
                address=form.get("address"), postal_code=form.get("postal_code"),
                municipality=form.get("municipality"),
            )
        except ValidationFailed as exc:
            errors, status = _refused(exc), 422
        else:
            if not done.changed:
                flash(_("You have not changed anything."), "info")
            else:
                message = _("Your details have been saved.")
                if done.channel_changed:
                    message += " " + _("The new way of notifying you applies to the notifications made from now on.")
                flash(message, "success")
            return redirect(url_for("seu.my_details", tenant_code=tenant_code))
    values = request.form if errors or party is None else my_details.form_values(party)
    return render_template("seu/my_details.html", party=party, entity=party is not None and my_details.is_entity(party),
                           values=values, errors=errors), status  # fmt: skip


# --------------------------------------------------------------------------- notifications


@bp.get("/<tenant_code>/notificacions")
@citizen_required
def notifications(tenant_code: str) -> Any:
    ctx = _ctx()
    expedients = {item.expedient.id: item.expedient for item in carpeta.my_expedients(ctx, g.citizen)}
    return render_template("seu/notifications.html", notifications=notices.my_notifications(ctx, g.citizen),
                           expedients=expedients)  # fmt: skip


@bp.get("/<tenant_code>/notificacions/<int:notification_id>")
@citizen_required
def notification(tenant_code: str, notification_id: int) -> Any:
    return _notification_page(notification_id)


def _notification_page(notification_id: int, refused: str | None = None, understood_error: str | None = None) -> str:
    """The notification's page; ``refused``: why it could not be opened or rejected (it was settled
    meanwhile, or its ten days ran out), said where its buttons are; ``understood_error``: a
    rejection sent without confirming its consequence, said beside the box to tick."""
    note = notices.view_notification(_ctx(), g.citizen, notification_id)
    item = carpeta.get_my_expedient(_ctx(), g.citizen, note.expedient_id)
    return render_template("seu/notification.html", note=note, item=item, refused=refused,
                           understood_error=understood_error)


@bp.post("/<tenant_code>/notificacions/<int:notification_id>/<any(obrir, rebutjar):action>")
@citizen_required
def settle_notification(tenant_code: str, notification_id: int, action: str) -> Any:
    opening = action == "obrir"
    if (not opening and not request.form.get("understood")
            and notices.my_notification(_ctx(), g.citizen, notification_id).state == "pending"):
        # A rejection counts as notification and cannot be undone (art. 41.5 Ley 39/2015): only
        # with the citizen's confirmation that they know it, checked here, not only in the browser.
        # (One settled meanwhile is refused below, in words, where its buttons were.)
        refusal = ValidationFailed(_("Tick the box to confirm that you understand what rejecting it means."),
                                   field="understood")
        return _notification_page(notification_id, understood_error=str(refusal)), refusal.status
    settle = notices.open_notification if opening else notices.reject_notification
    try:
        note = settle(_ctx(), g.citizen, notification_id)
    except Conflict as exc:
        unit_of_work.discard()
        return _notification_page(notification_id, refused=str(exc)), exc.status
    if opening:
        flash(_("You have accessed the notification; it takes effect now."), "success")
    else:
        flash(_("You have rejected the notification. The procedure goes on (art. 41.5 Law 39/2015)."), "warning")
    return redirect(url_for("seu.notification", tenant_code=tenant_code, notification_id=note.id))


# --------------------------------------------------------------------------- powers (apoderaments)


@bp.get("/<tenant_code>/apoderaments")
@citizen_required
def powers_list(tenant_code: str) -> Any:
    return _powers_page()


def _powers_page(revocation_refused: tuple[int, str] | None = None) -> str:
    """The citizen's powers; after a refused revocation, (the power's id, why) is said in its row."""
    ctx = _ctx()
    return render_template("seu/powers.html", granted=powers.granted_by(ctx, g.citizen.nif),
                           received=powers.received_by(ctx, g.citizen.nif), today=powers.today(),
                           procedures=powers.procedure_keys(ctx), revocation_refused=revocation_refused)


@bp.route("/<tenant_code>/apoderaments/nou", methods=["GET", "POST"])
@citizen_required
def grant_power(tenant_code: str) -> Any:
    ctx = _ctx()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            chosen = None if form.get("scope", "all") == "all" else form.getlist("procedures")
            done = powers.grant_apud_acta(
                ctx, g.citizen.nif, g.citizen.name, form.get("representative_nif", ""),
                form.get("representative_name", ""), procedures=chosen, valid_from=form.get("valid_from"),
                valid_until=form.get("valid_until"),
            )
        except ValidationFailed as exc:
            errors, status = _refused(exc), 422
        else:
            flash(_("You have granted the power to %(name)s.", name=done.representative_name), "success")
            return redirect(url_for("seu.power", tenant_code=tenant_code, power_id=done.id))
    online = {p.key: p.name for p in list_procedures(g.seu_tenant.id, _locale()) if p.online}  # what a power is for
    return render_template("seu/power_grant.html", errors=errors, form=request.form, today=powers.today(),
                           procedures=online), status  # fmt: skip


@bp.get("/<tenant_code>/apoderaments/<int:power_id>")
@citizen_required
def power(tenant_code: str, power_id: int) -> Any:
    """The confirmation of a power, for its grantor or its representative: what was recorded, and when."""
    ctx = _ctx()
    return render_template("seu/power.html", power=powers.get_power_of(ctx, power_id, g.citizen.nif),
                           today=powers.today(), procedures=powers.procedure_keys(ctx))  # fmt: skip


@bp.post("/<tenant_code>/apoderaments/<int:power_id>/revocar")
@citizen_required
def revoke_power(tenant_code: str, power_id: int) -> Any:
    try:
        powers.revoke(_ctx(), power_id, grantor_nif=g.citizen.nif)
    except (ValidationFailed, Conflict) as exc:
        unit_of_work.discard()
        return _powers_page(revocation_refused=(power_id, str(exc))), exc.status
    flash(_("The power has been revoked."), "success")
    return redirect(url_for("seu.powers_list", tenant_code=tenant_code))


@bp.get("/<tenant_code>/accessos")
@citizen_required
def accesses(tenant_code: str) -> Any:
    return render_template("seu/accesses.html", events=powers.accesses_on_behalf_of(_ctx(), g.citizen.nif))
