"""Administració → Registre d'auditoria: the municipality's audit trail for its administrators and its
secretary (fe pública), filtered by who, what, when and expedient, a page at a time, and its CSV export.

Bad input (a wrong date, an unknown expedient number, a bogus page) is explained beside its field
with the form (422; 200 to htmx, which swaps only successful answers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request, stream_with_context
from werkzeug.datastructures import MultiDict

from engine.audit.browse import TrailFilters
from engine.audit.labels import ACTION_LABELS, action_label
from engine.audit.trail import AuditEvent
from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.dossier import audit_trail
from engine.expedients.party_changes import party_change_words
from engine.tenancy.models import Tenant
from webapp.auth import roles_required
from webapp.inputs import date_value, int_arg, search_text
from webapp.navigation import NavItem

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

READERS = tuple(sorted(audit_trail.READERS))

NAV = [NavItem("audit.index", _l("Audit trail"), roles=READERS, order=88, menu="admin")]

#: The query-string fields of the filter form, kept in the paging and CSV links.
FIELDS = ("user", "actor", "action", "since", "until", "number")


def _filters(args: MultiDict[str, str]) -> tuple[TrailFilters, dict[str, str], dict[str, str]]:
    """The filters asked for, the form as typed (to show it again) and field -> error message."""
    form = {name: search_text(args.get(name), 100).strip() for name in FIELDS}
    errors: dict[str, str] = {}

    def parsed(name: str, parse: Callable[[str], Any]) -> Any:
        if not form[name]:
            return None
        try:
            return parse(form[name])
        except (ValidationFailed, NotFound) as err:
            errors[name] = str(err)
            return None

    since = parsed("since", lambda v: date_value(v, "since"))
    until = parsed("until", lambda v: date_value(v, "until"))
    if since and until and until < since:
        errors["until"] = str(_l("The last day is before the first day."))
    filters = TrailFilters(
        user_id=parsed("user", lambda v: int_arg(v, field="user", low=1)), actor=form["actor"],
        action=form["action"], since=since, until=until,
        expedient_id=parsed("number", lambda v: audit_trail.expedient_id_of(g.ctx, v)),
    )
    return filters, form, errors


def _actions(chosen: str) -> list[tuple[str, str]]:
    """(code, words) of the actions to choose from, by their words; one typed in the address that
    the list does not name is kept, so the form shows what the page filters by."""
    codes = set(ACTION_LABELS) | ({chosen} if chosen else set())
    return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1].casefold())


def _change_words(event: AuditEvent) -> str | None:
    """What an event changed, in the words the expedient's history uses, where the label alone does not
    say it (a party's change: whose, and which of its data); None for the rest."""
    if event.action == "party.updated":
        return party_change_words(event.before, event.after)
    return None


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@bp.get("/")
@roles_required(*READERS)
def index() -> Any:
    filters, form, errors = _filters(request.args)
    try:
        after = int_arg(request.args.get("after"), field="after", low=1)
    except ValidationFailed as err:
        after, errors["after"] = None, str(err)
    trail = None if errors else audit_trail.page(g.ctx, filters, after)
    htmx = bool(request.headers.get("HX-Request"))
    template = "audit/_trail.html" if htmx else "audit/index.html"
    html = render_template(template, trail=trail, filters=filters, form=form, errors=errors,
                           links={k: v for k, v in form.items() if v}, older_page=after is not None,
                           people=audit_trail.people(g.ctx), actions=_actions(form["action"]),
                           pretty=_pretty, change_words=_change_words)  # fmt: skip
    return html, 422 if errors and not htmx else 200


@bp.get("/events.csv")
@roles_required(*READERS)
def export() -> Any:
    """Every event matching the filters as CSV, streamed: an auditor's export."""
    filters, _form, errors = _filters(request.args)
    if errors:
        raise ValidationFailed(next(iter(errors.values())))
    tenant = db.session.get(Tenant, g.ctx.tenant_id)
    if tenant is None:
        abort(404)
    response = Response(stream_with_context(audit_trail.csv_lines(g.ctx, filters)), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"audit-{tenant.code}-{local_date(utcnow()).isoformat()}.csv")
    return response
