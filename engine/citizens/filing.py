"""Filing from the e-office: a request that opens an expedient and starts its procedure, an
answer to a requeriment that resumes the procedure waiting for it, and a request to extend the
term of that requeriment.

Each is ONE transaction: the party, the registry entry, the expedient, the documents and the
process start (or message delivery) are all written, or none is — a failure anywhere rolls
everything back and gives the gapless registry and expedient numbers back. The entry's receipt
PDF is issued by a job after that transaction (:mod:`engine.registry.receipt_job`), and with it, for a
request, the request's own document (written in the transaction, printed by the job).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from engine.audit import record
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.identifiers import normalise_nif
from engine.base.unit_of_work import run_in_transaction
from engine.calendar import TenantCalendar
from engine.citizens.carpeta import FolderItem, citizen_party, get_my_expedient
from engine.citizens.choices import Choice, check_choices, facts_of, refuse
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.citizens.messages import ALLEGATIONS_MESSAGE, ANSWER_MESSAGE, EXTENSION_MESSAGE
from engine.citizens.procedures import SUBJECT_JOINER, SUBJECT_MAX, filed_form, filing_subject, get_procedure
from engine.citizens.request_document import IDENTIFICATION_KEY
from engine.documents.store import sniff_content_type
from engine.expedients.expedients import link_party, open_expedient
from engine.expedients.parties import (
    Party,
    PartyKind,
    PartyRole,
    find_or_create_party,
    find_party_by_nif,
    kind_of,
)
from engine.powers.standing import accredit_on_filing
from engine.process.instances.messages import AwaitedMessage, deliver_in_transaction
from engine.process.instances.tasks import _lock_instance, start_in_transaction, validate_against_schema
from engine.process.models import ProcessModel, ProcessVersion
from engine.registry.entries import Channel, RegistryEntry, Upload, effective_moment, register_incoming
from engine.registry.receipt_job import issue_receipt_later
from engine.tenancy.models import Tenant

MAX_FILES = 10
#: The registry entry's extract holds this many characters (engine.registry.entries).
EXTRACT_LIMIT = 4000
T = TypeVar("T")


@dataclass(frozen=True)
class Represented:
    """The person or entity a citizen files for (Ley 39/2015 art. 5)."""

    nif: str
    name: str


@dataclass(frozen=True)
class Filing:
    """What a filing registered; ``receipt_document_id`` is None while its receipt job is pending."""

    entry_id: int
    entry_number: str
    receipt_document_id: int | None
    expedient_id: int | None
    expedient_number: str | None
    instance_id: int | None = None
    late: bool = False
    delivered: bool = True


def _one_transaction(work: Callable[[], T]) -> T:
    return run_in_transaction(work)


def _register(ctx: Context, *, locale: str, **entry: Any) -> RegistryEntry:
    """The incoming entry of a filing; its receipt is issued by a job, so the citizen gets the
    number and time at once and the receipt follows (see :mod:`engine.registry.receipt_job`)."""
    registered = register_incoming(ctx, **entry, locale=locale, with_receipt=False)
    issue_receipt_later(ctx, registered, locale)
    return registered


def filed_extract(model: ProcessModel, values: dict[str, Any]) -> str | None:
    """The entry's extract (Ley 39/2015 art. 16.3): what the citizen wrote in the form's free-text fields, in
    their words and order (no field names, choices or dates, which are the interface's language, not theirs),
    as the registry page and the receipt show it; cut to the extract's length with an ellipsis (the whole
    filing stays in the procedure's data, beside every task)."""
    properties = filed_form(model, None).properties
    written = [" ".join(value.split()) for key, value in values.items()
               if isinstance(value, str) and value.strip() and _free_text(properties.get(key))]  # fmt: skip
    text = " · ".join(written)
    if not text:
        return None
    return text if len(text) <= EXTRACT_LIMIT else text[: EXTRACT_LIMIT - 1].rstrip() + "…"


def _free_text(prop: Any) -> bool:
    return isinstance(prop, dict) and prop.get("type") == "string" and not prop.get("enum") and not prop.get("format")


def check_uploads(uploads: Sequence[Upload]) -> list[Upload]:
    """The files a citizen attached, or a refusal of the form's field ``documents`` that names the
    file it is about, before anything is written (an empty file too: dropped in silence, the citizen
    would believe it presented)."""
    files = [u for u in uploads if u.filename]
    if len(files) > MAX_FILES:
        raise ValidationFailed(_l("Attach at most %(n)s files.", n=MAX_FILES), field="documents")
    for upload in files:
        if not upload.content:
            raise ValidationFailed(f"{upload.filename}: {_l('The file is empty.')}", field="documents")
        try:
            sniff_content_type(upload.content)
        except ValidationFailed:
            # in words, not the MIME type the store's own message names
            raise ValidationFailed(f"{upload.filename}: {_l('This type of file is not accepted.')}",
                                   field="documents") from None
    return files


def _parties(
    ctx: Context, citizen: CitizenIdentity, represented: Represented | None, email: str | None
) -> tuple[Party, Party]:
    """(the interessat, the citizen's own party)."""
    # The e-mail typed in the form is theirs to change; the provider's only starts a new party's.
    known = find_party_by_nif(ctx, citizen.nif) is not None
    own = find_or_create_party(ctx, citizen.nif, citizen.name, email=email or (None if known else citizen.email),
                               preferred_channel="electronic")
    if represented is None:
        return own, own
    nif = normalise_nif(represented.nif, field="represented_nif")
    if nif == own.nif:
        raise ValidationFailed(_l("A party cannot represent itself."), field="represented_nif")
    channel = "electronic" if kind_of(nif) is PartyKind.ENTITY else None
    # The declaration alone accredits nothing (art. 5.6): no lasting representative is recorded on
    # the party; only a power in the register (engine.powers) lets the representative see more.
    party = find_or_create_party(ctx, nif, represented.name, preferred_channel=channel)
    return party, own


def file_request(
    tenant: Tenant,
    citizen: CitizenIdentity,
    process_key: str,
    data: dict[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    represented: Represented | None = None,
    email: str | None = None,
    locale: str = "ca",
) -> Filing:
    """File a request for a procedure: registry entry + receipt, expedient, documents (the request itself
    among them, :mod:`engine.citizens.request_document`), process."""
    ctx = citizen_context(tenant, citizen, locale)
    procedure = get_procedure(tenant.id, process_key, locale, choices=False)
    if not procedure.online or procedure.version_id is None:
        raise Conflict(_l("This procedure cannot be filed online."))
    values, chosen = _checked_values(tenant, procedure.start_form, data, locale)
    files = check_uploads(uploads)

    def work() -> Filing:
        version = db.session.get(ProcessVersion, procedure.version_id)
        assert version is not None
        party, own = _parties(ctx, citizen, represented, email)
        subject = _with_notes(filing_subject(procedure, values, locale), chosen)
        expedient = open_expedient(ctx, subject, process_model_id=version.model_id, party_ids=[party.id],
                                   classification=procedure.classification)
        if own.id != party.id:
            link_party(ctx, expedient.id, own.id, PartyRole.REPRESENTANT)
        representative = own if own.id != party.id else None
        entry = register_incoming(ctx, subject=subject, summary=filed_extract(version.model, values),
                                  channel=Channel.ELECTRONIC, party_id=party.id,
                                  sender=own.name if representative else None, uploads=files,
                                  expedient_id=expedient.id, locale=locale, with_receipt=False)  # fmt: skip
        if representative:  # a power in force covering the procedure accredits the representation from now
            accredit_on_filing(ctx, expedient, grantor_nif=party.nif, representative_nif=own.nif,
                               entry_number=entry.number)  # fmt: skip
        start_data = {
            **values,
            "interessat": {"nif": party.nif, "nom": party.name},
            "representant": {"nif": own.nif, "nom": own.name} if representative else None,
            "registre_entrada": entry.number,
            "data_entrada": local_date(entry.effective_at).isoformat(),
            "data_presentacio": local_date(entry.presented_at).isoformat(),
            "expedient": expedient.number,
            "documents_presentats": [a.document_id for a in entry.attachments],
            "sollicitud": values,  # what the citizen filled in, shown beside every task of the procedure
            IDENTIFICATION_KEY: citizen.identification(),  # how they identified themselves: the request says it
        }
        instance = start_in_transaction(ctx, version, expedient.id, start_data)
        # After the start: the receipt's job prints the request itself from the start data
        # (engine.citizens.request_document); in-process it runs right away.
        issue_receipt_later(ctx, entry, locale)
        return Filing(entry.id, entry.number, entry.receipt_document_id, expedient.id, expedient.number,
                      instance.id)  # fmt: skip

    return _one_transaction(work)


def _checked_values(
    tenant: Tenant, form: dict[str, Any] | None, data: Any, locale: str
) -> tuple[dict[str, Any], dict[str, Choice]]:
    """The filed values with the facts their choices bring (:mod:`engine.citizens.choices`), checked on
    the filing's effective day (art. 31.2.b); every refusal beside its field, together."""
    if not isinstance(data, dict):
        return validate_against_schema(form, data), {}
    day = local_date(effective_moment(TenantCalendar.for_tenant(tenant), utcnow()))
    chosen, problems = check_choices(form, data, tenant.id, locale, day)
    facts = facts_of(chosen)
    data = {key: value for key, value in data.items() if key not in facts}  # facts are never typed
    try:
        values = validate_against_schema(form, data)
    except ValidationFailed as refused:
        mine = {p.field for p in problems}
        refuse([*problems, *(d for d in refused.details if getattr(d, "field", None) not in mine)])
        raise
    refuse(problems)
    return {**values, **facts}, chosen


def _with_notes(subject: str, chosen: dict[str, Choice]) -> str:
    notes = [c.note for c in chosen.values() if c.note]
    return SUBJECT_JOINER.join([subject, *notes])[:SUBJECT_MAX] if notes else subject


def answer_requeriment(
    tenant: Tenant,
    citizen: CitizenIdentity,
    expedient_id: object,
    awaited_id: object,
    uploads: Sequence[Upload] = (),
    *,
    text: str | None = None,
    locale: str = "ca",
) -> Filing:
    """Present the documents a requeriment asks for, or the allegations of an audiència: an
    incoming entry in the expedient that resumes its process. A late answer is still registered
    and, while the process still waits for it, delivered (art. 73.3); it is marked late on the
    entry, in the data and the audit."""
    ctx = citizen_context(tenant, citizen, locale)
    item, awaited = _awaited(ctx, citizen, expedient_id, awaited_id, ANSWER_MESSAGE, ALLEGATIONS_MESSAGE)
    message = ALLEGATIONS_MESSAGE if awaited.accepts(ALLEGATIONS_MESSAGE) else ANSWER_MESSAGE
    files = check_uploads(uploads)
    clean_text = " ".join((text or "").split()) or None
    if not files and not clean_text:
        raise ValidationFailed(_l("Write your allegations, or attach them.") if message == ALLEGATIONS_MESSAGE
                               else _l("Attach the documents you were asked for, or write your answer."),
                               field="documents")  # fmt: skip
    party = citizen_party(ctx, citizen)
    assert party is not None  # they have the expedient, so they have a party

    def work() -> Filing:
        waiting = awaited.state == "waiting"
        if waiting:
            _lock_instance(ctx, awaited.instance_id)  # the instance lock before the audit/counter locks
        subject = (_l("Allegations in the audiència of expedient %(number)s", number=item.expedient.number)
                   if message == ALLEGATIONS_MESSAGE
                   else _l("Answer to the requeriment of expedient %(number)s", number=item.expedient.number))
        entry = _register(
            ctx,
            subject=str(subject),
            channel=Channel.ELECTRONIC,
            party_id=party.id,
            summary=clean_text,
            uploads=files,
            expedient_id=item.expedient.id,
            locale=locale,
        )
        payload = {"registre_entrada": entry.number, "document_ids": [a.document_id for a in entry.attachments],
                   "text": clean_text}  # fmt: skip
        if waiting:
            delivery = deliver_in_transaction(ctx, awaited.instance_id, message, payload, at=entry.effective_at)
            late, delivered = delivery.late, True
        else:
            late, delivered = True, False
        _evidence(ctx, entry, awaited, late=late, delivered=delivered)
        return Filing(entry.id, entry.number, entry.receipt_document_id, item.expedient.id,
                      item.expedient.number, awaited.instance_id, late=late, delivered=delivered)  # fmt: skip

    return _one_transaction(work)


def _awaited(ctx: Context, citizen: CitizenIdentity, expedient_id: object, awaited_id: object,
             *messages: str) -> tuple[FolderItem, AwaitedMessage]:
    """The citizen's expedient and its wait for one of ``messages``; anything else is not found."""
    item = get_my_expedient(ctx, citizen, expedient_id)
    try:
        awaited = db.session.execute(
            select(AwaitedMessage).where(
                AwaitedMessage.tenant_id == ctx.tenant_id,
                AwaitedMessage.id == int(awaited_id),  # type: ignore[call-overload]
                AwaitedMessage.expedient_id == item.expedient.id,
            )
        ).scalar_one_or_none()
    except (TypeError, ValueError):
        awaited = None
    if awaited is None or not any(awaited.accepts(m) for m in messages):
        raise NotFound(_l("Not found."))
    return item, awaited


def request_extension(
    tenant: Tenant, citizen: CitizenIdentity, expedient_id: object, awaited_id: object, *, locale: str = "ca"
) -> Filing:
    """Ask for the five extra working days of a requeriment's term (Ley 39/2015 art. 68.2): an
    incoming registry entry delivered to the procedure, which moves the term. It must be asked
    while the term runs (art. 32.3) and only where the procedure offers it (not in competitive
    procedures); once extended, it is no longer offered."""
    ctx = citizen_context(tenant, citizen, locale)
    item, awaited = _awaited(ctx, citizen, expedient_id, awaited_id, EXTENSION_MESSAGE)
    party = citizen_party(ctx, citizen)
    assert party is not None  # they have the expedient, so they have a party

    def work() -> Filing:
        _lock_instance(ctx, awaited.instance_id)
        db.session.refresh(awaited)
        if awaited.state != "waiting":
            raise Conflict(_l("The term of this requeriment can no longer be extended."))
        due = as_utc(awaited.due_at)
        if due is not None and utcnow() > due:
            raise Conflict(_l("The term has already ended: an extension must be asked for before it ends."))
        entry = _register(
            ctx,
            subject=str(_l("Request to extend the term of the requeriment of expedient %(number)s",
                           number=item.expedient.number)),
            channel=Channel.ELECTRONIC,
            party_id=party.id,
            summary=str(_l("Extension of five working days (art. 68.2 Ley 39/2015).")),
            expedient_id=item.expedient.id,
            locale=locale,
        )
        payload = {"registre_entrada": entry.number, "requested_on": local_date(entry.effective_at).isoformat()}
        deliver_in_transaction(ctx, awaited.instance_id, EXTENSION_MESSAGE, payload, at=entry.effective_at)
        return Filing(entry.id, entry.number, entry.receipt_document_id, item.expedient.id,
                      item.expedient.number, awaited.instance_id)  # fmt: skip

    return _one_transaction(work)


def _evidence(ctx: Context, entry: RegistryEntry, awaited: AwaitedMessage, *, late: bool, delivered: bool) -> None:
    """Audit on the registry entry whether the answer came in time (the process data says it too)."""
    record(
        ctx,
        "registry.requeriment_answer_late" if late else "registry.requeriment_answer",
        "registry_entry",
        entry.id,
        expedient_id=entry.expedient_id,
        after={
            "number": entry.number,
            "effective_at": entry.effective_at.isoformat(),
            "due_at": awaited.due_at.isoformat() if awaited.due_at else None,
            "late": late,
            "delivered_to_process": delivered,
            "awaited_message_id": awaited.id,
        },
    )
