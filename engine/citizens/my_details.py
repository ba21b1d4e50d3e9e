"""Les meves dades: how the municipality notifies a citizen and where the notices go.

A natural person chooses whether to be notified electronically or on paper and may change that
choice at any time (Ley 39/2015, art. 14.1); the notice of a notification goes to the e-mail they
gave (art. 41.1, 41.6). Legal persons and entities are always notified electronically (art. 14.2).

The citizen only ever sees and changes their own party in this municipality, found by the NIF they
identified with; one who never filed here has none yet (their first filing creates it), and there
is nothing to change. A change goes through :func:`engine.expedients.parties.update_party`
(audited with before and after, the actor being the citizen) and applies to the notifications
made from then on: each notification keeps the channel it was made by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.base.context import Context
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.citizens.identity import CitizenIdentity
from engine.expedients.parties import Party, PartyKind, check_postal_address, find_party_by_nif, update_party

#: What the citizen may change here, with the longest each can be (as the party keeps it).
CONTACT_LIMITS = {"email": 200, "address": 300, "postal_code": 10, "municipality": 120}
#: What a notification on paper needs to reach the person.


@dataclass(frozen=True)
class DetailsSaved:
    party: Party
    #: Whether anything differed from what the municipality had (else nothing was saved).
    changed: bool
    #: Whether the channel changed (it applies to the notifications made from now on).
    channel_changed: bool


def my_party(ctx: Context, citizen: CitizenIdentity) -> Party | None:
    """The citizen's own party in this municipality, or None when they never filed here."""
    return find_party_by_nif(ctx, citizen.nif)


def is_entity(party: Party) -> bool:
    """A legal person or entity: always notified electronically (art. 14.2)."""
    return party.kind == PartyKind.ENTITY


def form_values(party: Party) -> dict[str, str]:
    """The party's details as the form shows them."""
    return {"preferred_channel": party.preferred_channel, "email": party.email or "",
            "address": party.address or "", "postal_code": party.postal_code or "",
            "municipality": party.municipality or ""}  # fmt: skip


def change_my_details(
    ctx: Context,
    citizen: CitizenIdentity,
    *,
    preferred_channel: str | None,
    email: str | None,
    address: str | None,
    postal_code: str | None,
    municipality: str | None,
) -> DetailsSaved:
    """Save how the citizen wants to be notified and their contact details (flushed and audited).

    ``preferred_channel``: "electronic" or "postal"; an entity's stays electronic (none given keeps
    it, paper is refused). Paper needs the postal address, postal code and municipality. Nothing
    is saved or audited when nothing differs."""
    party = my_party(ctx, citizen)
    if party is None:
        raise NotFound(_l("The municipality has no record of you yet: your first filing in this e-office creates it."))
    channel = (preferred_channel or "").strip() or None
    if channel is None:
        if not is_entity(party):
            raise ValidationFailed(_l("Choose how you want to be notified."), field="preferred_channel")
        channel = party.preferred_channel
    contact = {name: clean_text(value, CONTACT_LIMITS[name], name, collapse=False)
               for name, value in (("email", email), ("address", address), ("postal_code", postal_code),
                                   ("municipality", municipality))}  # fmt: skip
    check_postal_address(party.kind, channel, contact)
    changes: dict[str, Any] = {name: value for name, value in contact.items()
                                      if getattr(party, name) != value}  # fmt: skip
    if channel != party.preferred_channel:
        changes["preferred_channel"] = channel
    if not changes:
        return DetailsSaved(party, changed=False, channel_changed=False)
    saved = update_party(ctx, party.id, **changes)
    return DetailsSaved(saved, changed=True, channel_changed="preferred_channel" in changes)
