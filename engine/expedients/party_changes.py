"""A change of an interested party in words a clerk reads in the expedient's history: the labels of the
party's form, the channel as the form offers it ("On paper"), never a stored field name or code.

The audit event (``party.updated``) keeps the party's summary before and after; this tells what differs.
The channel and the name are shown with their old and new value (who is notified, and how); the other
contact data only by name ("changes in: Address, Postal code"), the history being no place to copy it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.base.i18n import _, _l
from engine.expedients.parties import Channel

#: How a party is notified, as the party's form and the registry desk offer it.
CHANNEL_LABELS = {
    Channel.POSTAL.value: _l("On paper"),
    Channel.ELECTRONIC.value: _l("Electronically, in the e-office"),
}

#: The fields a clerk changes, by the label of the party's form, in the order a history line names them.
FIELD_LABELS = {
    "preferred_channel": _l("Notification channel"),
    "name": _l("Name or company name"),
    "address": _l("Address"),
    "postal_code": _l("Postal code"),
    "municipality": _l("Municipality"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "representative_id": _l("Representative"),
}

#: Shown with the value before and after; the rest only named.
_WITH_VALUES = ("preferred_channel", "name")


def channel_label(channel: str | None) -> str:
    """How a party with this stored channel is notified, in words ("On paper"); an unknown code as is."""
    label = CHANNEL_LABELS.get(channel or "")
    return str(label) if label is not None else str(channel or "")


def _shown(field: str, value: Any) -> str:
    return channel_label(value) if field == "preferred_channel" else str(value or "—")


def party_change_words(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str | None:
    """What a change of a party changed ("Maria Soler Vidal: Notification channel: Electronically, in the
    e-office → On paper; changes in: Address"), or None when there is nothing to tell (no before or after,
    or nothing a clerk changes differs)."""
    if not before or not after:
        return None
    changed = [field for field in FIELD_LABELS if (before.get(field) or None) != (after.get(field) or None)]
    if not changed:
        return None
    parts = [_("%(field)s: %(before)s → %(after)s", field=str(FIELD_LABELS[field]),
               before=_shown(field, before.get(field)), after=_shown(field, after.get(field)))
             for field in changed if field in _WITH_VALUES]
    named = [str(FIELD_LABELS[field]) for field in changed if field not in _WITH_VALUES]
    if named:
        parts.append(_("changes in: %(fields)s", fields=", ".join(named)))
    return _("%(name)s: %(changes)s", name=after.get("name") or before.get("name") or "", changes="; ".join(parts))
