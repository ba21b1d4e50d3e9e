"""Signing circuits: a document or a decree proposal signed by an ordered list of signers.

Each step names a role (whoever holds it in the tenant) or a user. Only the first pending
step can act: the secretary cannot attest before the alcalde has signed. Signing asks the
signer's key password (the one of the PKCS#12 they imported; see
:mod:`engine.signatures.credentials`) and adds a PAdES signature with a visible stamp.

- A **document** (PDF) circuit keeps the PDF signed so far in the content store; when the
  last step signs, the signed PDF becomes a new version of the document, issued with the CSV
  the stamps print.
- A **decree** circuit is alcalde then secretari. The alcalde's signature calls
  :func:`engine.decrees.book.sign_decree` (which numbers it) and renders the decree's PDF
  with its number; the secretary's calls :func:`~engine.decrees.book.attest`. The signed
  PDF is then stored as a document of the expedient (TD01, issued with its CSV).
- The signatures are then recorded on the document by verifying the signed PDF (what
  :func:`engine.documents.documents.store_document` does with every PDF that comes in).
- When the request stands for a process task (``human_task_id``), the last signature
  completes that task, so the process goes on. Put the task in the lane of the last signer.

Returning a step (with a reason) ends the request; a decree already numbered stays numbered
(decree numbers are never given back) and the requester starts a new circuit if needed. A decree
the alcalde signed and the secretary returned is signed but not attested: sending it again puts
only the secretary's step in a new circuit, over the PDF the alcalde signed (same CSV).

**Sign tasks.** A process user task with the property ``gee:sign`` asks for one signature when
it becomes ready (:func:`request_for_task`, on ``Event.SIGN_TASK_READY``): the signer of its
lane finds it in the inbox and in the signature queue. Signing completes the task with
``signatura = {"outcome": "signed", "document_id", "csv", "number"}``; returning it completes it
with ``{"outcome": "returned", "reason"}``, and the model routes back. On a decree, the
alcalde's task numbers and signs it (the signed PDF becomes document TD01 of the expedient);
the secretary's task then attests that same document (fe pública): a second PAdES signature,
a new version with the same CSV and ENI identifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from engine.audit import record
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, GeeError, NotFound, ValidationFailed
from engine.base.events import Event, publish, subscribe
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.decrees import book as decrees
from engine.documents.documents import (
    Document,
    ensure_changeable,
    new_version,
    read_content,
    store_document,
)
from engine.documents.pdf import render_pdf_from, stamp_time
from engine.documents.signature_verification import verify_now
from engine.documents.store import content_store
from engine.documents.verification_codes import new_csv, verify_url
from engine.expedients.expedients import Expedient, ensure_open
from engine.signatures.credentials import UnlockedCredential, unlock_personal
from engine.signatures.models import RequestState, SignatureRequest, SignatureStep
from engine.signatures.pades import Stamp, sign_pdf
from engine.tenancy.models import ROLES, Role, Tenant, User, role_label
from engine.tenancy.scoping import by_id, get_owned, scoped

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The order the law gives a decree: the alcalde decides, the secretary attests (RD 128/2018).
DECREE_STEPS = (Role.ALCALDE.value, Role.SECRETARI.value)
REQUESTERS = ("tramitador", "tecnic", "secretari", "alcalde", "admin")
#: The shortest reason a signer may give for returning an item.
MIN_REASON = 5

LABELS: dict[str, dict[str, str]] = {
    "ca": {"signed_by": "Signat per", "role": "Càrrec", "date": "Data", "decree": "Decret d'Alcaldia",
           "draft": "ESBORRANY — sense número fins que se signi", "page": "Pàgina",
           "alcalde": "Alcalde/essa", "secretari": "Secretari/ària (en dono fe)", "tecnic": "Tècnic/a",
           "tramitador": "Tramitador/a", "admin": "Administrador/a", "dissenyador": "Dissenyador/a"},
    "es": {"signed_by": "Firmado por", "role": "Cargo", "date": "Fecha", "decree": "Decreto de Alcaldía",
           "draft": "BORRADOR — sin número hasta su firma", "page": "Página",
           "alcalde": "Alcalde/sa", "secretari": "Secretario/a (doy fe)", "tecnic": "Técnico/a",
           "tramitador": "Tramitador/a", "admin": "Administrador/a", "dissenyador": "Diseñador/a"},
}


@dataclass(frozen=True)
class StepSpec:
    """One signer of a circuit: a role of the tenant, or a named user."""

    role: str | None = None
    user_id: int | None = None


@dataclass
class BatchResult:
    signed: list[int] = field(default_factory=list)
    #: (step id, message) of each item that could not be signed.
    failed: list[tuple[int, str]] = field(default_factory=list)
    #: Steps I had already signed (a form sent twice): done, not failed.
    already: list[int] = field(default_factory=list)
    #: (number, title) of each decree signed, in number order: the alcalde's signature has just given it its
    #: number; the secretary's attests a decree by the number it has.
    decrees: list[tuple[str, str]] = field(default_factory=list)


class AlreadySigned(Conflict):
    """The step was signed by the very person signing it again (a form sent twice, a double
    click): what they asked for is done."""


def _labels(ctx: Context) -> dict[str, str]:
    return LABELS.get(ctx.locale, LABELS["ca"])


# -- requesting -----------------------------------------------------------------------------


def _clean_steps(ctx: Context, steps: Iterable[StepSpec | str]) -> list[StepSpec]:
    clean: list[StepSpec] = []
    for raw in steps:
        spec = StepSpec(role=raw) if isinstance(raw, str) else raw
        if spec.user_id is not None:
            user = db.session.get(User, spec.user_id)
            if user is None or ctx.tenant_id not in user.tenant_ids():
                raise ValidationFailed(_l("A signer is not a user of this municipality."), field="steps")
        elif spec.role not in ROLES:
            raise ValidationFailed(_l("Unknown role %(role)s.", role=spec.role or "-"), field="steps")
        clean.append(spec)
    if not clean:
        raise ValidationFailed(_l("Name at least one signer."), field="steps")
    return clean


def _no_pending_request(ctx: Context, column: Any, ident: int) -> None:
    pending = db.session.execute(
        scoped(SignatureRequest, ctx).where(column == ident, SignatureRequest.state == RequestState.PENDING.value)
    ).first()
    if pending is not None:
        raise Conflict(_l("This is already waiting for signatures."))


def _returned_after_mayor(ctx: Context, decree_id: int) -> SignatureRequest:
    """The latest returned circuit of a decree whose alcalde step was signed (its PDF goes on)."""
    returned = db.session.execute(
        scoped(SignatureRequest, ctx)
        .where(SignatureRequest.decree_id == decree_id, SignatureRequest.state == RequestState.RETURNED.value,
               SignatureRequest.working_sha256.is_not(None))
        .order_by(SignatureRequest.id.desc()).limit(1)
    ).scalar_one_or_none()
    if returned is None:
        raise Conflict(_l("Only a draft decree can be sent for signature."))
    return cast(SignatureRequest, returned)


def request_signatures(
    ctx: Context,
    document_id: int | None,
    steps: Sequence[StepSpec | str],
    *,
    decree_id: int | None = None,
    human_task_id: int | None = None,
) -> SignatureRequest:
    """Put a PDF document (or a decree proposal) in the signers' queues, in order."""
    if not any(ctx.has_role(role) for role in REQUESTERS):
        raise Forbidden(_l("You cannot ask for signatures in this municipality."))
    if (document_id is None) == (decree_id is None):
        raise ValidationFailed(_l("Ask for signatures on either a document or a decree."))
    specs = _clean_steps(ctx, steps)
    carried: SignatureRequest | None = None
    if document_id is not None:
        doc = get_owned(Document, ctx, document_id)
        ensure_changeable(doc)  # a document imported from another body's ENI file is kept as received
        if doc.content_type != "application/pdf":
            raise ValidationFailed(_l("Only PDF documents can be signed."), field="document_id")
        verify_now([doc])  # the signatures it carries are known before more are asked for
        if doc.expedient_id is not None:
            ensure_open(get_owned(Expedient, ctx, doc.expedient_id))
        _no_pending_request(ctx, SignatureRequest.document_id, doc.id)
        title, expedient_id = doc.title, doc.expedient_id
    else:
        assert decree_id is not None
        decree = decrees.get_decree(ctx, decree_id)
        roles = tuple(s.role for s in specs)
        if decree.status == decrees.DecreeStatus.SIGNED and decree.attested_at is None:
            # Signed (and numbered) by the alcalde, then returned at the attestation: only the
            # secretary's step is sent again, over the PDF the alcalde signed.
            if roles not in (DECREE_STEPS, DECREE_STEPS[1:]) or any(s.user_id for s in specs):
                raise ValidationFailed(
                    _l("A decree is signed by the alcalde and then attested by the secretary."), field="steps"
                )
            specs = [StepSpec(role=Role.SECRETARI.value)]
            _no_pending_request(ctx, SignatureRequest.decree_id, decree.id)
            carried = _returned_after_mayor(ctx, decree.id)
        elif decree.status != decrees.DecreeStatus.DRAFT:
            raise Conflict(_l("Only a draft decree can be sent for signature."))
        elif roles != DECREE_STEPS or any(s.user_id for s in specs):
            raise ValidationFailed(
                _l("A decree is signed by the alcalde and then attested by the secretary."), field="steps"
            )
        else:
            _no_pending_request(ctx, SignatureRequest.decree_id, decree.id)
        title, expedient_id = decree.title, decree.expedient_id
    return _new_request(ctx, specs, title=title, expedient_id=expedient_id, document_id=document_id,
                        decree_id=decree_id, human_task_id=human_task_id, carried=carried)


def _new_request(
    ctx: Context, specs: list[StepSpec], *, title: str, expedient_id: int | None, document_id: int | None,
    decree_id: int | None, human_task_id: int | None, carried: SignatureRequest | None = None,
) -> SignatureRequest:
    csv = new_csv()
    if carried is not None:
        # The alcalde's stamp prints the returned request's CSV, which no document was issued
        # with: it moves to this request, so the attested decree is issued with the printed CSV.
        csv, carried.csv = carried.csv, new_csv()
        db.session.flush()
    request = SignatureRequest(
        tenant_id=ctx.tenant_id, expedient_id=expedient_id, document_id=document_id, decree_id=decree_id,
        title=title, state=RequestState.PENDING.value, csv=csv, human_task_id=human_task_id,
        created_by_id=ctx.user_id, working_sha256=carried.working_sha256 if carried is not None else None,
    )
    request.steps = [
        SignatureStep(tenant_id=ctx.tenant_id, position=pos, role=spec.role, user_id=spec.user_id,
                      state=RequestState.PENDING.value)
        for pos, spec in enumerate(specs, start=1)
    ]
    db.session.add(request)
    db.session.flush()
    record(ctx, "signature.requested", "signature_request", request.id, expedient_id=expedient_id,
           after=request.summary())
    return request


def signed_decree_document(ctx: Context, decree_id: int) -> Document:
    """The signed PDF of a decree: the latest version of what its alcalde's circuit stored."""
    found = db.session.execute(
        scoped(SignatureRequest, ctx).where(SignatureRequest.decree_id == decree_id,
                                            SignatureRequest.document_id.is_(None),
                                            SignatureRequest.result_document_id.is_not(None))
    ).scalars().first()
    if found is None or found.result_document_id is None:
        raise Conflict(_l("This decree was signed without its PDF; it cannot be attested here."))
    doc = get_owned(Document, ctx, found.result_document_id)
    while True:
        successor = db.session.execute(
            scoped(Document, ctx).where(Document.previous_version_id == doc.id)
        ).scalar_one_or_none()
        if successor is None:
            return doc
        doc = successor


def _target_ids(target: Any) -> tuple[int | None, int | None]:
    """(document id, decree id) named by a sign task's variable: an id, or an operator's answer."""
    if isinstance(target, dict):
        if target.get("decree_id"):
            return None, _as_id(target["decree_id"])
        return _as_id(target.get("document_id")), None
    return _as_id(target), None


def _as_id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@subscribe(Event.SIGN_TASK_READY)
def _sign_task_ready(ctx: Context, human_task_id: int, role: str | None, target: Any) -> None:
    request_for_task(ctx, human_task_id, role, target)


def request_for_task(ctx: Context, human_task_id: int, role: str | None, target: Any) -> SignatureRequest:
    """A sign task is ready: one signature step, for its lane's role, on what it names. A draft
    decree is numbered and signed by the alcalde; a signed decree is attested by the secretary."""
    document_id, decree_id = _target_ids(target)
    if document_id is None and decree_id is None:
        raise ValidationFailed(_l("The sign step names no document or decree to sign."))
    specs = _clean_steps(ctx, [role or ""])
    if decree_id is not None:
        decree = decrees.get_decree(ctx, decree_id)
        if decree.status == decrees.DecreeStatus.DRAFT:
            if role != Role.ALCALDE:
                raise ValidationFailed(_l("A draft decree is signed by the alcalde first."))
            _no_pending_request(ctx, SignatureRequest.decree_id, decree.id)
            return _new_request(ctx, specs, title=decree.title, expedient_id=decree.expedient_id,
                                document_id=None, decree_id=decree.id, human_task_id=human_task_id)
        if role != Role.SECRETARI or decree.status != decrees.DecreeStatus.SIGNED or decree.attested_at:
            raise ValidationFailed(_l("Only the secretary attests a signed decree, once."))
        doc = signed_decree_document(ctx, decree.id)
    else:
        assert document_id is not None
        doc = get_owned(Document, ctx, document_id)
        if doc.content_type != "application/pdf":
            raise ValidationFailed(_l("Only PDF documents can be signed."))
    _no_pending_request(ctx, SignatureRequest.document_id, doc.id)
    return _new_request(ctx, specs, title=doc.title, expedient_id=doc.expedient_id, document_id=doc.id,
                        decree_id=decree_id, human_task_id=human_task_id)


def for_task(ctx: Context, human_task_id: int) -> SignatureRequest | None:
    """The pending signature request a sign task stands for, if any."""
    stmt = scoped(SignatureRequest, ctx).where(SignatureRequest.human_task_id == human_task_id,
                                               SignatureRequest.state == RequestState.PENDING.value)
    return cast(SignatureRequest | None, db.session.execute(stmt).scalars().first())


def stamp_csv(ctx: Context, request: SignatureRequest) -> str:
    """The CSV the stamps print: an issued document keeps its own; else the request's."""
    if request.document_id is not None:
        doc = get_owned(Document, ctx, request.document_id)
        if doc.csv:
            return doc.csv
    return request.csv


# -- the queue ------------------------------------------------------------------------------


def _current_steps(ctx: Context) -> Select[tuple[SignatureStep]]:
    earlier = aliased(SignatureStep)
    mine = or_(SignatureStep.user_id == ctx.user_id,
               and_(SignatureStep.user_id.is_(None), SignatureStep.role.in_(sorted(ctx.roles))))
    return (
        scoped(SignatureStep, ctx)
        .join(SignatureRequest, SignatureRequest.id == SignatureStep.request_id)
        .where(SignatureRequest.state == RequestState.PENDING.value,
               SignatureStep.state == RequestState.PENDING.value,
               mine,
               ~exists().where(earlier.request_id == SignatureStep.request_id,
                               earlier.position < SignatureStep.position,
                               earlier.state == RequestState.PENDING.value))
    )


def pending_for(ctx: Context) -> list[SignatureStep]:
    """The steps waiting for *my* signature now (their earlier steps are done), oldest first."""
    return [step for step, _expedient in pending_with_expedients(ctx)]


def pending_with_expedients(ctx: Context) -> list[tuple[SignatureStep, Expedient | None]]:
    """:func:`pending_for` with each step's expedient, so a queue of several licence decrees
    says which licence each one grants."""
    stmt = (_current_steps(ctx).add_columns(Expedient)
            .outerjoin(Expedient, Expedient.id == SignatureRequest.expedient_id)
            .options(contains_eager(SignatureStep.request).selectinload(SignatureRequest.steps))
            .order_by(SignatureRequest.created_at, SignatureStep.id))  # fmt: skip
    return [(step, expedient) for step, expedient in db.session.execute(stmt)]


def my_step(ctx: Context, step_id: int) -> SignatureStep:
    """One of the steps waiting for my signature now (:func:`pending_for`), or a refusal."""
    step = get_owned(SignatureStep, ctx, step_id)
    if step.id not in {s.id for s in pending_for(ctx)}:
        raise ValidationFailed(_l("This item is not waiting for your signature."))
    return step


def pending_count(ctx: Context) -> int:
    stmt = _current_steps(ctx).with_only_columns(func.count(SignatureStep.id))
    return int(db.session.execute(stmt).scalar_one())


def get_request(ctx: Context, request_id: int) -> SignatureRequest:
    return get_owned(SignatureRequest, ctx, request_id)


def _render_decree(ctx: Context, decree: decrees.Decree, csv: str) -> bytes:
    tenant = db.session.get(Tenant, ctx.tenant_id)
    return render_pdf_from(TEMPLATES, "decree.html", tenant=tenant, decree=decree, csv=csv,
                           verify_url=verify_url(csv), labels=_labels(ctx), locale=ctx.locale)


def current_pdf(ctx: Context, request_id: int) -> bytes:
    """The PDF a signer reads: as signed so far, the document, or the decree proposal (a draft)."""
    request = get_request(ctx, request_id)
    if request.working_sha256:
        return content_store().get(request.working_sha256)
    if request.document_id is not None:
        return read_content(ctx, request.document_id)[1]
    assert request.decree_id is not None
    return _render_decree(ctx, decrees.get_decree(ctx, request.decree_id), request.csv)


# -- signing --------------------------------------------------------------------------------


def _may_sign(ctx: Context, step: SignatureStep) -> bool:
    if step.user_id is not None:
        return step.user_id == ctx.user_id
    return step.role is not None and step.role in ctx.roles


def _locked(model: type[Any], ctx: Context, ident: int) -> Any:
    """The row, locked and read afresh: a copy the session loaded before the lock (the queue
    check) may predate a signature that another request of the same signer just committed."""
    stmt = by_id(model, ctx, ident).with_for_update().execution_options(populate_existing=True)
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(_l("Not found."))
    return row


def _locked_current_step(ctx: Context, step_id: int) -> tuple[SignatureStep, SignatureRequest]:
    step = cast(SignatureStep, _locked(SignatureStep, ctx, step_id))
    request = cast(SignatureRequest, _locked(SignatureRequest, ctx, step.request_id))
    if step.state == RequestState.SIGNED and step.signed_by_id == ctx.user_id:
        raise AlreadySigned(_l("Already signed: %(title)s.", title=request.title))
    if request.state != RequestState.PENDING:
        raise Conflict(_l("This signature request is no longer pending."))
    if step.state != RequestState.PENDING:
        raise Conflict(_l("This step was already signed."))
    before = [s for s in request.steps if s.position < step.position and s.state == RequestState.PENDING]
    if before:
        raise Conflict(_l("%(who)s has to sign first.", who=step_signer(before[0])))
    if not _may_sign(ctx, step):
        raise Forbidden(_l("This signature is not yours to give."))
    return step, request


def _user_name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.full_name if user else "-"


def step_signer(step: SignatureStep, names: dict[int, str] | None = None) -> str:
    """Who a step is for, in words: whoever signed or returned it, the person it names, or its role
    as people call it. ``names``: user id -> name, read beforehand (:func:`step_signers`)."""
    if step.signer_name:
        return step.signer_name
    if step.user_id is not None:
        return (names or {}).get(step.user_id) or _user_name(step.user_id)
    return role_label(step.role or "-")


def step_signers(request: SignatureRequest) -> dict[int, str]:
    """:func:`step_signer` of each step of ``request`` by step id, the persons named read in one query."""
    wanted = {s.user_id for s in request.steps if s.user_id is not None and not s.signer_name}
    stmt = select(User.id, User.full_name).where(User.id.in_(wanted))
    names: dict[int, str] = {user_id: name for user_id, name in db.session.execute(stmt)} if wanted else {}
    return {s.id: step_signer(s, names) for s in request.steps}


def signed_by_me(ctx: Context, step_id: int) -> SignatureRequest | None:
    """The request of step ``step_id`` when I have signed that step already (read afresh: after a
    refusal, whether a twin of the same form got there first), else None."""
    step = db.session.execute(
        by_id(SignatureStep, ctx, step_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if step is None or step.state != RequestState.SIGNED or step.signed_by_id != ctx.user_id:
        return None
    return step.request


def decree_number(ctx: Context, request: SignatureRequest) -> str | None:
    """The number of the decree a request is for, once signed (numbered); None for a document."""
    return decrees.get_decree(ctx, request.decree_id).number if request.decree_id is not None else None


def _pdf_to_sign(ctx: Context, request: SignatureRequest, step: SignatureStep) -> bytes:
    if request.decree_id is None:
        return current_pdf(ctx, request.id)
    if request.document_id is not None:  # the decree's signed PDF, attested by the secretary
        decrees.attest(ctx, request.decree_id)
        return current_pdf(ctx, request.id)
    if step.role == Role.ALCALDE:
        decree = decrees.sign_decree(ctx, request.decree_id)  # numbers it
        return _render_decree(ctx, decree, request.csv)
    decrees.attest(ctx, request.decree_id)
    return current_pdf(ctx, request.id)


def _sign_step(ctx: Context, step_id: int, credential: UnlockedCredential) -> SignatureRequest:
    step, request = _locked_current_step(ctx, step_id)
    pdf = _pdf_to_sign(ctx, request, step)
    labels = _labels(ctx)
    now = utcnow()
    role = step.role or next((r for r in ("alcalde", "secretari", "tecnic") if r in ctx.roles), "")
    csv = stamp_csv(ctx, request)
    stamp = Stamp(signer=_user_name(ctx.user_id), role=labels.get(role, role), date=stamp_time(now, ctx.locale),
                  csv=csv, verify_url=verify_url(csv), labels=labels)
    signed = sign_pdf(pdf, credential, stamp, reason=request.title[:200])
    request.working_sha256 = content_store().put(signed).sha256
    step.state = RequestState.SIGNED.value
    step.signed_at, step.signed_by_id, step.signer_name = now, ctx.user_id, stamp.signer
    db.session.flush()
    record(ctx, "signature.signed", "signature_request", request.id, expedient_id=request.expedient_id,
           after={"step": step.summary(), "certificate_serial": format(credential.certificate.serial_number, "x")})
    if all(s.state == RequestState.SIGNED for s in request.steps):
        _finish(ctx, request, signed)
    return request


def _finish(ctx: Context, request: SignatureRequest, signed: bytes) -> None:
    if request.document_id is not None:
        # the same document, signed: same CSV and ENI identifier (no fork)
        doc = new_version(ctx, request.document_id, signed, csv=stamp_csv(ctx, request), keep_identity=True)
    else:
        assert request.decree_id is not None
        decree = decrees.get_decree(ctx, request.decree_id)
        doc = store_document(
            ctx, decree.expedient_id, f"decret-{(decree.number or '').replace('/', '-')}.pdf", signed,
            title=f"{decree.number} {decree.title}", tipo_documental="TD01", from_administration=True,
            author=decree.signed_by_name, csv=request.csv,
        )
    # The signature GEE has just made is recorded with the document at once (the signer and the
    # process read it next), not left to the job that checks uploaded PDFs.
    verify_now([doc])
    request.state = RequestState.SIGNED.value
    request.result_document_id = doc.id
    request.finished_at = utcnow()
    db.session.flush()
    record(ctx, "signature.completed", "signature_request", request.id, expedient_id=request.expedient_id,
           after=request.summary())
    if request.document_id is not None:
        publish(Event.DOCUMENT_SIGNED, ctx=ctx, document_id=request.document_id, signed_document_id=doc.id)
    if request.human_task_id is not None:
        number = decrees.get_decree(ctx, request.decree_id).number if request.decree_id is not None else None
        outcome = {"outcome": "signed", "document_id": doc.id, "csv": doc.csv, "number": number}
        publish(Event.SIGNATURE_CIRCUIT_FINISHED, ctx=ctx, human_task_id=request.human_task_id,
                data={"signatura": outcome})


def sign(ctx: Context, step_id: int, password: str) -> SignatureRequest:
    """Sign one step with my certificate, unlocked with my key password. The caller's unit of
    work commits it, with the task completion it may trigger (a lost race redoes both)."""
    return _sign_step(ctx, step_id, unlock_personal(ctx.user_id, password))


def sign_batch(ctx: Context, step_ids: Sequence[int], password: str) -> BatchResult:
    """Sign several steps with one password. A wrong password signs nothing; otherwise each
    item is its own unit of work (a savepoint inside the caller's), and one that fails is
    reported, not fatal. The decrees signed come with their numbers (``decrees``)."""
    if not step_ids:
        raise ValidationFailed(_l("Choose at least one item to sign."), field="ids")
    credential = unlock_personal(ctx.user_id, password)
    result = BatchResult()
    for step_id in dict.fromkeys(step_ids):
        try:
            request = run_in_transaction(lambda: _sign_step(ctx, step_id, credential))  # noqa: B023 (run now)
            result.signed.append(step_id)
        except AlreadySigned:
            result.already.append(step_id)
            continue
        except GeeError as err:
            result.failed.append((step_id, str(err)))
            continue
        number = decree_number(ctx, request)
        if number:
            result.decrees.append((number, request.title))
    result.decrees.sort()
    return result


def return_for_changes(ctx: Context, step_id: int, reason: str) -> SignatureRequest:
    """Send the item back to whoever asked, with the reason; the request ends here."""
    clean = " ".join((reason or "").split())
    if len(clean) < MIN_REASON:
        raise ValidationFailed(_l("Say why it is returned (at least %(min)s characters).", min=MIN_REASON),
                               field="reason")
    step, request = _locked_current_step(ctx, step_id)
    step.state = RequestState.RETURNED.value
    step.reason = clean
    step.signed_by_id, step.signer_name, step.signed_at = ctx.user_id, _user_name(ctx.user_id), utcnow()
    request.state = RequestState.RETURNED.value
    request.return_reason = clean
    request.finished_at = utcnow()
    db.session.flush()
    record(ctx, "signature.returned", "signature_request", request.id, expedient_id=request.expedient_id,
           after=request.summary())
    if request.human_task_id is not None:
        publish(Event.SIGNATURE_CIRCUIT_FINISHED, ctx=ctx, human_task_id=request.human_task_id,
                data={"signatura": {"outcome": "returned", "reason": clean}})
    return request
