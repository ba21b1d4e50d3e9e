"""Send an outgoing entry to another administration on this platform: it arrives there as an
incoming entry with its documents and receipt (engine.registry.between_tenants)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import GeeError
from engine.base.i18n import _
from engine.documents.documents import TIPO_LABELS, store_document
from engine.expedients.expedients import typed_number
from engine.registry.between_tenants import recipient_tenants, send_to_tenant
from webapp.actions import REFUSALS, field_errors
from webapp.auth import roles_required
from webapp.views.expedients import OPENER_ROLES

bp = Blueprint("registry_exchange", __name__)


#: The DOM ids of the fields of the form, by the names the services give them.
_SEND_FIELDS = {"recipient_tenant_id": "recipient_tenant_id", "subject": "subject", "summary": "summary",
                "expedient": "expedient", "file": "files", "tipo_documental": "tipo_documental"}


@bp.route("/registry/send", methods=["GET", "POST"])
@roles_required(*OPENER_ROLES)
def send() -> Any:
    form = request.form if request.method == "POST" else {}
    error: GeeError | None = None
    if request.method == "POST":
        try:
            number = (form.get("expedient") or "").strip()
            expedient_id = typed_number(g.ctx, number, field="expedient").id if number else None
            documents = [
                store_document(g.ctx, expedient_id, f.filename or "document", f.read(), title=f.filename or "document",
                               tipo_documental=form.get("tipo_documental", "TD06"), from_administration=True).id
                for f in request.files.getlist("files") if f.filename
            ]  # fmt: skip
            delivery = send_to_tenant(g.ctx, recipient_tenant_id=form.get("recipient_tenant_id"),
                                      subject=form.get("subject", ""), summary=form.get("summary") or None,
                                      document_ids=documents, expedient_id=expedient_id)  # fmt: skip
        except REFUSALS as err:
            unit_of_work.discard()
            error = err
        else:
            flash(_("Entry %(number)s sent: it arrived as entry %(their)s of %(tenant)s.",
                    number=delivery.outgoing.number, their=delivery.incoming.number,
                    tenant=delivery.outgoing.recipient), "success")  # fmt: skip
            return redirect(url_for("registry.show", entry_id=delivery.outgoing.id))
    return render_template("registry/send.html", form=form, recipients=recipient_tenants(g.ctx),
                           errors=field_errors(error, _SEND_FIELDS), tipos=TIPO_LABELS), \
        error.status if error else 200
