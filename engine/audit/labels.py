"""What each audit action means, in words a clerk reads in an expedient's history."""

from __future__ import annotations

from engine.base.i18n import _l

ACTION_LABELS = {
    "expedient.opened": _l("expedient opened"),
    "expedient.closed": _l("expedient closed"),
    "expedient.reopened": _l("expedient reopened"),
    "expedient.party_added": _l("interested party added"),
    "expedient.related": _l("related to another expedient"),
    "expedient.index_closed": _l("index closed for remission"),
    "expedient.silence": _l("maximum term exceeded: administrative silence"),
    "instance.started": _l("procedure started"),
    "instance.waiting": _l("procedure waiting"),
    "instance.running": _l("documents being generated in the background"),
    "instance.completed": _l("procedure finished"),
    "instance.incident": _l("automatic step failed"),
    "incident.opened": _l("automatic step failed"),
    "incident.retried": _l("failed step retried"),
    "incident.skipped": _l("failed step skipped"),
    "task.completed": _l("task completed"),
    "task.claimed": _l("task claimed"),
    "task.released": _l("task released"),
    "task.reassigned": _l("task reassigned"),
    "task.draft_saved": _l("draft saved"),
    "task.escalated": _l("overdue task escalated to the secretary"),
    "registry.delivered": _l("entry delivered to another administration on the platform"),
    "control.term_digest": _l("weekly e-mail of the legal terms at risk"),
    "timer.fired": _l("deadline reached"),
    "message.delivered": _l("answer received"),
    "message.delivered_late": _l("answer received after the deadline"),
    "document.stored": _l("document added"),
    "document.new_version": _l("new document version"),
    "document.issued": _l("document issued with CSV"),
    "document.signed": _l("document signed"),
    "registry.incoming": _l("incoming registry entry"),
    "registry.receipt_issued": _l("registry receipt issued"),
    "registry.outgoing": _l("outgoing registry entry"),
    "registry.joined_expedient": _l("registry entry joined"),
    "decree.drafted": _l("decree drafted"),
    "decree.draft_updated": _l("decree draft changed"),
    "decree.signed": _l("decree signed"),
    "decree.attested": _l("decree attested by the secretary"),
    "decree.annulled": _l("decree annulled"),
    "decree.book_exported": _l("decree book exported"),
    "notification.made_available": _l("notification made available"),
    "notification.accessed": _l("notification opened by the interested party"),
    "notification.rejected": _l("notification rejected"),
    "notification.expired": _l("notification deemed rejected after 10 days"),
    "notification.postal_attempt": _l("postal delivery attempt recorded"),
    "notification.publication_pending": _l("notification pending publication in the Tauler Edictal Únic"),
    "signature.requested": _l("signatures requested"),
    "signature.signed": _l("signed"),
    "signature.returned": _l("returned without signing"),
    "signature.completed": _l("all signatures done"),
    "eni.exported": _l("exported in ENI format"),
    "eni.imported": _l("imported from ENI"),
    "eni.migration_started": _l("migration from another tool started"),
    "eni.migration_finished": _l("migration from another tool finished"),
    "party.created": _l("interested party registered"),
    "party.updated": _l("interested party changed"),
}


def action_label(action: str) -> str:
    """The label of an audit action; an unknown one is shown readably rather than hidden."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action.replace(".", ": ").replace("_", " ")
