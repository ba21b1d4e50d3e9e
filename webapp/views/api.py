"""The JSON API, /api/v1: the same engine services the pages use, behind per-user tokens.

Authentication is ``Authorization: Bearer <token>`` (see :mod:`webapp.api.auth`); cookies are
ignored, so the blueprint is exempt from CSRF. Errors are JSON ``{error, message, field?,
details?}`` (webapp/errors.py). The OpenAPI document is :mod:`webapp.api.openapi`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from sqlalchemy import select

from engine.base import unit_of_work
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.documents import documents as docs
from engine.eni.export import export_expedient
from engine.expedients.expedients import get_expedient, parties_of
from engine.inbox.expedient_tasks import task_dict, tasks_of_expedient
from engine.inbox.inbox import InboxFilters, list_inbox, task_view, waits_for_notification
from engine.process.definition import catalogue
from engine.process.definition.deploy import deploy_uploaded
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.registry.between_tenants import send_to_tenant
from engine.registry.open_expedient import open_and_start
from engine.tenancy.models import Tenant
from webapp.api import openapi as openapi_doc
from webapp.api.answers import id_list, json_body, ok, party_input
from webapp.api.auth import api_blueprint
from webapp.api.uploads import model_upload
from webapp.inputs import PAGE_MAX, id_value, int_arg

bp = api_blueprint("api")


def _expedient_dict(expedient: Any) -> dict[str, Any]:
    return {**expedient.summary(), "opened_at": expedient.opened_at}


# -- meta ------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_doc.spec())


@bp.get("/me")
def me() -> Any:
    tenant = db.session.get(Tenant, g.ctx.tenant_id)
    return ok({
        "user": {"id": g.ctx.user_id, "username": g.ctx.username},
        "tenant": {"id": tenant.id, "code": tenant.code, "name": tenant.name} if tenant else None,
        "roles": sorted(g.ctx.roles),
    })  # fmt: skip


# -- process models --------------------------------------------------------------------------


@bp.get("/process-models")
def list_process_models() -> Any:
    out = []
    for model in catalogue.list_models(g.ctx):
        latest = catalogue.latest_version(model)
        out.append({"id": model.id, "key": model.key, "name": model.name, "shared": model.shared,
                    "published": model.published, "latest_version": latest.number if latest else None})  # fmt: skip
    return ok(out)


@bp.post("/process-models")
def deploy_process_model() -> Any:
    upload = model_upload(request.files)
    result = deploy_uploaded(g.ctx, upload.bpmn, forms=upload.forms, templates=upload.templates, dmn_files=upload.dmn)
    if not result.ok or result.version is None:
        unit_of_work.discard()
        raise ValidationFailed(_l("The model has problems; nothing was deployed."), field="bpmn",
                               details=result.problems)  # fmt: skip
    version = result.version
    answer = {"model_id": version.model_id, "key": version.model.key, "version": version.number,
              "version_id": version.id, "created": result.created}  # fmt: skip
    return ok(answer, 201 if result.created else 200)


# -- expedients ------------------------------------------------------------------------------


@bp.post("/expedients")
def create_expedient() -> Any:
    body = json_body()
    if body.get("process_model_id") is None:
        raise ValidationFailed(_l("Choose the procedure."), field="process_model_id")
    subject = body.get("subject")
    opened = open_and_start(
        g.ctx,
        process_model_id=id_value(body["process_model_id"], "process_model_id"),
        subject=None if subject is None else str(subject),
        party=party_input(body),
        responsible_unit=body.get("responsible_unit"),
        registry_entry_id=id_value(body.get("registry_entry_id"), "registry_entry_id"),
    )
    ready = [task_dict(t, g.ctx.locale) for t in tasks_of_expedient(g.ctx, opened.expedient.id) if t.state == "ready"]
    instance = {"instance_id": opened.instance.id, "status": opened.instance.status, "ready_tasks": ready}
    return ok({"expedient": _expedient_dict(opened.expedient), "instance": instance}, 201)


@bp.post("/registry/deliveries")
def deliver_entry() -> Any:
    """An outgoing entry to another administration on the platform; it arrives there at once."""
    body = json_body()
    delivery = send_to_tenant(
        g.ctx,
        recipient_tenant_id=id_value(body.get("recipient_tenant_id"), "recipient_tenant_id"),
        subject=str(body.get("subject") or ""),
        summary=None if body.get("summary") is None else str(body["summary"]),
        document_ids=id_list(body, "document_ids"),
        expedient_id=id_value(body.get("expedient_id"), "expedient_id"),
    )
    outgoing = delivery.outgoing
    return ok({"entry": outgoing.summary_dict(), "recipient": outgoing.recipient,
                "their_number": outgoing.counterpart_number}, 201)


@bp.get("/expedients/<int:expedient_id>")
def show_expedient(expedient_id: int) -> Any:
    expedient = get_expedient(g.ctx, expedient_id)
    parties = [{**link.party.summary(), "role": link.role} for link in parties_of(g.ctx, expedient.id)]
    return ok({
        "expedient": _expedient_dict(expedient),
        "parties": parties,
        "documents": [doc.meta() for doc in docs.list_documents(g.ctx, expedient.id)],
        "tasks": [task_dict(t, g.ctx.locale) for t in tasks_of_expedient(g.ctx, expedient.id)],
        "related": [_expedient_dict(other) for other in expedient.related],
    })  # fmt: skip


@bp.get("/expedients/<int:expedient_id>/eni")
def export_eni(expedient_id: int) -> Any:
    expedient = get_expedient(g.ctx, expedient_id)
    xml = export_expedient(g.ctx, expedient.id)
    response = Response(xml, mimetype="application/xml")
    response.headers.set("Content-Disposition", "attachment", filename=f"{expedient.eni_id}.xml")
    return response


@bp.post("/expedients/<int:expedient_id>/documents")
def upload_document(expedient_id: int) -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_l("Choose a file."), field="file")
    from_administration = request.form.get("from_administration", "true").strip().lower() not in ("false", "0", "no")
    doc = docs.store_document(
        g.ctx, get_expedient(g.ctx, expedient_id).id, upload.filename, upload.read(),
        title=request.form.get("title", ""), tipo_documental=request.form.get("tipo_documental", "TD99"),
        from_administration=from_administration, author=g.ctx.username,
    )  # fmt: skip
    return ok(doc.meta(), 201)


@bp.get("/documents/<int:document_id>")
def show_document(document_id: int) -> Any:
    return ok(docs.get_document(g.ctx, document_id).meta())


@bp.get("/documents/<int:document_id>/content")
def download_document(document_id: int) -> Any:
    doc, content = docs.read_content(g.ctx, document_id)
    response = Response(content, mimetype=doc.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.file_name}"'
    return response


# -- tasks -----------------------------------------------------------------------------------


@bp.get("/tasks")
def list_tasks() -> Any:
    number = int_arg(request.args.get("page"), field="page", default=1, low=1, high=PAGE_MAX) or 1
    page = list_inbox(g.ctx, InboxFilters(), page=number, per_page=100)
    return ok([
        {"id": row.task_id, "name": row.task_name, "role": row.role, "assignee_id": row.assignee_id,
         "created_at": row.created_at, "due_at": row.due_at, "deadline": str(row.status),
         "expedient_id": row.expedient_id, "expedient_number": row.expedient_number, "subject": row.subject,
         "procedure": row.procedure_name, "waiting": row.waiting}
        for row in page.rows
    ])  # fmt: skip


def _waiting(task: HumanTask) -> bool:
    """Whether a pending task only waits for a notification's outcome (it goes on by itself), as the inbox marks it."""
    if task.state != "ready":
        return False
    stmt = select(waits_for_notification(g.ctx.tenant_id)).select_from(HumanTask).where(HumanTask.id == task.id)
    return bool(db.session.execute(stmt).scalar())


@bp.get("/tasks/<int:task_id>")
def show_task(task_id: int) -> Any:
    view = task_view(g.ctx, task_id)
    return ok({**task_dict(view.task, g.ctx.locale), "form_schema": view.schema, "may_work": view.may_work,
               "waiting": _waiting(view.task)})


@bp.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int) -> Any:
    return ok(instances.claim(g.ctx, task_id))


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int) -> Any:
    data = json_body().get("data", {})
    if not isinstance(data, dict):
        raise ValidationFailed(_l("The task data must be a JSON object."), field="data")
    idem_key = request.headers.get("Idempotency-Key") or None
    return ok(instances.complete_task(g.ctx, task_id, data, idem_key, slow_steps_in_worker=True))
