"""The signature queue (alcalde, secretary): read, sign one or a batch, or return with a reason;
import one's own certificate; check the signatures of a document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _, _l, ngettext
from engine.documents.documents import read_content
from engine.documents.signature_check import verify_pdf
from engine.expedients.expedients import get_expedient
from engine.process.definition.validation import SIGNER_ROLES
from engine.signatures.circuits import (
    current_pdf,
    get_request,
    my_step,
    pending_count,
    pending_with_expedients,
    return_for_changes,
    sign,
    sign_batch,
)
from engine.signatures.credentials import credential_of, import_personal
from webapp.actions import field_errors
from webapp.auth import login_required, roles_required
from webapp.inputs import is_id
from webapp.navigation import NavItem
from webapp.views.tasks import remember_completed

bp = Blueprint("signatures", __name__)

NAV = [NavItem("signatures.queue", _l("Signatures"), roles=SIGNER_ROLES, order=15, counter=pending_count)]


@bp.get("/signatures")
@roles_required(*SIGNER_ROLES)
def queue() -> Any:
    return _queue_page()


def _queue_page(errors: dict[str, str] | None = None) -> str:
    """My queue; after a refused batch, the items as chosen with the reason beside the password or the list."""
    return render_template("signatures/queue.html", rows=pending_with_expedients(g.ctx),
                           has_certificate=credential_of(g.ctx.user_id) is not None, errors=errors or {},
                           chosen=request.form.getlist("step_id"))


@bp.get("/signatures/<int:step_id>")
@roles_required(*SIGNER_ROLES)
def show(step_id: int) -> Any:
    step = my_step(g.ctx, step_id)
    expedient = get_expedient(g.ctx, step.request.expedient_id) if step.request.expedient_id else None
    return render_template("signatures/show.html", step=step, req=step.request, expedient=expedient)


@bp.get("/signatures/requests/<int:request_id>/document.pdf")
@login_required
def pdf(request_id: int) -> Any:
    """The PDF as it stands, inline, so the queue page can show it in a frame of the same site."""
    found = get_request(g.ctx, request_id)
    response = Response(current_pdf(g.ctx, found.id), mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=f"signatura-{found.id}.pdf")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response


def _back_to(step_id: int | None = None) -> Any:
    return redirect(url_for("signatures.show", step_id=step_id) if step_id else url_for("signatures.queue"))


def _task_id() -> int | None:
    """The sign task page the form was sent from (it goes back there, not to the queue)."""
    value = request.form.get("task_id", "")
    return int(value) if is_id(value) else None


def _act_on_step(step_id: int, action: Any, done_message: Any, category: str) -> Any:
    """Sign or return one of my steps; a refusal goes back to the step with its reason."""
    task_id = _task_id()
    try:
        done = action(g.ctx, my_step(g.ctx, step_id).id)
    except GeeError as err:
        unit_of_work.discard()
        flash(str(err), "danger")
        return redirect(url_for("tasks.show", task_id=task_id)) if task_id else _back_to(step_id)
    flash(done_message(done.title), category)
    if task_id is None:
        return _back_to()
    remember_completed(task_id)
    return redirect(url_for("tasks.inbox"))


@bp.post("/signatures/<int:step_id>/sign")
@roles_required(*SIGNER_ROLES)
def sign_one(step_id: int) -> Any:
    password = request.form.get("password", "")
    return _act_on_step(step_id, lambda ctx, sid: sign(ctx, sid, password),
                        lambda title: _("Signed: %(title)s.", title=title), "success")


@bp.post("/signatures/batch")
@roles_required(*SIGNER_ROLES)
def batch() -> Any:
    ids = [int(v) for v in request.form.getlist("step_id") if is_id(v)]
    try:
        result = sign_batch(g.ctx, ids, request.form.get("password", ""))
    except GeeError as err:
        unit_of_work.discard()
        return _queue_page(field_errors(err, {"password": "batch-password"}, "batch")), err.status
    if result.signed:
        flash(ngettext("%(num)s item signed.", "%(num)s items signed.", len(result.signed)), "success")
    for _step_id, message in result.failed:
        flash(message, "danger")
    return _back_to()


@bp.post("/signatures/<int:step_id>/return")
@roles_required(*SIGNER_ROLES)
def give_back(step_id: int) -> Any:
    reason = request.form.get("reason", "")
    return _act_on_step(step_id, lambda ctx, sid: return_for_changes(ctx, sid, reason),
                        lambda title: _("Returned: %(title)s.", title=title), "info")


@bp.route("/signatures/certificate", methods=["GET", "POST"])
@login_required
def certificate() -> Any:
    """My signing certificate; a refused import says why beside the file or the password (neither comes back)."""
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationFailed(_l("Choose a file to upload."), field="file")
            import_personal(g.ctx, g.ctx.user_id, upload.read(), request.form.get("password", ""))
        except GeeError as err:
            unit_of_work.discard()
            return render_template("signatures/certificate.html", credential=credential_of(g.ctx.user_id),
                                   errors=field_errors(err, ("file", "password"), "certificate")), err.status
        flash(_("Your signing certificate was imported."), "success")
        return redirect(url_for("signatures.certificate"))
    return render_template("signatures/certificate.html", credential=credential_of(g.ctx.user_id), errors={})


@bp.get("/documents/<int:document_id>/signatures")
@login_required
def check(document_id: int) -> Any:
    """Verify the signatures of a document now (integrity, trusted chain, signing time)."""
    doc, content = read_content(g.ctx, document_id)
    result = verify_pdf(content) if doc.content_type == "application/pdf" else None
    return render_template("signatures/check.html", doc=doc, result=result)
