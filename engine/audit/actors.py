"""Who did an audit event, in words a clerk reads in an expedient's history.

The trail stores the actor as the acting context's username: a user's username (with
``actor_id``), ``seu:<NIF>`` for a citizen acting through the e-office, or the reason GEE acts
by itself for (:meth:`engine.base.context.Context.system`). Auditors keep that raw value; a clerk
reads the user's full name, the citizen's name with "(e-office)", or GEE and what it was doing.

The audit trail knows no users nor parties: the caller looks up their names (all the page's
users in one query) and passes them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import LazyString

from engine.audit.trail import AuditEvent
from engine.base.i18n import _, _l

#: The actor of what a citizen does through the e-office is this prefix and their NIF.
CITIZEN_PREFIX = "seu:"

#: GEE itself, acting for no reason worth naming (``Context.system``'s default reason).
GEE = "GEE"

#: The reasons GEE acts with by itself (``Context.system(tenant_id, reason)``), in words.
SYSTEM_LABELS: dict[str, LazyString] = {
    "registry-receipt": _l("GEE (registry receipt)"),
    "engine-steps": _l("GEE (procedure steps)"),
    "document-generation": _l("GEE (document generation)"),
    "timer-sweeper": _l("GEE (timers)"),
    "notification": _l("GEE (notifications)"),
    "notification-expiry": _l("GEE (notification expiry)"),
    "notification-alert": _l("GEE (notification alerts)"),
    "deadline-escalation": _l("GEE (overdue task escalation)"),
    "term-digest": _l("GEE (weekly e-mail of legal terms)"),
    "integrity-check": _l("GEE (integrity check)"),
    "signature-verification": _l("GEE (signature verification)"),
    "transparency": _l("GEE (transparency portal)"),
    "noticeboard": _l("GEE (notice board)"),
    "webhooks": _l("GEE (webhooks)"),
    "gee demo": _l("GEE (demo data)"),
    "simulacio": _l("GEE (simulation)"),
    "bench": _l("GEE (benchmark)"),
    "cli": _l("GEE (command line)"),
    "gee expedients list": _l("GEE (command line)"),
    "gee process test-run": _l("GEE (command line)"),
}

#: Reasons that carry a suffix (who or what they act for), matched by their beginning.
SYSTEM_PREFIX_LABELS: tuple[tuple[str, LazyString], ...] = (
    ("procediment/", _l("GEE (procedure)")),  # procediment/<username who completed the step>
    ("registre/", _l("GEE (entry from another administration)")),  # registre/<sender tenant code>
    ("migration:", _l("GEE (migration)")),  # migration:<run id>
    ("platform:", _l("GEE (platform administration)")),  # platform:<platform admin username>
    ("cli:", _l("GEE (command line)")),
)


def actor_label(
    actor: str,
    actor_id: int | None,
    *,
    users: Mapping[int, str] | None = None,
    citizens: Mapping[str, str] | None = None,
) -> str:
    """Who did it, in the current language.

    ``users`` maps a user id to their full name (an unknown or blank one shows the username the
    event kept); ``citizens`` maps a NIF to the name of a party of the expedient (a citizen who is
    not one shows their NIF)."""
    if actor_id is not None:
        return (users or {}).get(actor_id) or actor
    if actor.startswith(CITIZEN_PREFIX):
        nif = actor[len(CITIZEN_PREFIX):]
        return _("%(who)s (e-office)", who=(citizens or {}).get(nif) or nif)
    if actor == "system":
        return GEE
    label = SYSTEM_LABELS.get(actor)
    if label is None:
        label = next((lazy for prefix, lazy in SYSTEM_PREFIX_LABELS if actor.startswith(prefix)), None)
    return str(label) if label is not None else f"{GEE} ({actor})"


def actor_labels(
    events: Iterable[AuditEvent], *, users: Mapping[int, str], citizens: Mapping[str, str]
) -> dict[str, str]:
    """Each distinct raw actor of ``events`` -> :func:`actor_label` (a template shows
    ``labels[ev.actor]`` and keeps ``ev.actor`` for auditors)."""
    labels: dict[str, str] = {}
    for event in events:
        if event.actor not in labels:
            labels[event.actor] = actor_label(event.actor, event.actor_id, users=users, citizens=citizens)
    return labels


def user_ids(events: Iterable[AuditEvent]) -> set[int]:
    """The users who acted in ``events``: whose names to look up, all at once."""
    return {event.actor_id for event in events if event.actor_id is not None}
