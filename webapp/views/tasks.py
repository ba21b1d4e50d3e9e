"""Les meves tasques: the clerk's inbox, and the page where a task is worked on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from engine.base import unit_of_work
from engine.base.errors import GeeError, NotFound, ValidationFailed
from engine.base.i18n import _, _l
from engine.citizens.filed_summary import filed_lines
from engine.documents.documents import list_documents, store_document
from engine.expedients.expedients import parties_of
from engine.inbox.inbox import (
    InboxFilters,
    Scope,
    count_open,
    list_inbox,
    procedures_in_inbox,
    reassign_candidates,
    save_draft,
    task_view,
)
from engine.inbox.next_steps import AfterCompletion, after_completion
from engine.inbox.task_context import task_context
from engine.notifications.notifications import awaited_by
from engine.process.instances import tasks as instances
from engine.signatures.circuits import for_task, pending_for
from webapp.actions import REFUSALS, field_errors
from webapp.auth import login_required
from webapp.forms_render import SPARE_ROWS, as_submitted, build_fields, parse_submission
from webapp.inputs import PAGE_MAX, int_arg, is_id, search_text
from webapp.navigation import NavItem

bp = Blueprint("tasks", __name__)

NAV = [NavItem("tasks.inbox", _l("My tasks"), order=10, counter=count_open)]


def _int(value: str | None) -> int | None:
    try:
        return int_arg(value, field="id", low=1)
    except ValidationFailed:
        return None


@bp.get("/tasks")
@login_required
def inbox() -> Any:
    try:
        scope = Scope(request.args.get("scope", Scope.ALL.value))
    except ValueError:
        scope = Scope.ALL
    filters = InboxFilters(scope=scope, procedure_id=_int(request.args.get("procedure")),
                           q=search_text(request.args.get("q")))
    page = list_inbox(g.ctx, filters, int_arg(request.args.get("page"), field="page", low=1, high=PAGE_MAX) or 1)
    if request.headers.get("HX-Request"):
        return render_template("tasks/_results.html", page=page, filters=filters)
    return render_template("tasks/inbox.html", page=page, filters=filters, procedures=procedures_in_inbox(g.ctx),
                           after=_after_completion())


#: The task just completed, so the inbox shows once what follows it (like a flashed message).
COMPLETED_KEY = "gee_completed_task"


def remember_completed(task_id: int) -> None:
    session[COMPLETED_KEY] = task_id


def _after_completion() -> AfterCompletion | None:
    """What follows the task completed just before (once); nothing after a switch of municipality."""
    completed = session.pop(COMPLETED_KEY, None)
    if not is_id(str(completed)):
        return None
    try:
        return after_completion(g.ctx, completed)
    except NotFound:
        return None


@bp.get("/tasks/<int:task_id>/after")
@login_required
def after(task_id: int) -> Any:
    """What follows a completed task, asked again by the inbox while its documents are generated."""
    return render_template("tasks/_after_completion.html", after=after_completion(g.ctx, task_id))


def _render_task(task_id: int, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 status: int = 200, refused: dict[str, str] | None = None) -> Any:
    """The task page; ``errors`` are the form's fields refused, ``refused`` a refusal of the task itself
    ("task": completing it, "assignment": claiming or releasing it, "reassign-user": the person chosen)."""
    view = task_view(g.ctx, task_id)
    context = task_context(g.ctx, view)
    shown = values if values is not None else (view.task.draft_data or context.prefill)
    signing = for_task(g.ctx, view.task.id) if view.task.state == "ready" else None
    mine = {step.request_id: step for step in pending_for(g.ctx)} if signing is not None else {}
    return render_template(
        "tasks/task.html",
        view=view,
        context=context,
        filed=filed_lines(view.procedure, context.filed, g.ctx.locale) if context.filed else [],
        signing=signing,
        awaited=awaited_by(g.ctx, view.task.id) if view.task.state == "ready" else None,
        sign_step=mine.get(signing.id) if signing is not None else None,
        fields=build_fields(view.schema, shown, errors, spare_rows=SPARE_ROWS if values is None else 0,
                            documents=list_documents(g.ctx, view.expedient.id) if view.expedient else ()),
        errors=errors or {},
        parties=parties_of(g.ctx, view.expedient.id) if view.expedient else [],
        candidates=reassign_candidates(g.ctx, view.task) if view.may_work else [],
        refused=refused or {},
        idem_key=uuid.uuid4().hex,
    ), status


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int) -> Any:
    return _render_task(task_id)


def show_refused(task_id: int, refused: dict[str, str], status: int) -> Any:
    """The task page again after a form of another page on it was refused (the sign form's "password")."""
    return _render_task(task_id, status=status, refused=refused)


def _what_next(result: dict[str, Any]) -> str:
    if result.get("incidents"):
        return _("Done. An automatic step failed and an administrator has to look at it.")
    ready = [t["name"] for t in result.get("ready_tasks", [])]
    if ready:
        return _("Done. Next: %(tasks)s.", tasks=", ".join(ready))
    if result.get("status") == "completed":
        return _("Done. The procedure has finished.")
    if result.get("status") == "running":
        return _("Done. The procedure is generating its documents; its next steps follow when they are ready.")
    return _("Done. The procedure is waiting for an event (a deadline or an answer).")


@bp.post("/tasks/<int:task_id>")
@login_required
def submit(task_id: int) -> Any:
    ctx = g.ctx
    view = task_view(ctx, task_id)
    expedient_id = view.expedient.id if view.expedient else None

    def store(label: str, upload: Any) -> int:
        return store_document(ctx, expedient_id, upload.filename or "document", upload.read(), title=label[:300],
                              tipo_documental="TD99", from_administration=True).id

    data, errors = parse_submission(view.schema, request.form, request.files, store)
    drafting = request.form.get("action") == "draft"
    if errors:
        unit_of_work.discard()  # files of a refused submit are not kept: show the form without them
        shown, errors = as_submitted(view.schema, request.form, errors)
        return _render_task(task_id, shown, errors, 422)
    if drafting:
        save_draft(ctx, task_id, data)
        flash(_("Draft saved."), "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        result = instances.complete_task(ctx, task_id, data, request.form.get("idem_key") or None,
                                         slow_steps_in_worker=True)
    except REFUSALS as err:
        unit_of_work.discard()
        found = {d.field: d.message for d in err.details} if isinstance(err, ValidationFailed) else {}
        shown, found = as_submitted(view.schema, request.form, found)
        if found:
            return _render_task(task_id, shown, found, 422)
        return _render_task(task_id, shown, status=err.status, refused={"task": str(err)})
    flash(_what_next(result), "success")
    remember_completed(task_id)
    return redirect(url_for("tasks.inbox"))


def _assign(task_id: int, change: Callable[[], Any], done: str, back: str) -> Any:
    """Claim, release or reassign: a refusal (already claimed meanwhile, a person who cannot take it) comes
    back on the task page beside its buttons, nothing changed."""
    try:
        change()
    except REFUSALS as err:
        unit_of_work.discard()
        return _render_task(task_id, status=err.status, refused=_assignment_refusal(err))
    flash(done, "success")
    return redirect(back)


def _assignment_refusal(err: GeeError) -> dict[str, str]:
    return field_errors(err, {"user_id": "reassign-user"}, general="assignment")


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Any:
    return _assign(task_id, lambda: instances.claim(g.ctx, task_id), _("The task is now yours."),
                   url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/release")
@login_required
def release(task_id: int) -> Any:
    return _assign(task_id, lambda: instances.release(g.ctx, task_id),
                   _("The task is back in the shared inbox of its role."), url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int) -> Any:
    user_id = _int(request.form.get("user_id"))
    if user_id is None:
        return _render_task(task_id, status=422,
                            refused=_assignment_refusal(ValidationFailed(_l("Choose a person."), field="user_id")))
    return _assign(task_id, lambda: instances.reassign(g.ctx, task_id, user_id),
                   _("The task has been reassigned."), url_for("tasks.inbox"))
