"""The register of powers of a municipality: grant (apud acta in the e-office, or by staff from a
signed document), revoke, find the power that lets a representative act in an expedient today,
accredit a declared representative on an expedient, and the trail of what was accessed on
someone's behalf.

A power's state is computed on the day asked (Catalan calendar date): valid between
``valid_from`` and ``valid_until`` unless revoked. Powers last at most five years from their
registration (art. 6.6 Ley 39/2015).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import or_, select

from engine.audit import AuditEvent, record
from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.formats import format_day
from engine.base.i18n import _l
from engine.base.identifiers import normalise_nif
from engine.base.text import clean_text
from engine.documents.documents import store_document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, Party, PartyRole, like_contains
from engine.powers.models import Power, PowerExpedient, PowerOrigin, PowerScope, PowerState
from engine.powers.names import resolved_name
from engine.process.forms.errors import FieldError
from engine.process.models import ProcessModel
from engine.tenancy.scoping import get_owned, scoped

#: Art. 6.6 Ley 39/2015: a registered power is valid for five years at most.
MAX_YEARS = 5
#: The audit action of every access on someone's behalf; ``object_id`` is the represented NIF.
ON_BEHALF = "powers.accessed_on_behalf"
MAX_FILE = 20 * 1024 * 1024
T = TypeVar("T")


def today() -> date:
    return local_date(utcnow())


def parse_date(value: str | date | None, field: str) -> date | None:
    """A form's ISO date (``None`` when empty), or a translated error naming the field."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationFailed(_l("Enter a valid date (day, month and year)."), field=field) from None
    if not 2000 <= day.year <= 2200:
        raise ValidationFailed(_l("Enter a valid date (day, month and year)."), field=field)
    return day


class _Refusals:
    """Every field's refusal of a form at once: each check runs, and the first refusal names the field
    it is about while ``details`` carries them all (one per field)."""

    def __init__(self) -> None:
        self.found: list[FieldError] = []

    def check(self, work: Callable[[], T]) -> T | None:
        try:
            return work()
        except ValidationFailed as exc:
            self.refuse(exc.message, exc.field or "")
            return None

    def refuse(self, message: object, field: str) -> None:
        if all(f.field != field for f in self.found):
            self.found.append(FieldError(field, str(message)))

    def raise_any(self) -> None:
        if self.found:
            first = self.found[0]
            raise ValidationFailed(first.message, field=first.field, details=list(self.found))


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def procedure_keys(ctx: Context) -> dict[str, str]:
    """The procedures a power may name: key -> name (the tenant's own and the shared ones)."""
    models = db.session.execute(
        select(ProcessModel).where(or_(ProcessModel.tenant_id == ctx.tenant_id, ProcessModel.tenant_id.is_(None)))
    ).scalars()
    keys: dict[str, str] = {}
    for model in models:
        if model.key not in keys or model.tenant_id is not None:
            keys[model.key] = model.name
    return dict(sorted(keys.items(), key=lambda kv: kv[1].lower()))


def _checked(
    ctx: Context,
    grantor_nif: str,
    grantor_name: str,
    representative_nif: str,
    representative_name: str,
    procedures: Sequence[str] | None,
    valid_from: date | str | None,
    valid_until: date | str | None,
    *more_checks: Callable[[], object],
) -> dict[str, object]:
    """The power's fields, or one refusal listing every field's error (``more_checks``: the caller's own)."""
    refusals = _Refusals()
    grantor = refusals.check(lambda: normalise_nif(grantor_nif, field="grantor_nif"))
    representative = refusals.check(lambda: normalise_nif(representative_nif, field="representative_nif"))
    if grantor and grantor == representative:
        refusals.refuse(_l("A party cannot represent itself."), "representative_nif")
    g_name = refusals.check(lambda: clean_text(grantor_name, 300, "grantor_name", required=True))
    r_name = refusals.check(lambda: clean_text(representative_name, 300, "representative_name", required=True))
    start = refusals.check(lambda: parse_date(valid_from, "valid_from"))
    until = refusals.check(lambda: parse_date(valid_until, "valid_until"))
    first = start or today()
    if first < today():
        refusals.refuse(_l("A power cannot start before today."), "valid_from")
    limit = _years_later(today(), MAX_YEARS)
    last = until or limit
    if last < first:
        refusals.refuse(_l("The end date must be on or after the start date."), "valid_until")
    if last > limit:
        refusals.refuse(_l("A power lasts at most five years (until %(day)s).", day=format_day(limit, ctx.locale)),
                        "valid_until")  # fmt: skip
    chosen = sorted({k.strip() for k in procedures or [] if k and k.strip()})
    if procedures is not None:
        unknown = set(chosen) - set(procedure_keys(ctx))
        if not chosen:
            refusals.refuse(_l("Choose at least one procedure, or all of them."), "procedures")
        elif unknown:
            refusals.refuse(_l("Unknown procedure: %(key)s.", key=", ".join(sorted(unknown))), "procedures")
    for more in more_checks:
        refusals.check(more)
    refusals.raise_any()
    assert grantor and representative and g_name and r_name
    return {
        "grantor_nif": grantor,
        "grantor_name": resolved_name(ctx, grantor, g_name),
        "representative_nif": representative,
        "representative_name": resolved_name(ctx, representative, r_name),
        "scope": PowerScope.ALL.value if procedures is None else PowerScope.PROCEDURES.value,
        "procedures": chosen,
        "valid_from": first,
        "valid_until": last,
    }


def _add(ctx: Context, fields: dict[str, object], origin: PowerOrigin, document_id: int | None = None) -> Power:
    power = Power(tenant_id=ctx.tenant_id, origin=origin.value, document_id=document_id, created_by=ctx.username,
                  created_at=utcnow(), **fields)  # fmt: skip
    db.session.add(power)
    db.session.flush()
    record(ctx, "powers.granted", "power", power.id, after=power.summary())
    return power


def grant_apud_acta(
    ctx: Context,
    grantor_nif: str,
    grantor_name: str,
    representative_nif: str,
    representative_name: str,
    *,
    procedures: Sequence[str] | None = None,
    valid_from: date | str | None = None,
    valid_until: date | str | None = None,
) -> Power:
    """The identified grantor grants a power in the e-office (``procedures=None``: all of them)."""
    fields = _checked(ctx, grantor_nif, grantor_name, representative_nif, representative_name, procedures,
                      valid_from, valid_until)  # fmt: skip
    return _add(ctx, fields, PowerOrigin.APUD_ACTA)


def _check_document(content: bytes) -> None:
    if not content:
        raise ValidationFailed(_l("Attach the signed document that grants the power."), field="document")
    if len(content) > MAX_FILE:
        raise ValidationFailed(_l("The file is too large."), field="document")


def register_from_document(
    ctx: Context,
    grantor_nif: str,
    grantor_name: str,
    representative_nif: str,
    representative_name: str,
    filename: str,
    content: bytes,
    *,
    procedures: Sequence[str] | None = None,
    valid_from: date | str | None = None,
    valid_until: date | str | None = None,
    expedient_id: int | None = None,
) -> Power:
    """Staff register a power from the signed document that grants it (kept in the document store)."""
    fields = _checked(ctx, grantor_nif, grantor_name, representative_nif, representative_name, procedures,
                      valid_from, valid_until, lambda: _check_document(content))  # fmt: skip
    title = str(_l("Power of representation: %(grantor)s to %(representative)s",
                   grantor=fields["grantor_name"], representative=fields["representative_name"]))[:300]  # fmt: skip
    doc = store_document(ctx, expedient_id, filename or "apoderament.pdf", content, title=title, tipo_documental="TD99",
                         from_administration=False)  # fmt: skip
    return _add(ctx, fields, PowerOrigin.DOCUMENT, doc.id)


def get_power(ctx: Context, power_id: object) -> Power:
    return get_owned(Power, ctx, power_id)


def get_power_of(ctx: Context, power_id: object, nif: str) -> Power:
    """A power the person with ``nif`` granted or received; anything else is NotFound."""
    power = get_owned(Power, ctx, power_id)
    if nif not in (power.grantor_nif, power.representative_nif):
        raise NotFound(_l("Not found."))
    return power


def revoke(ctx: Context, power_id: object, *, reason: str | None = None, grantor_nif: str | None = None) -> Power:
    """Revoke a power from now on. ``grantor_nif``: the grantor revokes it in the e-office (only
    their own powers; anything else is NotFound). Without it, staff revoke it."""
    clean_reason = clean_text(reason, 2000, "reason")
    power = get_owned(Power, ctx, power_id, for_update=True)
    if grantor_nif is not None and power.grantor_nif != grantor_nif:
        raise NotFound(_l("Not found."))
    if power.revoked_at is not None:
        raise Conflict(_l("This power was already revoked."))
    power.revoked_at = utcnow()
    power.revoked_by = ctx.username
    power.revocation_reason = clean_reason
    db.session.flush()
    record(ctx, "powers.revoked", "power", power.id, before={"state": "valid"},
           after={"revoked_at": power.revoked_at.isoformat(), "by_grantor": grantor_nif is not None,
                  "reason": power.revocation_reason})  # fmt: skip
    return power


def search(ctx: Context, term: str | None = None, limit: int = 200) -> list[Power]:
    """Powers of the tenant, newest first; ``term`` matches a NIF or a name of either side."""
    stmt = scoped(Power, ctx)
    text = " ".join((term or "").split())[:100]
    if text:
        pattern = like_contains(text.upper() if len(text) <= 9 else text)
        lowered = like_contains(text)
        stmt = stmt.where(or_(Power.grantor_nif.like(pattern, escape="\\"),
                              Power.representative_nif.like(pattern, escape="\\"),
                              Power.grantor_name.ilike(lowered, escape="\\"),
                              Power.representative_name.ilike(lowered, escape="\\")))  # fmt: skip
    return list(db.session.execute(stmt.order_by(Power.id.desc()).limit(limit)).scalars())


def granted_by(ctx: Context, nif: str) -> list[Power]:
    stmt = scoped(Power, ctx).where(Power.grantor_nif == nif).order_by(Power.id.desc())
    return list(db.session.execute(stmt).scalars())


def received_by(ctx: Context, nif: str) -> list[Power]:
    stmt = scoped(Power, ctx).where(Power.representative_nif == nif).order_by(Power.id.desc())
    return list(db.session.execute(stmt).scalars())


def valid_powers_to(ctx: Context, representative_nif: str, on: date | None = None) -> list[Power]:
    """Powers the representative holds that are valid on ``on`` (today by default)."""
    day = on or today()
    stmt = scoped(Power, ctx).where(
        Power.representative_nif == representative_nif,
        Power.revoked_at.is_(None),
        Power.valid_from <= day,
        Power.valid_until >= day,
    )
    return list(db.session.execute(stmt).scalars())


def _process_key(ctx: Context, expedient: Expedient) -> str | None:
    if expedient.process_model_id is None:
        return None
    model = db.session.get(ProcessModel, expedient.process_model_id)
    return model.key if model is not None else None


def covers(ctx: Context, power: Power, expedient: Expedient) -> bool:
    """Whether the power reaches this expedient: all procedures, its procedure, or accredited on it."""
    if power.scope == PowerScope.ALL.value:
        return True
    key = _process_key(ctx, expedient)
    if key is not None and key in (power.procedures or []):
        return True
    linked = db.session.execute(
        select(PowerExpedient.id).where(PowerExpedient.tenant_id == ctx.tenant_id,
                                        PowerExpedient.power_id == power.id,
                                        PowerExpedient.expedient_id == expedient.id)
    ).first()  # fmt: skip
    return linked is not None


def covering_power(
    ctx: Context, representative_nif: str, grantor_nifs: Iterable[str], expedient: Expedient, on: date | None = None
) -> Power | None:
    """A power valid on ``on`` from one of ``grantor_nifs`` to the representative covering the expedient."""
    grantors = set(grantor_nifs)
    for power in valid_powers_to(ctx, representative_nif, on):
        if power.grantor_nif in grantors and covers(ctx, power, expedient):
            return power
    return None


# -- staff accreditation on an expedient ----------------------------------------------------------


def declared_representatives(ctx: Context, expedient_id: int) -> list[Party]:
    links = db.session.execute(
        scoped(ExpedientParty, ctx).where(ExpedientParty.expedient_id == expedient_id,
                                          ExpedientParty.role == PartyRole.REPRESENTANT.value)
    ).scalars()  # fmt: skip
    return [link.party for link in links]


def interessats(ctx: Context, expedient_id: int) -> list[Party]:
    links = db.session.execute(
        scoped(ExpedientParty, ctx).where(ExpedientParty.expedient_id == expedient_id,
                                          ExpedientParty.role == PartyRole.INTERESSAT.value)
    ).scalars()  # fmt: skip
    return [link.party for link in links]


def accredit(ctx: Context, expedient_id: object, power_id: object) -> PowerExpedient:
    """Staff accredit the representation in the expedient with a registered power (an existing one,
    or one just registered from the document the representative brought): the power must be
    valid today and given by an interessat of the expedient."""
    expedient = get_owned(Expedient, ctx, expedient_id)
    power = get_owned(Power, ctx, power_id)
    if power.state_on(today()) is not PowerState.VALID:
        raise ValidationFailed(_l("Only a power valid today can accredit a representation."), field="power_id")
    if power.grantor_nif not in {p.nif for p in interessats(ctx, expedient.id)}:
        raise ValidationFailed(_l("The grantor of this power is not an interested party of the expedient."),
                               field="power_id")  # fmt: skip
    return link_power(ctx, power, expedient)


def link_power(ctx: Context, power: Power, expedient: Expedient, **evidence: object) -> PowerExpedient:
    """Record (once, audited) that ``power`` accredits the representation in ``expedient``;
    ``evidence``: what else the audit keeps (e.g. the registry entry of the filing it came with)."""
    existing = db.session.execute(
        scoped(PowerExpedient, ctx).where(PowerExpedient.power_id == power.id,
                                          PowerExpedient.expedient_id == expedient.id)
    ).scalar_one_or_none()  # fmt: skip
    if existing is not None:
        return existing
    link = PowerExpedient(tenant_id=ctx.tenant_id, power_id=power.id, expedient_id=expedient.id,
                          linked_by=ctx.username, linked_at=utcnow())  # fmt: skip
    db.session.add(link)
    db.session.flush()
    record(ctx, "powers.accredited", "power", power.id, expedient_id=expedient.id,
           after={"representative_nif": power.representative_nif, "grantor_nif": power.grantor_nif,
                  **evidence})  # fmt: skip
    return link


def candidate_powers(ctx: Context, expedient_id: int) -> list[Power]:
    """Powers valid today from an interessat of the expedient to one of its declared representatives,
    not yet accredited in it."""
    grantors = {p.nif for p in interessats(ctx, expedient_id)}
    representatives = {p.nif for p in declared_representatives(ctx, expedient_id)}
    if not grantors or not representatives:
        return []
    day = today()
    linked = {p.id for p in accredited_powers(ctx, expedient_id)}
    stmt = scoped(Power, ctx).where(Power.grantor_nif.in_(grantors), Power.representative_nif.in_(representatives))
    return [p for p in db.session.execute(stmt.order_by(Power.id.desc())).scalars()
            if p.state_on(day) is PowerState.VALID and p.id not in linked]  # fmt: skip


def accredited_powers(ctx: Context, expedient_id: int) -> list[Power]:
    stmt = (
        scoped(Power, ctx)
        .join(PowerExpedient, PowerExpedient.power_id == Power.id)
        .where(PowerExpedient.expedient_id == expedient_id)
        .order_by(Power.id)
    )
    return list(db.session.execute(stmt).scalars())


# -- accesses on someone's behalf ----------------------------------------------------------------


def record_access_on_behalf(
    ctx: Context, power: Power, what: str, object_id: int, label: str, *, expedient_id: int | None,
    representative_name: str,
) -> None:
    """Audit that the representative opened something of the grantor's (what: expedient, document,
    notification); the grantor sees it in their e-office."""
    record(ctx, ON_BEHALF, "on_behalf", power.grantor_nif, expedient_id=expedient_id,
           after={"what": what, "id": object_id, "label": label[:300], "power_id": power.id,
                  "representative_nif": power.representative_nif,
                  "representative_name": representative_name})  # fmt: skip


def accesses_on_behalf_of(ctx: Context, nif: str, limit: int = 200) -> list[AuditEvent]:
    """What representatives opened on this person's behalf, newest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.tenant_id == ctx.tenant_id, AuditEvent.action == ON_BEHALF, AuditEvent.object_id == nif)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return list(db.session.execute(stmt).scalars())
