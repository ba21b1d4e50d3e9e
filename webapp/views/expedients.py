"""Expedients: list and search, open one (with its procedure), its page, documents, related
expedients, close/reopen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, flash, g, jsonify, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.i18n import _, _l
from engine.base.identifiers import normalise_nif
from engine.control.risk import term_of
from engine.documents import closing
from engine.documents.documents import TIPO_LABELS, get_document, read_content, store_document
from engine.dossier.actions import (
    NOTIFIERS,
    SIGNATURE_REQUESTERS,
    issue_with_csv,
    notify_document,
    record_delivery_attempt,
    record_notice_publication,
    request_document_signatures,
    upload_new_version,
)
from engine.dossier.page import diagram, documents_being_generated, dossier
from engine.eni.access import ENI_ROLES
from engine.expedients import expedients
from engine.expedients.listing import STATES, expedients_page
from engine.expedients.parties import find_party_by_nif, party_typed
from engine.inbox.inbox import first_parties
from engine.noticeboard.edicts import PUBLISHERS
from engine.notifications.notifications import PostalResult
from engine.process.definition.catalogue import list_models
from engine.registry.awaited_entries import awaited_entries, register_awaited_entry
from engine.registry.entries import Upload
from engine.registry.open_expedient import PartyInput, open_and_start
from webapp.actions import field_errors
from webapp.auth import login_required, roles_required
from webapp.inputs import int_arg, is_id, search_text
from webapp.navigation import NavItem

bp = Blueprint("expedients", __name__)

NAV = [NavItem("expedients.index", _l("Expedients"), order=20)]

OPENER_ROLES = tuple(sorted(expedients.OPENERS))


#: Expedients a page of the list shows.
LIST_PAGE = 50


@bp.get("/expedients")
@login_required
def index() -> Any:
    """The municipality's expedients, newest first, a page at a time, by state, procedure and text."""
    args = request.args
    filters = {"q": search_text(args.get("q")), "state": args.get("state") if args.get("state") in STATES else "",
               "procedure": args.get("procedure") or ""}  # fmt: skip
    page = expedients_page(g.ctx, state=filters["state"] or None, procedure=filters["procedure"] or None,
                           q=filters["q"], after=int_arg(args.get("after"), field="after", low=1), limit=LIST_PAGE)
    template = "expedients/_list.html" if request.headers.get("HX-Request") else "expedients/index.html"
    return render_template(template, page=page, filters=filters, first_page=bool(args.get("after")),
                           parties=first_parties(g.ctx, [e.id for e in page.rows]),
                           procedures=_procedure_choices(),
                           may_open=bool(set(OPENER_ROLES) & g.ctx.roles),
                           may_import=bool(set(ENI_ROLES) & g.ctx.roles))


def _procedure_choices() -> list[Any]:
    """One model per procedure key (the municipality's own before a shared one), by name."""
    by_key: dict[str, Any] = {}
    for model in list_models(g.ctx):
        by_key.setdefault(model.key, model)
    return sorted(by_key.values(), key=lambda model: model.name)


# -- opening -------------------------------------------------------------------------------------


def published_procedures() -> list[Any]:
    return [m for m in list_models(g.ctx) if m.published]


#: The DOM ids of the interested party's fields (expedients/_party_input.html), by the names services give them.
PARTY_FIELDS = {"nif": "nif", "name": "party_name", "email": "email", "phone": "phone", "address": "address",
                "postal_code": "postal_code", "municipality": "municipality"}
_OPENING_FIELDS = {name: name for name in ("process_model_id", "subject", "responsible_unit")}


def _party_from_form(form: Any) -> PartyInput | None:
    nif = (form.get("nif") or "").strip()
    if not nif:
        return None
    return PartyInput(
        nif=nif, name=form.get("party_name", ""), email=form.get("email") or None, phone=form.get("phone") or None,
        address=form.get("address") or None, postal_code=form.get("postal_code") or None,
        municipality=form.get("municipality") or None,
    )


@bp.route("/expedients/new", methods=["GET", "POST"])
@roles_required(*OPENER_ROLES)
def new() -> Any:
    form = request.form if request.method == "POST" else {}
    error: ValidationFailed | None = None
    if request.method == "POST" and not form.get("process_model_id"):
        error = ValidationFailed(_l("Choose a procedure from the list."), field="process_model_id")
    elif request.method == "POST":
        try:
            opened = open_and_start(
                g.ctx,
                process_model_id=form.get("process_model_id"),
                subject=form.get("subject", ""),
                party=_party_from_form(form),
                responsible_unit=form.get("responsible_unit") or None,
            )
        except ValidationFailed as err:
            error = err
        else:
            flash(_("Expedient %(number)s opened and its procedure started.", number=opened.expedient.number),
                  "success")
            return redirect(url_for("expedients.show", expedient_id=opened.expedient.id))
    return render_template("expedients/new.html", procedures=published_procedures(), form=form,
                           known_party=party_typed(g.ctx, form.get("nif") or ""),
                           errors=field_errors(error, {**PARTY_FIELDS, **_OPENING_FIELDS})), 422 if error else 200


@bp.get("/parties/lookup")
@login_required
def party_lookup() -> Any:
    """htmx: the party with this NIF, or the fields to add one, or why the NIF is not valid."""
    nif = request.args.get("nif", "")
    try:
        normalise_nif(nif)
        party = find_party_by_nif(g.ctx, nif)
        error = None
    except ValidationFailed as err:
        party, error = None, str(err)
    return render_template("expedients/_party.html", nif=nif, party=party, error=error, form=request.args, errors={})


# -- the expedient page ----------------------------------------------------------------------------


def _page(expedient_id: int, error: ValidationFailed | Conflict | None = None, failed_form: str | None = None) -> Any:
    """The expedient page; after a refused action, with the error beside the form that failed."""
    found = dossier(g.ctx, expedient_id)
    page = render_template("expedients/show.html", d=found, term=term_of(g.ctx, found.expedient),
                           tipos=TIPO_LABELS, postal_results=list(PostalResult), error=error,
                           failed_form=failed_form, form=request.form,
                           awaited_entries=awaited_entries(g.ctx, expedient_id),
                           may_open=bool(set(OPENER_ROLES) & g.ctx.roles),
                           may_upload=bool({*OPENER_ROLES, "tecnic"} & g.ctx.roles),
                           may_publish_edict=bool(set(PUBLISHERS) & g.ctx.roles))
    return (page, error.status) if error else page


@bp.get("/expedients/<int:expedient_id>")
@login_required
def show(expedient_id: int) -> Any:
    return _page(expedient_id)


@bp.get("/expedients/<int:expedient_id>/generating")
@login_required
def generating(expedient_id: int) -> Any:
    """The note of documents a worker is generating (htmx asks again until they are ready)."""
    return render_template("expedients/_generating.html", expedient_id=expedient_id,
                           generating=documents_being_generated(g.ctx, expedient_id))


@bp.get("/expedients/<int:expedient_id>/diagram.json")
@login_required
def diagram_json(expedient_id: int) -> Any:
    found = diagram(g.ctx, expedient_id)
    if found is None:
        raise NotFound(_l("This expedient has no process."))
    return jsonify(found.to_dict())


@bp.post("/expedients/<int:expedient_id>/documents")
@roles_required(*OPENER_ROLES, "tecnic")
def upload(expedient_id: int) -> Any:
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose a file to upload."), field="file")
        doc = store_document(
            g.ctx, expedient_id, upload.filename, upload.read(),
            title=request.form.get("title") or upload.filename,
            tipo_documental=request.form.get("tipo_documental", "TD99"),
            from_administration=request.form.get("origin") != "citizen",
        )
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, "upload")
    flash(_("Document %(title)s added to the expedient.", title=doc.title), "success")
    return redirect(url_for("expedients.show", expedient_id=expedient_id) + "#documents")


@bp.post("/expedients/<int:expedient_id>/documents/<int:document_id>/versions")
@roles_required(*OPENER_ROLES, "tecnic")
def upload_version(expedient_id: int, document_id: int) -> Any:
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose a file to upload."), field="file")
        doc = upload_new_version(g.ctx, expedient_id, document_id, upload.filename, upload.read())
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, f"version-{document_id}")
    flash(_("Version %(n)s of %(title)s added.", n=doc.version, title=doc.title), "success")
    return _done(expedient_id, "#documents")


@bp.post("/expedients/<int:expedient_id>/documents/<int:document_id>/issue")
@roles_required(*OPENER_ROLES)
def issue(expedient_id: int, document_id: int) -> Any:
    try:
        doc = issue_with_csv(g.ctx, expedient_id, document_id)
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, f"issue-{document_id}")
    flash(_("%(title)s issued with the CSV %(csv)s.", title=doc.title, csv=doc.csv), "success")
    return _done(expedient_id, "#documents")


@bp.get("/expedients/<int:expedient_id>/documents/<int:document_id>")
@login_required
def download(expedient_id: int, document_id: int) -> Any:
    expedient = expedients.get_expedient(g.ctx, expedient_id)
    doc, content = read_content(g.ctx, document_id)
    if doc.expedient_id != expedient.id:
        raise NotFound(_l("Not found."))
    response = Response(content, mimetype=doc.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=doc.file_name)
    return response


@bp.get("/expedients/<int:expedient_id>/documents/<int:document_id>/signatures")
@login_required
def document_signatures(expedient_id: int, document_id: int) -> Any:
    """A document's signatures, or the note that a job is still verifying them (htmx asks again)."""
    expedient = expedients.get_expedient(g.ctx, expedient_id)
    doc = get_document(g.ctx, document_id)
    if doc.expedient_id != expedient.id:
        raise NotFound(_l("Not found."))
    style = "task" if request.args.get("style") == "task" else "expedient"
    return render_template("expedients/_document_signatures.html", doc=doc, style=style)


@bp.post("/expedients/<int:expedient_id>/close")
@login_required
def close(expedient_id: int) -> Any:
    expedient = closing.close_expedient(g.ctx, expedient_id)
    flash(_("Expedient %(number)s closed.", number=expedient.number), "success")
    return redirect(url_for("expedients.show", expedient_id=expedient_id))


@bp.post("/expedients/<int:expedient_id>/reopen")
@login_required
def reopen(expedient_id: int) -> Any:
    try:
        expedient = expedients.reopen_expedient(g.ctx, expedient_id, request.form.get("reason", ""))
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, "reopen")
    flash(_("Expedient %(number)s reopened.", number=expedient.number), "success")
    return redirect(url_for("expedients.show", expedient_id=expedient_id))


# -- relations, notifications and signatures from the expedient page ------------------------------


def _chosen_id(name: str, message: Any) -> int:
    value = request.form.get(name, "")
    if not is_id(value):
        raise ValidationFailed(message, field=name)
    return int(value)


def _done(expedient_id: int, anchor: str) -> Any:
    return redirect(url_for("expedients.show", expedient_id=expedient_id) + anchor)


@bp.post("/expedients/<int:expedient_id>/related")
@roles_required(*OPENER_ROLES)
def relate(expedient_id: int) -> Any:
    """Relate the expedient to another of the municipality, named by its number."""
    try:
        other = expedients.relate_by_number(g.ctx, expedient_id, request.form.get("number", ""))
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, "relate")
    flash(_("Related to expedient %(number)s.", number=other.number), "success")
    return _done(expedient_id, "#related")


@bp.post("/expedients/<int:expedient_id>/notifications")
@roles_required(*NOTIFIERS)
def notify(expedient_id: int) -> Any:
    try:
        note = notify_document(
            g.ctx, expedient_id,
            party_id=_chosen_id("party_id", _l("Choose the interested party.")),
            document_id=_chosen_id("document_id", _l("Choose the document to notify.")),
            channel=request.form.get("channel") or None,
        )
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, "notify")
    flash(_("Notification made available."), "success")
    return _done(expedient_id, f"#notification-{note.id}")


def _attempt_time() -> datetime:
    try:
        return datetime.fromisoformat(request.form.get("attempted_at", ""))
    except ValueError:
        raise ValidationFailed(_l("Give the date and time of the attempt."), field="attempted_at") from None


@bp.post("/expedients/<int:expedient_id>/notifications/<int:notification_id>/attempts")
@roles_required(*NOTIFIERS)
def delivery_attempt(expedient_id: int, notification_id: int) -> Any:
    try:
        note = record_delivery_attempt(g.ctx, expedient_id, notification_id, _attempt_time(),
                                       request.form.get("result", ""))
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, f"attempt-{notification_id}")
    flash(_("Delivery attempt recorded."), "success")
    return _done(expedient_id, f"#notification-{note.id}")


@bp.post("/expedients/<int:expedient_id>/awaited/<int:awaited_id>/entry")
@roles_required(*OPENER_ROLES)
def awaited_entry(expedient_id: int, awaited_id: int) -> Any:
    """Register the incoming entry the procedure waits for (e.g. another body's sector report)."""
    files = [Upload(f.filename or "document", f.read(), title=request.form.get("title") or f.filename or None,
                    tipo_documental="TD13") for f in request.files.getlist("files") if f and f.filename]
    try:
        entry = register_awaited_entry(g.ctx, expedient_id, awaited_id, sender=request.form.get("sender", ""),
                                       subject=request.form.get("subject") or _("Incoming report"), uploads=files)
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, f"awaited-{awaited_id}")
    flash(_("Entry %(number)s registered; the procedure goes on.", number=entry.number), "success")
    return _done(expedient_id, "#awaited-entries")


def _publication_day() -> date:
    try:
        return date.fromisoformat(request.form.get("published_on", ""))
    except ValueError:
        raise ValidationFailed(_l("Give the date of the announcement in the BOE."), field="published_on") from None


@bp.post("/expedients/<int:expedient_id>/notifications/<int:notification_id>/publication")
@roles_required(*NOTIFIERS)
def notice_publication(expedient_id: int, notification_id: int) -> Any:
    try:
        note = record_notice_publication(g.ctx, expedient_id, notification_id, _publication_day(),
                                         request.form.get("reference", ""))
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, f"publication-{notification_id}")
    flash(_("Publication recorded: the notification is practised."), "success")
    return _done(expedient_id, f"#notification-{note.id}")


@bp.post("/expedients/<int:expedient_id>/documents/<int:document_id>/signatures")
@roles_required(*SIGNATURE_REQUESTERS)
def request_signing(expedient_id: int, document_id: int) -> Any:
    try:
        signing = request_document_signatures(g.ctx, expedient_id, document_id, request.form.get("circuit", ""))
    except (ValidationFailed, Conflict) as err:
        unit_of_work.discard()
        return _page(expedient_id, err, f"sign-{document_id}")
    flash(_("%(title)s sent for signature.", title=signing.title), "success")
    return _done(expedient_id, "#documents")
