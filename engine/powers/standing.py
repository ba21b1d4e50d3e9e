"""Where a representative stands with the register of powers when filing for someone, and what the
staff see of it in an expedient.

- Before filing on someone's behalf, the representative is told whether a power in force covers the
  procedure (then filing accredits the representation by it) or whether the power they held was
  revoked or has expired (then the representation will have to be accredited, art. 5.6 Ley 39/2015).
- A filing made under a power in force that covers the procedure is accredited by that power from the
  filing: recorded on the expedient and audited, as if staff had linked it.
- On an expedient, staff see how each representation was accredited, and the powers an interessat
  revoked from a declared representative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.audit.actors import CITIZEN_PREFIX
from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.identifiers import normalise_nif
from engine.expedients.expedients import Expedient
from engine.powers import register
from engine.powers.models import Power, PowerExpedient, PowerScope, PowerState
from engine.tenancy.scoping import scoped


def covers_procedure(power: Power, process_key: str) -> bool:
    """Whether the power names this procedure (or all of them), whatever its state."""
    return power.scope == PowerScope.ALL.value or process_key in (power.procedures or [])


@dataclass(frozen=True)
class FilingNotice:
    """What a representative is told about one grantor before filing on their behalf."""

    #: in_force (filing accredits the representation) | revoked | expired (art. 5.6 applies)
    kind: str
    power: Power

    @property
    def accredits(self) -> bool:
        return self.kind == "in_force"

    @property
    def ended_on(self) -> date | None:
        """The day the power stopped: its revocation (Catalan calendar day) or its last valid day."""
        if self.kind == "revoked" and self.power.revoked_at is not None:
            return local_date(self.power.revoked_at)
        if self.kind == "expired":
            return self.power.valid_until
        return None


def _notice(powers: list[Power], day: date) -> FilingNotice | None:
    """The notice for one grantor's powers covering the procedure, newest first."""
    in_force = next((p for p in powers if p.state_on(day) is PowerState.VALID), None)
    if in_force is not None:
        return FilingNotice("in_force", in_force)
    if not powers:
        return None
    latest = powers[0]
    state = latest.state_on(day)
    if state is PowerState.REVOKED:
        return FilingNotice("revoked", latest)
    if state is PowerState.EXPIRED:
        return FilingNotice("expired", latest)
    return None


def filing_notices(ctx: Context, representative_nif: str, process_key: str) -> list[FilingNotice]:
    """One notice per person who granted the representative a power naming this procedure."""
    by_grantor: dict[str, list[Power]] = {}
    for power in register.received_by(ctx, representative_nif):  # newest first
        if covers_procedure(power, process_key):
            by_grantor.setdefault(power.grantor_nif, []).append(power)
    day = register.today()
    found = (_notice(powers, day) for powers in by_grantor.values())
    return [n for n in found if n is not None]


def filing_notice(ctx: Context, representative_nif: str, grantor_nif: str, process_key: str) -> FilingNotice | None:
    """The notice about ``grantor_nif`` (as typed; None when it is not a NIF or granted nothing)."""
    try:
        grantor = normalise_nif(grantor_nif)
    except ValidationFailed:
        return None
    return next((n for n in filing_notices(ctx, representative_nif, process_key) if n.power.grantor_nif == grantor),
                None)  # fmt: skip


def accredit_on_filing(
    ctx: Context, expedient: Expedient, *, grantor_nif: str, representative_nif: str, entry_number: str
) -> Power | None:
    """The representative filed for the grantor: a power in force covering the expedient accredits the
    representation from the filing (linked and audited with the registry entry). None: no such power,
    the representation remains to be accredited (art. 5.6)."""
    power = register.covering_power(ctx, representative_nif, [grantor_nif], expedient)
    if power is None:
        return None
    register.link_power(ctx, power, expedient, on_filing=True, registry_entry=entry_number)
    return power


@dataclass(frozen=True)
class Accreditation:
    power: Power
    link: PowerExpedient

    @property
    def on_filing(self) -> bool:
        """Accredited by the register when the representative filed (not by a clerk)."""
        return self.link.linked_by.startswith(CITIZEN_PREFIX)


def accreditations(ctx: Context, expedient_id: int) -> list[Accreditation]:
    """How each representation in the expedient was accredited, oldest first."""
    stmt = (
        scoped(PowerExpedient, ctx)
        .where(PowerExpedient.expedient_id == expedient_id)
        .order_by(PowerExpedient.linked_at, PowerExpedient.id)
    )
    out = []
    for link in db.session.execute(stmt).scalars():
        power = db.session.get(Power, link.power_id)
        if power is not None:
            out.append(Accreditation(power, link))
    return out


def revocations(ctx: Context, expedient_id: int) -> list[Power]:
    """For each interessat and declared representative of the expedient with no power in force between
    them covering it, the last power between them that reached it and was revoked."""
    expedient = db.session.get(Expedient, expedient_id)
    if expedient is None or expedient.tenant_id != ctx.tenant_id:
        return []
    grantors = [p.nif for p in register.interessats(ctx, expedient_id)]
    found = []
    for representative in register.declared_representatives(ctx, expedient_id):
        for grantor in grantors:
            if register.covering_power(ctx, representative.nif, [grantor], expedient) is not None:
                continue
            revoked = [p for p in register.received_by(ctx, representative.nif)
                       if p.grantor_nif == grantor and p.revoked_at is not None
                       and register.covers(ctx, p, expedient)]  # fmt: skip
            if revoked:
                found.append(max(revoked, key=lambda p: p.revoked_at))  # type: ignore[arg-type, return-value]
    return found
