"""The signature queue (alcalde, secretary): read, sign one or a batch, or return with a reason;
import one's own certificate; check the signatures of a document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import and_, or_, select

from engine.base import unit_of_work
from engine.base.db import db
from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _, _l, ngettext
from engine.bodies.models import AgendaItem, BodySession
from engine.documents.documents import read_content
from engine.documents.signature_check import verify_pdf
from engine.expedients.expedients import get_expedient
from engine.process.definition.validation import SIGNER_ROLES
from engine.signatures.circuits import (
    current_pdf,
    decree_number,
    get_request,
    my_step,
    pending_count,
    pending_with_expedients,
    return_for_changes,
    sign,
    sign_batch,
    signed_by_me,
    step_signers,
)
from engine.signatures.credentials import credential_of, import_personal
from engine.signatures.made import attests_decree, signatures_made
from engine.signatures.models import SignatureRequest
from webapp.actions import field_errors
from webapp.auth import login_required, roles_required
from webapp.inputs import is_id
from webapp.navigation import NavItem
from webapp.views.tasks import remember_completed, show_refused

bp = Blueprint("signatures", __name__)

NAV = [NavItem("signatures.queue", _l("Signatures"), roles=SIGNER_ROLES, order=15, counter=pending_count)]


@dataclass(frozen=True)
class SessionRef:
    """The session of a collegiate body a signed paper belongs to: its convocation, its minutes, or the
    certificate of one of its agenda items (``item_position``, ``item_title``)."""

    session_id: int
    starts_at: datetime
    item_position: int | None = None
    item_title: str | None = None


def _sessions_of(requests: Iterable[SignatureRequest]) -> dict[int, SessionRef]:
    """Request id -> the body session its document belongs to, for all of ``requests`` in one query:
    three convocations of the Ple read alike by their titles; their sessions' dates tell them apart."""
    by_document = {r.document_id: r.id for r in requests if r.document_id is not None}
    if not by_document:
        return {}
    ids = sorted(by_document)
    certified = and_(AgendaItem.session_id == BodySession.id, AgendaItem.certificate_document_id.in_(ids))
    stmt = (select(BodySession.id, BodySession.starts_at, BodySession.convocation_document_id,
                   BodySession.minutes_document_id, AgendaItem.position, AgendaItem.title,
                   AgendaItem.certificate_document_id)
            .select_from(BodySession).outerjoin(AgendaItem, certified)
            .where(BodySession.tenant_id == g.ctx.tenant_id,
                   or_(BodySession.convocation_document_id.in_(ids), BodySession.minutes_document_id.in_(ids),
                       AgendaItem.id.is_not(None))))  # fmt: skip
    found: dict[int, SessionRef] = {}
    for session_id, starts_at, convocation, minutes, position, title, certificate in db.session.execute(stmt):
        for document_id in (convocation, minutes):
            if document_id in by_document:
                found[by_document[document_id]] = SessionRef(session_id, starts_at)
        if certificate in by_document:
            found[by_document[certificate]] = SessionRef(session_id, starts_at, position, title)
    return found


@bp.get("/signatures")
@roles_required(*SIGNER_ROLES)
def queue() -> Any:
    return _queue_page()


def _queue_page(errors: dict[str, str] | None = None) -> str:
    """My queue; after a refused batch, the items as chosen with the reason beside the password or the list."""
    rows = pending_with_expedients(g.ctx)
    return render_template("signatures/queue.html", rows=rows, sittings=_sessions_of(s.request for s, _e in rows),
                           has_certificate=credential_of(g.ctx.user_id) is not None, errors=errors or {},
                           attests_decree=attests_decree,
                           chosen=request.form.getlist("step_id"))


@bp.get("/signatures/<int:step_id>")
@roles_required(*SIGNER_ROLES)
def show(step_id: int) -> Any:
    return _show_page(step_id)


def _show_page(step_id: int, errors: dict[str, str] | None = None) -> str:
    """One item to sign; after a refused return, the reason as typed with the refusal beside it."""
    step = my_step(g.ctx, step_id)
    expedient = get_expedient(g.ctx, step.request.expedient_id) if step.request.expedient_id else None
    sitting = _sessions_of([step.request]).get(step.request_id)
    return render_template("signatures/show.html", step=step, req=step.request, expedient=expedient, sitting=sitting,
                           signers=step_signers(step.request), made=signatures_made(g.ctx, step.request),
                           attestation=attests_decree(step), errors=errors or {}, form=request.form)


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


def _refused(step_id: int, err: GeeError, task_id: int | None) -> Any:
    """A refusal flashed on the way back to the step (or to the sign task the form came from)."""
    flash(str(err), "danger")
    return redirect(url_for("tasks.show", task_id=task_id)) if task_id else _back_to(step_id)


def _wrong_password(step_id: int, err: ValidationFailed, task_id: int | None) -> Any:
    """A key password refused: the same page again (the step's, or the sign task's the form came from),
    the refusal beside the password field, which has the focus and is empty."""
    if task_id is not None:
        return show_refused(task_id, {"password": str(err)}, err.status)
    return _show_page(step_id, field_errors(err, ("password",), "sign")), err.status


def _done(task_id: int | None) -> Any:
    """After the item was dealt with: the queue, or the inbox when the form came from the sign task."""
    if task_id is None:
        return _back_to()
    remember_completed(task_id)
    return redirect(url_for("tasks.inbox"))


def _without_number(title: str, number: str) -> str:
    """A signed decree's title already starts with its number (the secretary attests "DEC/2026/0007 …"):
    said once in the message."""
    return title.removeprefix(number).lstrip(" :-–—") or title


@bp.post("/signatures/<int:step_id>/sign")
@roles_required(*SIGNER_ROLES)
def sign_one(step_id: int) -> Any:
    """Sign one of my steps. The same form sent twice (a double click, three tabs) signs once: the
    others find it signed by me and say so, as done, not as an error."""
    task_id = _task_id()
    try:
        done = sign(g.ctx, my_step(g.ctx, step_id).id, request.form.get("password", ""))
    except GeeError as err:
        unit_of_work.discard()
        twin = signed_by_me(g.ctx, step_id)
        if twin is not None:
            flash(_("Already signed: %(title)s.", title=twin.title), "info")
            return redirect(url_for("tasks.inbox")) if task_id else _back_to()
        if isinstance(err, ValidationFailed) and err.field == "password":
            return _wrong_password(step_id, err, task_id)
        return _refused(step_id, err, task_id)
    number = decree_number(g.ctx, done)
    if number:  # the alcalde's signature has just numbered it: the number is what they will quote
        flash(_("Decree %(number)s signed: %(title)s.", number=number, title=_without_number(done.title, number)),
              "success")
    else:
        flash(_("Signed: %(title)s.", title=done.title), "success")
    return _done(task_id)


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
    if result.decrees:  # which number each decree took (the alcalde's signature gives it): what they will quote
        numbered = "; ".join(f"{number} ({_without_number(title, number)})" for number, title in result.decrees)
        flash(ngettext("Decree number: %(decrees)s.", "Decree numbers: %(decrees)s.", len(result.decrees),
                       decrees=numbered), "success")
    if result.already:
        flash(ngettext("%(num)s item was already signed.", "%(num)s items were already signed.",
                       len(result.already)), "info")
    for _step_id, message in result.failed:
        flash(message, "danger")
    return _back_to()


@bp.post("/signatures/<int:step_id>/return")
@roles_required(*SIGNER_ROLES)
def give_back(step_id: int) -> Any:
    """Return one of my steps with a reason. A reason refused comes back on the step's page as typed,
    the refusal beside it (422); from a sign task, the refusal is flashed on the task's page."""
    task_id = _task_id()
    try:
        done = return_for_changes(g.ctx, my_step(g.ctx, step_id).id, request.form.get("reason", ""))
    except GeeError as err:
        unit_of_work.discard()
        if task_id is None and isinstance(err, ValidationFailed) and err.field == "reason":
            return _show_page(step_id, field_errors(err, ("reason",), "return")), err.status
        return _refused(step_id, err, task_id)
    flash(_("Returned: %(title)s.", title=done.title), "info")
    return _done(task_id)


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
