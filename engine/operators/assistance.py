"""``gee.request_assistance`` and ``gee.return_assistance``: a report asked of the Diputació or the
consell comarcal and sent back signed (:mod:`engine.assistance.requests`).

The registry acts for the procedure (a system context of the tenant, named after the person
who advanced it), whoever completed the step before: a technician who signed a report need
not hold a registry role."""

from __future__ import annotations

from typing import Any

from engine.assistance import requests as assistance
from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.i18n import _l
from engine.process.instances.service_calls import Call, ServiceError, register_operator


def _acting(call: Call) -> Context:
    return Context.system(call.ctx.tenant_id, f"procediment/{call.ctx.username}"[:100])


def _document_ids(value: Any) -> list[int]:
    """A document id, a ``gee.generate_document`` answer, or a list of either."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    try:
        return [int(item["document_id"] if isinstance(item, dict) else item) for item in items]
    except (KeyError, TypeError, ValueError):
        raise ServiceError(_l("documents must be document ids, got %(value)s", value=repr(value))) from None


def request_assistance(call: Call) -> dict[str, Any]:
    """Ask the assisting body with tenant code ``destinatari`` (a Diputació or a consell
    comarcal of the platform) for a report (``tipus``: tecnic or juridic) answering
    ``pregunta``, with the expedient's ``documents``; then wait for the message
    ``informe_assistencia``. Answer: ``{"registry_number", "registered_on", "their_number"}``."""
    entry = assistance.request_assistance(
        _acting(call), call.expedient_id(), to_code=str(call.param("destinatari") or ""),
        question=str(call.param("pregunta") or ""), report_kind=str(call.param("tipus") or "tecnic"),
        document_ids=_document_ids(call.param("documents")))  # fmt: skip
    return {"registry_number": entry.number, "registered_on": local_date(entry.presented_at).isoformat(),
            "their_number": entry.counterpart_number}  # fmt: skip


def return_assistance(call: Call) -> dict[str, Any]:
    """Send the signed report ``document_id`` back to the administration whose request opened
    this expedient, into its expedient, and resume its procedure. Answer:
    ``{"registry_number", "their_number", "resumed"}``."""
    ids = _document_ids(call.param("document_id"))
    if len(ids) != 1:
        raise ServiceError(_l("document_id must name the one signed report"))
    returned = assistance.return_report(_acting(call), call.expedient_id(), ids[0])
    return {"registry_number": returned.outgoing.number, "their_number": returned.incoming.number,
            "resumed": returned.resumed_instance_id is not None}  # fmt: skip


register_operator("gee.request_assistance", request_assistance, ("destinatari", "pregunta"), ("tipus", "documents"),
                  answered_by=assistance.REPORT_MESSAGE)
register_operator("gee.return_assistance", return_assistance, ("document_id",))
