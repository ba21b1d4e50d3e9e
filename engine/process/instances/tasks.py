"""Services that run process instances: start, complete a human task, claim/release/reassign,
fire timers, retry/skip incidents, show.

Every change to an instance happens in one transaction that holds the instance's lock:
``SELECT … FOR UPDATE`` on PostgreSQL (a write that takes the database lock on SQLite),
plus a compare-and-swap on ``version`` when the state is written back. A lost race is
retried from scratch by the entry point's unit of work (:mod:`engine.base.unit_of_work`:
the whole request, job or command is run again, not just this service), so two tasks
of one instance completed at once both apply, one after the other, and the same task
completed twice gives the loser a Conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Executable, Integer, and_, bindparam, select, update
from sqlalchemy.orm import defer, joinedload, load_only
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.selectable import ScalarSelect

from engine import audit
from engine.audit.trail import Entry, record_many
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db, is_postgresql
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.base.events import Event, publish, subscribe
from engine.base.i18n import _l
from engine.base.jobs import enqueue, redis_connection
from engine.base.unit_of_work import LostRace, run_in_transaction
from engine.process.definition.catalogue import resolve_model_for_start
from engine.process.definition.pinned import CONTENT_COLUMNS, pinned_content
from engine.process.forms.errors import FieldError, field_errors
from engine.process.instances import batch_writes, human_task_rows, incidents, projection, state, state_write
from engine.process.instances import service_calls as services
from engine.process.instances.human_task_rows import OpenedTask
from engine.process.instances.messages import sync_awaited_messages, waiting_message_tasks
from engine.process.models import (
    CompletedStep,
    HumanTask,
    IdempotencyKey,
    Incident,
    ProcessInstance,
    ProcessVersion,
    Timer,
)
from engine.tenancy.models import Membership, Tenant, User, role_label
from engine.tenancy.scoping import by_id, get_owned, owned_by, scoped
from engine.tenancy.units import is_member

log = logging.getLogger("gee.instances")

MAX_ATTEMPTS = 8
ADMIN = "admin"
T = TypeVar("T")


#: A lost race (see :mod:`engine.base.unit_of_work`): the entry point is run again.
_Stale = LostRace


def _in_transaction(work: Callable[[], T]) -> T:
    """Run ``work`` as (or within) the caller's unit of work; the edge commits and retries."""
    return run_in_transaction(work, retries=MAX_ATTEMPTS)


def _lock_instance(ctx: Context, instance_id: int) -> ProcessInstance:
    """The instance row, locked until commit; fresh from the database."""
    _take_write_lock(ctx, instance_id)
    instance = db.session.execute(
        by_id(ProcessInstance, ctx, instance_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if instance is None:
        raise NotFound(_l("Not found."))
    return instance


def _lock_for_run(ctx: Context, instance_id: int) -> tuple[ProcessInstance, Tenant]:
    """Like :func:`_lock_instance`, with what :func:`_open` needs (the pinned version and the
    tenant, for its calendar) read in the same round trip; only the instance row is locked."""
    _take_write_lock(ctx, instance_id)
    row = db.session.execute(
        by_id(ProcessInstance, ctx, instance_id)
        .add_columns(Tenant)
        .join(Tenant, Tenant.id == ProcessInstance.tenant_id)
        .options(joinedload(ProcessInstance.process_version, innerjoin=True))
        .with_for_update(of=ProcessInstance)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(_l("Not found."))
    return row[0], row[1]


def _lock_task(
    ctx: Context, human_task_id: int, idem_key: str | None
) -> tuple[HumanTask, ProcessInstance, Tenant, dict[str, Any] | None]:
    """The task and its instance, both locked until commit, with the instance's pinned version,
    its tenant and the answer remembered under ``idem_key``: one round trip, read after the
    lock (the task's row is locked too, so it is its latest version, not the one before the wait)."""
    if not is_postgresql():  # see _take_write_lock; PostgreSQL locks the rows it reads below
        owner = select(HumanTask.instance_id).where(HumanTask.id == human_task_id, HumanTask.tenant_id == ctx.tenant_id)
        _take_write_lock(ctx, owner.scalar_subquery())
    params: dict[str, Any] = {"tenant_id": ctx.tenant_id, "task_id": human_task_id}
    if idem_key:
        params.update(user_id=ctx.user_id, idem_key=idem_key)
    row = db.session.execute(_task_lock_query(bool(idem_key)), params).one_or_none()
    if row is None:
        raise NotFound(_l("Not found."))
    remembered = row[3] if idem_key else None
    return row[1], row[0], row[2], dict(remembered) if remembered is not None else None


#: What a completion never reads of the pinned version (the model's sources, of no use once the
#: spec is built; its spec, forms and lanes, which :mod:`~engine.process.definition.pinned` keeps
#: in memory) nor of the tenant (only its calendar), left out of the lock's row: fewer and smaller
#: columns to send, describe and decode. Whoever reads one later loads it then.
_UNUSED_VERSION_COLUMNS = (ProcessVersion.bpmn_xml, ProcessVersion.dmn_files, ProcessVersion.templates,
                           ProcessVersion.called_versions, ProcessVersion.created_at, ProcessVersion.created_by,
                           *CONTENT_COLUMNS)
_TENANT_COLUMNS = (Tenant.id, Tenant.code, Tenant.name, Tenant.aran, Tenant.local_holidays)


@cache
def _task_lock_query(with_key: bool) -> Executable:
    """The query of :func:`_lock_task`, built once: building it (and its cache key) on every
    completion cost about as much CPU as running it."""
    tenant_id = bindparam("tenant_id", type_=Integer)
    stmt = (
        select(ProcessInstance, HumanTask, Tenant)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .join(Tenant, Tenant.id == ProcessInstance.tenant_id)
        .where(HumanTask.id == bindparam("task_id"), owned_by(HumanTask.tenant_id, tenant_id),
               owned_by(ProcessInstance.tenant_id, tenant_id))
        .options(joinedload(ProcessInstance.process_version, innerjoin=True).options(
                     *(defer(column) for column in _UNUSED_VERSION_COLUMNS)),
                 load_only(*_TENANT_COLUMNS), defer(HumanTask.draft_data))
        .with_for_update(of=[ProcessInstance, HumanTask])
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if not with_key:
        return stmt
    return stmt.add_columns(IdempotencyKey.response).outerjoin(IdempotencyKey, and_(
        IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.user_id == bindparam("user_id"),
        IdempotencyKey.key == bindparam("idem_key")))  # fmt: skip


def _take_write_lock(ctx: Context, instance_id: int | ScalarSelect[int]) -> None:
    if not is_postgresql():
        # SQLite has no row locks: a first write takes the database write lock (waiting
        # for the current writer), so what we read next is what we will overwrite.
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id, ProcessInstance.tenant_id == ctx.tenant_id)
            .values(version=ProcessInstance.version)
            .execution_options(synchronize_session=False)
        )


# --------------------------------------------------------------------------- loading/saving


@dataclass
class _Run:
    """One loaded instance being advanced inside a transaction."""

    ctx: Context
    instance: ProcessInstance
    version: ProcessVersion
    workflow: BpmnWorkflow
    finished_before: set[UUID] = field(default_factory=set)
    #: Ready user/manual tasks and waiting message events when loaded. Their projection rows
    #: mirror exactly these (written with the state), so when the ready tasks are the same
    #: after the change, or no message event waited before or after, there is no row to open,
    #: close or re-date and the rows are not even read.
    ready_before: set[UUID] = field(default_factory=set)
    messages_before: set[UUID] = field(default_factory=set)
    failures: list[incidents.Failure] = field(default_factory=list)
    #: Audit events of this change not recorded yet: :meth:`save` records them together, so
    #: they go to the tenant's chain in one append (which the audit trail makes right before
    #: the commit, holding the chain head, shared by every transaction of the tenant, briefly).
    pending_audit: list[Entry] = field(default_factory=list)
    #: Projection rows already loaded (the task being completed), by task uuid: when they are all
    #: the rows open before, :meth:`save` closes them without reading the projection again.
    known_rows: dict[str, HumanTask] = field(default_factory=dict)
    #: The ready rows after :meth:`save` when it knows them all without a read (else None).
    ready_rows: list[OpenedTask] | None = None
    #: Stop before a slow step (a document to render) and leave it and what follows to a worker.
    defer_slow: bool = False
    #: A slow step was left to the worker: the instance is "running" until the job advances it.
    deferred: bool = False

    def write_pending_audit(self) -> None:
        record_many(self.ctx, self.pending_audit)
        self.pending_audit = []

    def _leave_for_worker(self, task: Any) -> bool:
        if self.defer_slow and services.is_slow_step(task):
            self.deferred = True
        return self.deferred

    def advance(self) -> None:
        if self.pending_audit and _has_service_tasks(self.workflow):
            self.write_pending_audit()  # service calls audit too: keep the chain in call order
        with services.bound(self.workflow, services.Binding(self.ctx, self.instance, self.version)):
            self.failures.extend(incidents.run_engine_steps(self.workflow, self._leave_for_worker))

    def _announce_waiting_tasks(self, created: list[OpenedTask]) -> None:
        """A task that waits on a record tells the feature that keeps it: a sign task puts its
        document in the signer's queue, a notification task links itself to the notification
        (the signatures and notifications features listen). Such a task completes when its
        record settles — signed or returned, accessed, rejected or expired — never by a form."""
        for row in created:
            task = self.workflow.get_task_from_id(UUID(row.task_uuid))
            if task is None:
                continue
            signs, awaits = projection.sign_variable(task), projection.await_notification_variable(task)
            if signs is None and awaits is None:
                continue
            if signs is not None:
                publish(Event.SIGN_TASK_READY, ctx=self.ctx, human_task_id=row.id, role=row.role,
                        target=task.data.get(signs))
            else:
                publish(Event.NOTIFICATION_TASK_READY, ctx=self.ctx, human_task_id=row.id,
                        target=task.data.get(awaits or ""))

    def save(self, completed_by_id: int | None = None) -> None:
        """Project, log, prune and write the state with a version compare-and-swap."""
        instance, workflow = self.instance, self.workflow
        if self.failures:
            self.write_pending_audit()  # before the incidents' own events
        ready_after = _ids(projection.ready_human_tasks(workflow))
        rows, all_rows_known = None, False
        if ready_after != self.ready_before:
            known = self.known_rows if set(self.known_rows) == {str(u) for u in self.ready_before} else None
            rows = projection.human_task_changes(instance, self.version, workflow, completed_by_id, known)
            # every ready row after the save is one it opens: the answer needs no read of them
            all_rows_known = known is not None and not ready_after & self.ready_before
        if projection.has_timer_events(workflow):
            projection.sync_timers(instance, workflow)
        if self.messages_before or waiting_message_tasks(workflow):  # due dates follow the timers
            sync_awaited_messages(instance, workflow)
        steps = projection.completed_step_rows(instance, workflow, self.finished_before)
        incidents.open_incidents(self.ctx, instance, self.failures)
        opened_incidents, self.failures = bool(self.failures), []
        state.prune(workflow)
        before_status = instance.status
        status = _status_of(instance, workflow, opened_incidents=opened_incidents, deferred=self.deferred)
        now = utcnow()
        values: dict[str, Any] = {
            "state_json": state.dump(workflow),
            "version": instance.version + 1,
            "status": status,
            "updated_at": now,
        }
        if status == "completed" and instance.completed_at is None:
            values["completed_at"] = now
        writes = batch_writes.current()
        created: list[OpenedTask] | None
        if writes is not None:  # the batch holds the row's lock and writes every state at once
            created = human_task_rows.write(rows) if rows is not None else []
            writes.steps_completed(steps)
            writes.state_written(instance, values)
        else:
            created = state_write.write(instance.id, instance.version, values, rows, steps)
            if created is None:
                raise _Stale()
        for name, value in values.items():  # what was written, without reading it back
            set_committed_value(instance, name, value)
        self._announce_waiting_tasks(created)
        if all_rows_known:
            self.ready_rows = created
        if status != before_status:
            self.pending_audit.append(Entry(
                f"instance.{status}",
                "process_instance",
                instance.id,
                expedient_id=instance.expedient_id,
                before={"status": before_status},
                after={"status": status},
            ))
        if writes is not None:  # appended with the whole batch's
            writes.audit(self.ctx, self.pending_audit)
            self.pending_audit = []
        else:
            self.write_pending_audit()
        if self.deferred:  # enqueued once this unit commits
            enqueue(run_engine_steps, self.ctx.tenant_id, instance.id, _acting(self.ctx),
                    job_id=steps_job_id(instance.id))


def _ids(tasks: list[Any]) -> set[UUID]:
    return {t.id for t in tasks}


def _has_service_tasks(workflow: BpmnWorkflow) -> bool:
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return any(isinstance(t, ServiceTask) for spec in specs for t in spec.task_specs.values())


def _status_of(instance: ProcessInstance, workflow: BpmnWorkflow, *, opened_incidents: bool,
               deferred: bool = False) -> str:
    """The status after a change ("running" while a worker has a slow step to do); open incidents are
    looked for only where there may be some: opened by this change, or left from before (the
    instance's status says so)."""
    if workflow.completed:
        return "completed"
    if opened_incidents:
        return "incident"
    idle = "running" if deferred else "waiting"
    if instance.status != "incident":
        return idle
    open_incident = db.session.execute(
        select(Incident.id).where(Incident.instance_id == instance.id, Incident.state == "open").limit(1)
    ).first()
    if open_incident:
        return "incident"
    return idle


# --------------------------------------------------------------------------- steps in a worker


def steps_job_id(instance_id: int) -> str:
    return f"steps-{instance_id}"


def left_for_worker(limit: int = 1000) -> list[tuple[int, int]]:
    """(tenant id, instance id) of the instances whose slow steps wait for a worker, for the
    scheduler to enqueue again (deduplicated) should their job have been lost with Redis."""
    rows = db.session.execute(
        select(ProcessInstance.tenant_id, ProcessInstance.id).where(ProcessInstance.status == "running").limit(limit)
    )
    return [(int(tenant_id), int(instance_id)) for tenant_id, instance_id in rows]


def _acting(ctx: Context) -> dict[str, Any]:
    """Who advanced the instance, for the job that goes on with it (service calls act as them)."""
    return {"user_id": ctx.user_id, "username": ctx.username, "roles": sorted(ctx.roles), "locale": ctx.locale}


def run_engine_steps(tenant_id: int, instance_id: int, acting: dict[str, Any] | None = None) -> dict[str, Any]:
    """Job: run the instance's automatic steps until it waits again (idempotent when it waits).

    Same transaction discipline as every instance service: the instance row locked, the
    state written back with a version compare-and-swap, a lost race retried. A worker killed
    mid-job commits nothing; the job runs again from the same saved state.
    """
    if acting is None:
        ctx = Context.system(tenant_id, "engine-steps")
    else:
        ctx = Context(tenant_id, acting["user_id"], acting["username"], frozenset(acting["roles"]), acting["locale"])

    def work() -> dict[str, Any]:
        instance = _lock_instance(ctx, instance_id)
        if instance.status not in ("completed", "cancelled"):
            run = _open(ctx, instance)
            run.advance()
            run.save()
        return _summary(instance)

    return _in_transaction(work)


def _script_engine(tenant_id: int, tenant: Tenant | None = None) -> Any:
    """The tenant's sandboxed script engine, able to run service tasks (see services)."""
    from engine.process.sandbox.script_engine import calendar_config_for

    return services.ServiceScriptEngine(calendar_config_for(tenant or db.session.get(Tenant, tenant_id)))


def _open(
    ctx: Context, instance: ProcessInstance, tenant: Tenant | None = None, known_rows: Iterable[HumanTask] = ()
) -> _Run:
    version = instance.process_version
    spec, subprocess_specs = pinned_content(version).specs
    workflow = state.load(instance.state_json, spec, subprocess_specs, _script_engine(instance.tenant_id, tenant))
    return _Run(ctx, instance, version, workflow, projection.finished_ids(workflow),
                _ids(projection.ready_human_tasks(workflow)), _ids(waiting_message_tasks(workflow)),
                known_rows={row.task_uuid: row for row in known_rows})


# --------------------------------------------------------------------------- start


def _resolve_version(ctx: Context, process: str | ProcessVersion) -> ProcessVersion:
    if isinstance(process, str):
        return resolve_model_for_start(ctx, process)
    if process.model.tenant_id not in (None, ctx.tenant_id):
        raise NotFound(_l("Not found."))
    return process


def start_in_transaction(
    ctx: Context,
    process: str | ProcessVersion,
    expedient_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> ProcessInstance:
    """Start an instance inside the caller's transaction (the caller commits or rolls back),
    for services that must start a process together with other records, all or nothing."""
    if not ctx.roles:
        raise Forbidden(_l("You have no role in this organisation."))
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed(_l("The start data must be an object."))
    version = _resolve_version(ctx, process)
    spec, subprocess_specs = pinned_content(version).specs
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=_script_engine(ctx.tenant_id))
    workflow.task_tree.data.update(data or {})
    instance = ProcessInstance(
        tenant_id=ctx.tenant_id,
        process_version_id=version.id,
        expedient_id=expedient_id,
        status="running",
        state_json="{}",
        version=1,
        started_by=ctx.username,
    )
    db.session.add(instance)
    db.session.flush()
    audit.record(
        ctx,
        "instance.started",
        "process_instance",
        instance.id,
        expedient_id=expedient_id,
        after={"process": version.model.key, "version": version.number, "data": data or {}},
    )
    if expedient_id is not None:
        publish(Event.INSTANCE_STARTED, ctx=ctx, expedient_id=expedient_id, process_key=version.model.key,
                data=dict(data or {}))
    run = _Run(ctx, instance, version, workflow)
    run.advance()
    run.save()
    return instance


def start_instance(
    ctx: Context,
    process: str | ProcessVersion,
    expedient_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start the latest published version of ``process`` (a key) or the given version."""
    return _in_transaction(lambda: _summary(start_in_transaction(ctx, process, expedient_id, data)))


# --------------------------------------------------------------------------- forms


def form_schema(version: ProcessVersion, form_key: str | None) -> dict[str, Any] | None:
    if not form_key:
        return None
    form = pinned_content(version).forms.get(form_key)
    if not isinstance(form, dict):
        raise Conflict(_l("The form %(name)s is missing from this procedure version.", name=form_key))
    schema = form.get("schema") if isinstance(form.get("schema"), dict) else form
    return schema


def validate_task_data(version: ProcessVersion, form_key: str | None, data: Any) -> dict[str, Any]:
    """Check submitted data against the task's pinned JSON Schema (formats included)."""
    return validate_against_schema(form_schema(version, form_key), data)


def validate_against_schema(schema: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """Check data against a JSON Schema (formats included); errors name each field."""
    if not isinstance(data, dict):
        raise ValidationFailed(_l("The submitted data must be an object."))
    if schema is not None:
        details = field_errors(schema, data)
        if details:
            raise ValidationFailed(_l("Some fields are not valid."), field=details[0].field, details=details)
    return data


# --------------------------------------------------------------------------- human tasks


def _full_name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.full_name if user else str(_l("someone else"))


def may_work_on(ctx: Context, task: HumanTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == ctx.user_id
    if task.unit:
        return "system" in ctx.roles or is_member(ctx.tenant_id, ctx.user_id, task.unit)
    if task.role:
        return ctx.has_role(task.role)
    return bool(ctx.roles)


def not_yours(task: HumanTask) -> Any:
    """Why someone may not work on an unclaimed task: whose it is (a translatable message)."""
    if task.unit:
        return _l("This task is for the unit %(unit)s.", unit=task.unit)
    return _l("This task is for the role %(role)s.", role=task.role or "-")


def _checkmay_work_on(ctx: Context, task: HumanTask) -> None:
    if task.assignee_id is not None and task.assignee_id != ctx.user_id and task.state == "ready":
        raise Forbidden(_l("This task is assigned to %(name)s.", name=_full_name(task.assignee_id)))
    if not may_work_on(ctx, task):
        raise Forbidden(not_yours(task))


def _check_ready(task: HumanTask) -> None:
    if task.state == "completed":
        raise Conflict(_l("This task was already completed by %(name)s.", name=_full_name(task.completed_by_id)))
    if task.state != "ready":
        raise Conflict(_l("This task is no longer pending."))


def _remembered(ctx: Context, key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    row = db.session.execute(
        scoped(IdempotencyKey, ctx).where(IdempotencyKey.user_id == ctx.user_id, IdempotencyKey.key == key)
    ).scalar_one_or_none()
    return dict(row.response) if row is not None else None


#: The answer of a keyed completion, remembered (a Core insert: nothing else in the session to flush for it).
_REMEMBER = IdempotencyKey.__table__.insert()


def complete_task(
    ctx: Context, human_task_id: int, data: dict[str, Any] | None, idem_key: str | None = None,
    *, by_signature: bool = False, by_notification: bool = False, slow_steps_in_worker: bool = False,
) -> dict[str, Any]:
    """Validate, authorise and complete a human task, then run what follows until the
    process waits again. A retry with the same ``idem_key`` returns the first answer.

    A sign task (``gee:sign``) completes only ``by_signature``: when its signature is made or
    returned (the signatures feature publishes it); a task waiting for a notification
    (``gee:await-notification``) only ``by_notification``, with its outcome. A form or API call
    is refused for both.

    With ``slow_steps_in_worker`` (a web request) and a worker to run them (Redis), the steps
    stop before a slow one such as a document to render: the completion commits, the instance
    is "running" and a job renders the document and goes on from there, so whatever follows
    still waits for the document."""
    if idem_key is not None and not (0 < len(idem_key) <= 100):
        raise ValidationFailed(_l("The idempotency key must have 1 to 100 characters."))

    def work() -> dict[str, Any]:
        row, instance, tenant, remembered = _lock_task(ctx, human_task_id, idem_key)
        if remembered is not None:
            return remembered
        _check_ready(row)
        _checkmay_work_on(ctx, row)
        values = validate_task_data(instance.process_version, row.form_key, data or {})
        publish(Event.TASK_SUBMITTED, ctx=ctx, schema=form_schema(instance.process_version, row.form_key),
                data=values, expedient_id=row.expedient_id)
        run = _open(ctx, instance, tenant, known_rows=[row])
        run.defer_slow = slow_steps_in_worker and redis_connection() is not None
        task = run.workflow.get_task_from_id(UUID(row.task_uuid))
        if task is None or task.state != TaskState.READY:
            raise Conflict(_l("This task is no longer pending."))
        if projection.sign_variable(task) is not None and not by_signature:
            raise ValidationFailed(_l("This task is done by signing: open it, read the document and type "
                                      "your key password (or return it with a reason)."))
        awaited = projection.await_notification_variable(task)
        if awaited is not None and not by_notification:
            raise ValidationFailed(_l("This step waits for the notification's outcome (accessed, rejected or "
                                      "expired): it goes on by itself, nobody completes it by hand."))
        if awaited is not None and isinstance(task.data.get(awaited), dict):
            # the outcome also goes with the dispatch it settles: requeriment_notificat['notified_on']
            task.data[awaited] = {**task.data[awaited], **values}
        task.data.update(values)
        try:
            task.run()
        except Exception as exc:
            log.warning("user task %s could not complete: %s", row.element_id, exc)
            log.debug("user task %s could not complete", row.element_id, exc_info=exc)
            raise ValidationFailed(_l("The task could not be completed: %(error)s", error=str(exc))) from None
        run.advance()
        run.pending_audit.append(Entry(
            "task.completed",
            "human_task",
            row.id,
            expedient_id=row.expedient_id,
            before={"state": "ready"},
            after={"state": "completed", "element_id": row.element_id, "data": values},
        ))
        run.save(completed_by_id=ctx.user_id)  # also closes ``row`` (same identity)
        publish(Event.TASK_COMPLETED, ctx=ctx, human_task_id=row.id)
        answer = {"human_task_id": row.id, **_summary(instance, run.ready_rows)}
        if idem_key:  # taken meanwhile by the same submit: an IntegrityError, a lost race
            db.session.execute(_REMEMBER, {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id, "key": idem_key,
                                           "response": answer})
        return answer

    try:
        # Every refusal comes before the first write: no savepoint needed inside a caller's unit.
        return run_in_transaction(work, retries=MAX_ATTEMPTS, savepoint=False)
    except Conflict:
        remembered = _remembered(ctx, idem_key)  # the same submit won in another session
        if remembered is not None:
            return remembered
        raise


def _change_assignee(
    ctx: Context, human_task_id: int, action: str, pick: Callable[[HumanTask], int | None]
) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        row = get_owned(HumanTask, ctx, human_task_id)
        _lock_instance(ctx, row.instance_id)
        db.session.refresh(row)
        _check_ready(row)
        before = row.assignee_id
        row.assignee_id = pick(row)
        audit.record(
            ctx,
            action,
            "human_task",
            row.id,
            expedient_id=row.expedient_id,
            before={"assignee_id": before},
            after={"assignee_id": row.assignee_id},
        )
        return _human_task_dict(row)

    return _in_transaction(work)


def claim(ctx: Context, human_task_id: int) -> dict[str, Any]:
    """Take a task from the role's shared inbox."""

    def pick(row: HumanTask) -> int | None:
        if row.assignee_id not in (None, ctx.user_id):
            raise Conflict(_l("This task was already claimed by %(name)s.", name=_full_name(row.assignee_id)))
        if not may_work_on(ctx, row):
            raise Forbidden(not_yours(row))
        return ctx.user_id

    return _change_assignee(ctx, human_task_id, "task.claimed", pick)


def release(ctx: Context, human_task_id: int) -> dict[str, Any]:
    """Give a claimed task back to the role's shared inbox (the assignee or an admin)."""

    def pick(row: HumanTask) -> int | None:
        if row.assignee_id != ctx.user_id and not ctx.has_role(ADMIN):
            raise Forbidden(_l("Only the person who claimed the task or an administrator can release it."))
        return None

    return _change_assignee(ctx, human_task_id, "task.released", pick)


def reassign(ctx: Context, human_task_id: int, user_id: int) -> dict[str, Any]:
    """Give the task to someone who holds its role here, or works in its unit (an admin, the assignee or
    someone who may work on it)."""

    def pick(row: HumanTask) -> int | None:
        if not (ctx.has_role(ADMIN) or may_work_on(ctx, row)):
            raise Forbidden(_l("You may not reassign this task."))
        roles = set(
            db.session.execute(
                select(Membership.role).where(Membership.tenant_id == ctx.tenant_id, Membership.user_id == user_id)
            ).scalars()
        )
        if row.unit:
            if not roles or not is_member(ctx.tenant_id, user_id, row.unit):
                raise ValidationFailed(_l("That person is not a member of the unit %(unit)s.", unit=row.unit),
                                       field="user_id")
        elif not roles or (row.role and row.role not in roles):
            raise ValidationFailed(
                _l("That person does not hold the role %(role)s here.", role=role_label(row.role or "-")),
                field="user_id",
            )
        return user_id

    return _change_assignee(ctx, human_task_id, "task.reassigned", pick)


# --------------------------------------------------------------------------- timers


def fire_timers(ctx: Context, instance_id: int, now: datetime | None = None) -> int:
    """Fire the instance's timer events due at ``now`` and advance; returns how many fired.

    Idempotent: a fired timer is no longer waiting, so a second call finds nothing to do.
    """
    moment = as_utc(now) or utcnow()
    if not ctx.has_role(ADMIN):
        raise Forbidden(_l("Only the system or an administrator can fire timers."))

    def work() -> int:
        instance, tenant = _lock_for_run(ctx, instance_id)
        return _fire_due(ctx, instance, tenant, moment)

    return _in_transaction(work)


def fire_locked_timers(instance: ProcessInstance, tenant: Tenant, now: datetime) -> int:
    """Like :func:`fire_timers`, as the platform, for an instance the caller locked with
    :func:`lock_for_runs` (a batch of the timer sweep), in the caller's unit and without a
    savepoint of its own: if it raises, the caller undoes the whole batch (see
    :mod:`engine.process.instances.timer_sweep`)."""
    return _fire_due(Context.system(tenant.id, "timer-sweeper"), instance, tenant, now)


def lock_for_runs(instance_ids: Iterable[int]) -> list[tuple[ProcessInstance, Tenant]]:
    """Several instances locked until commit in one round trip, with their tenants, and their
    pinned versions read once each (a batch of the platform's own work: not scoped to a tenant)."""
    ids = list(instance_ids)
    if not ids:
        return []
    if not is_postgresql():  # see _take_write_lock
        db.session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids))
                           .values(version=ProcessInstance.version).execution_options(synchronize_session=False))
    rows = db.session.execute(
        select(ProcessInstance, Tenant)
        .join(Tenant, Tenant.id == ProcessInstance.tenant_id)
        .where(ProcessInstance.id.in_(ids))
        .order_by(ProcessInstance.id)
        .with_for_update(of=ProcessInstance)
        .execution_options(populate_existing=True)
    ).all()
    version_ids = {instance.process_version_id for instance, _tenant in rows}
    versions = {version.id: version for version in db.session.execute(
        select(ProcessVersion).where(ProcessVersion.id.in_(version_ids))).scalars()}
    for instance, _tenant in rows:  # set as loaded: no lazy load (and its identity-map lookup) per instance
        set_committed_value(instance, "process_version", versions[instance.process_version_id])
    return [(instance, tenant) for instance, tenant in rows]


def _fire_due(ctx: Context, instance: ProcessInstance, tenant: Tenant, moment: datetime) -> int:
    """Fire the locked instance's timers due at ``moment`` and advance; returns how many fired."""
    if instance.status in ("completed", "cancelled"):
        return 0
    run = _open(ctx, instance, tenant)
    due = [t for t in projection.waiting_timers(run.workflow) if _is_due(t, moment)]
    for task in due:
        task._set_internal_data(event_fired=True)
        run.pending_audit.append(Entry(
            "timer.fired",
            "process_instance",
            instance.id,
            expedient_id=instance.expedient_id,
            after={"element_id": projection.element_id(task), "task_uuid": str(task.id)},
        ))
    if not due:
        return 0
    run.workflow.refresh_timers()
    run.advance()
    run.save()
    return len(due)


def _is_due(task: Any, moment: datetime) -> bool:
    due_at = projection.timer_due(task)
    return due_at is not None and due_at <= moment


# --------------------------------------------------------------------------- incidents


def _resolve_incident(ctx: Context, incident_id: int, action: str, reason: str | None) -> dict[str, Any]:
    if not ctx.has_role(ADMIN):
        raise Forbidden(_l("Only an administrator can resolve incidents."))

    def work() -> dict[str, Any]:
        incident = get_owned(Incident, ctx, incident_id)
        instance = _lock_instance(ctx, incident.instance_id)
        db.session.refresh(incident)
        if incident.state != "open":
            raise Conflict(_l("This incident was already resolved by %(name)s.", name=incident.resolved_by or "-"))
        run = _open(ctx, instance)
        task = run.workflow.get_task_from_id(UUID(incident.task_uuid)) if incident.task_uuid else None
        if task is None or task.state != TaskState.ERROR:
            raise Conflict(_l("The failed step is no longer waiting to be resolved."))
        incident.state = "retried" if action == "retry" else "skipped"
        incident.resolved_at, incident.resolved_by, incident.resolution_reason = utcnow(), ctx.username, reason
        if action == "retry":
            incidents.rearm(task)
        else:
            incidents.complete_without_running(task)
        audit.record(
            ctx,
            f"incident.{incident.state}",
            "incident",
            incident.id,
            expedient_id=instance.expedient_id,
            before={"state": "open"},
            after={"state": incident.state, "element_id": incident.element_id, "reason": reason},
        )
        db.session.flush()
        run.advance()
        run.save()
        return _summary(instance)

    return _in_transaction(work)


def retry_incident(ctx: Context, incident_id: int) -> dict[str, Any]:
    """Run the failed step again (after the cause was fixed, e.g. the data or a service)."""
    return _resolve_incident(ctx, incident_id, "retry", None)


def skip_incident(ctx: Context, incident_id: int, reason: str) -> dict[str, Any]:
    """Mark the failed step done without running it; the reason goes to the audit trail."""
    if not (reason or "").strip():
        raise ValidationFailed(_l("Say why the step is skipped."), field="reason")
    return _resolve_incident(ctx, incident_id, "skip", reason.strip())


# --------------------------------------------------------------------------- reading


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def _human_task_dict(row: HumanTask | OpenedTask) -> dict[str, Any]:
    return {
        "id": row.id,
        "element_id": row.element_id,
        "name": row.name,
        "role": row.role,
        "assignee_id": row.assignee_id,
        "form": row.form_key,
        "due_at": _iso(row.due_at),
    }


def _summary(instance: ProcessInstance, ready_rows: Sequence[HumanTask | OpenedTask] | None = None) -> dict[str, Any]:
    """Status, ready tasks and open incidents; ``ready_rows`` when the caller knows them, and
    incidents are looked for only when the status says there are some."""
    if ready_rows is None:
        ready_rows = list(db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")
        ).scalars())
    ready = sorted(ready_rows, key=lambda row: row.id)
    open_incidents: list[Incident] = [] if instance.status != "incident" else list(db.session.execute(
        select(Incident).where(Incident.instance_id == instance.id, Incident.state == "open").order_by(Incident.id)
    ).scalars())
    return {
        "instance_id": instance.id,
        "status": instance.status,
        "ready_tasks": [_human_task_dict(t) for t in ready],
        "incidents": [
            {"id": i.id, "element_id": i.element_id, "line": i.line, "message": i.message} for i in open_incidents
        ],
    }


def _current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    if workflow.completed:
        return dict(workflow.data)
    ready = projection.ready_human_tasks(workflow)
    source = ready[0] if ready else (workflow.last_task or workflow.task_tree)
    return dict(source.data)


def show_instance(ctx: Context, instance_id: int) -> dict[str, Any]:
    """Status, ready tasks, open incidents, pending timers, completed steps and current data."""
    instance = get_owned(ProcessInstance, ctx, instance_id)
    version = instance.process_version
    run = _open(ctx, instance)
    steps = db.session.execute(
        select(CompletedStep).where(CompletedStep.instance_id == instance.id).order_by(CompletedStep.id)
    ).scalars()
    timers = db.session.execute(
        select(Timer).where(Timer.instance_id == instance.id, Timer.state == "pending").order_by(Timer.due_at)
    ).scalars()
    return {
        **_summary(instance),
        "process": version.model.key,
        "version": version.number,
        "expedient_id": instance.expedient_id,
        "started_by": instance.started_by,
        "created_at": _iso(instance.created_at),
        "completed_at": _iso(instance.completed_at),
        "timers": [{"element_id": t.element_id, "due_at": _iso(t.due_at)} for t in timers],
        "completed_steps": [
            {"element_id": s.element_id, "type": s.element_type, "at": _iso(s.completed_at)} for s in steps
        ],
        "data": _current_data(run.workflow),
    }


__all__ = [
    "FieldError",
    "claim",
    "complete_task",
    "fire_locked_timers",
    "fire_timers",
    "lock_for_runs",
    "reassign",
    "release",
    "retry_incident",
    "show_instance",
    "skip_incident",
    "start_in_transaction",
    "start_instance",
    "validate_against_schema",
    "validate_task_data",
]


@subscribe(Event.SIGNATURE_CIRCUIT_FINISHED)
def _signature_circuit_finished(ctx: Context, human_task_id: int, data: dict[str, Any] | None = None) -> None:
    """The signatures a task waited on are all there (or were returned): the task is done,
    with the outcome in ``data``."""
    complete_task(ctx, human_task_id, data or {}, by_signature=True)


@subscribe(Event.NOTIFICATION_SETTLED)
def _notification_settled(ctx: Context, human_task_id: int, data: dict[str, Any], idem_key: str) -> None:
    """The notification a task waited on has its outcome: the task completes with it, whoever held it."""
    row = db.session.get(HumanTask, human_task_id)
    if row is None or row.state != "ready":
        return
    if row.assignee_id is not None:
        release(ctx, row.id)
    complete_task(ctx, row.id, data, idem_key=idem_key, by_notification=True)
