"""A grant call and its applications (Llei 38/2003, concurrència competitiva): what the call's
procedure knows of the applications related to it, so that the committee never retypes them.

* ``gee.expedient_info`` answers the expedient's number and subject (e.g. a call's title).
* ``gee.call_applications`` lists the applications of the call: the related expedients whose
  process waits for the call's resolution (message ``resolucio_convocatoria``: admitted, neither
  desisted nor closed), with the applicant and the amount requested.
* A form field ``{"type": "string", "format": "grant-application"}`` (e.g. each row of the
  committee's scoring) must name one of those applications, once: a mistyped number is refused
  beside its row when the task is completed, before any proposal is generated.
* A date field with ``"x-not-before": "<name>"`` (a date of the process, e.g. the day the bases
  were approved) is refused when earlier than it, and ``"x-not-after": "today"`` when it is in the
  future: a publication is never dated before the act it publishes, nor recorded before it happens.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.events import Event, subscribe
from engine.base.formats import format_day
from engine.base.i18n import _, _l
from engine.expedients import expedients
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, PartyRole
from engine.process.forms.errors import FieldError
from engine.process.forms.filled import filled_fields
from engine.process.instances.messages import AwaitedMessage
from engine.process.instances.service_calls import Call, register_operator
from engine.process.instances.tasks import show_instance
from engine.process.models import ProcessInstance

#: The message each application waits for: the call's single ranked resolution (art. 22.1 LGS).
RESOLUTION_MESSAGE = "resolucio_convocatoria"
#: The form format of a field that names an application of the task's call by its expedient number.
APPLICATION_FORMAT = "grant-application"


def expedient_info(call: Call) -> dict[str, Any]:
    """The expedient's number and subject. Answer: ``{"number", "subject"}``."""
    expedient = expedients.get_expedient(call.ctx, call.expedient_id())
    return {"number": expedient.number, "subject": expedient.subject}


def _waiting_instance(ctx: Context, expedient_id: int) -> int | None:
    """The process of ``expedient_id`` that waits for the call's resolution, if any."""
    rows = db.session.execute(select(AwaitedMessage).where(
        AwaitedMessage.tenant_id == ctx.tenant_id, AwaitedMessage.expedient_id == expedient_id,
        AwaitedMessage.state == "waiting").order_by(AwaitedMessage.id)).scalars()
    return next((row.instance_id for row in rows if row.accepts(RESOLUTION_MESSAGE)), None)


def _applicant(ctx: Context, expedient_id: int) -> str:
    link = db.session.execute(select(ExpedientParty).where(
        ExpedientParty.tenant_id == ctx.tenant_id, ExpedientParty.expedient_id == expedient_id,
        ExpedientParty.role == PartyRole.INTERESSAT.value).order_by(ExpedientParty.id).limit(1)).scalar_one_or_none()
    return link.party.name if link is not None else ""


def _amount_requested(data: Mapping[str, Any]) -> float | int | None:
    filed = data.get("sollicitud")
    for source in (data, filed if isinstance(filed, Mapping) else {}):
        value = source.get("import_sollicitat")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def applications_of(ctx: Context, call_expedient_id: int) -> list[dict[str, Any]]:
    """The admitted applications of a call, by expedient number: ``{"expedient", "sollicitant",
    "import_sollicitat"}`` (the amount is left out when the application does not say it)."""
    call_expedient = expedients.get_expedient(ctx, call_expedient_id)
    found = []
    for other in sorted(call_expedient.related, key=lambda e: e.number):
        instance_id = _waiting_instance(ctx, other.id)
        if instance_id is None:
            continue
        row: dict[str, Any] = {"expedient": other.number, "sollicitant": _applicant(ctx, other.id)}
        amount = _amount_requested(show_instance(ctx, instance_id).get("data") or {})
        if amount is not None:
            row["import_sollicitat"] = amount
        found.append(row)
    return found


def call_applications(call: Call) -> dict[str, Any]:
    """The applications of this call waiting for its resolution. Answer: ``{"sollicituds":
    [{"expedient", "sollicitant", "import_sollicitat"}]}``, by expedient number."""
    return {"sollicituds": applications_of(call.ctx, call.expedient_id())}


# --------------------------------------------------------------------------- the form check


def _application_fields(schema: Mapping[str, Any], data: Any) -> Iterator[tuple[str, Any]]:
    """(field path, value) of every filled field of format ``grant-application``, rows included."""
    for path, _prop, value in filled_fields(schema, data, lambda prop: prop.get("format") == APPLICATION_FORMAT):
        yield path, value


def _problem(ctx: Context, related: Mapping[str, Expedient], number: str, seen: set[str]) -> str | None:
    other = related.get(number)
    if other is None:
        return _("%(number)s is not an application of this call: check the expedient number.", number=number)
    if number in seen:
        return _("The application %(number)s is already in another row.", number=number)
    if _waiting_instance(ctx, other.id) is None:
        return _("The application %(number)s is not admitted (desisted, closed or not yet complete): it does not "
                 "wait for the call's resolution.", number=number)
    return None


@subscribe(Event.TASK_SUBMITTED)
def check_application_fields(
    ctx: Context, schema: Mapping[str, Any] | None, data: Mapping[str, Any], expedient_id: int | None
) -> None:
    """Refuse a field of format ``grant-application`` that does not name an admitted application of
    the task's call (an expedient related to it, waiting for its resolution), or names one twice."""
    fields = list(_application_fields(schema or {}, data))
    if not fields:
        return
    related = {} if expedient_id is None else {
        e.number: e for e in expedients.get_expedient(ctx, expedient_id).related}
    details: list[FieldError] = []
    seen: set[str] = set()
    for path, value in fields:
        number = " ".join(str(value or "").split())
        problem = _problem(ctx, related, number, seen)
        seen.add(number)
        if problem:
            details.append(FieldError(path, problem))
    if details:
        raise ValidationFailed(_l("Some fields are not valid."), field=details[0].field, details=details)


# --------------------------------------------------------------------------- dates in order


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _process_data(ctx: Context, expedient_id: int, name: str) -> dict[str, Any]:
    """The data of the expedient's unfinished process that knows ``name`` (newest first)."""
    ids = db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.tenant_id == ctx.tenant_id, ProcessInstance.expedient_id == expedient_id,
        ProcessInstance.status.not_in(("completed", "cancelled"))).order_by(ProcessInstance.id.desc())).scalars()
    for instance_id in ids:
        data = show_instance(ctx, instance_id).get("data") or {}
        if name in data:
            return data
    return {}


@subscribe(Event.TASK_SUBMITTED)
def check_dates_in_order(
    ctx: Context, schema: Mapping[str, Any] | None, data: Mapping[str, Any], expedient_id: int | None
) -> None:
    """Refuse a date of the form before the process date its ``x-not-before`` names, or after today
    when its ``x-not-after`` is ``today``."""
    details = []
    for key, prop in ((schema or {}).get("properties") or {}).items():
        given = _as_date(data.get(key)) if isinstance(prop, Mapping) else None
        if given is None:
            continue
        before = prop.get("x-not-before")
        if isinstance(before, str) and expedient_id is not None:
            earliest = _as_date(_process_data(ctx, expedient_id, before).get(before))
            if earliest is not None and given < earliest:
                details.append(FieldError(key, _("This date cannot be before %(day)s, the date of the act it "
                                                 "follows.", day=format_day(earliest, ctx.locale or "ca", long=True))))
                continue
        if prop.get("x-not-after") == "today" and given > local_date(utcnow()):
            details.append(FieldError(key, _("This date cannot be in the future: record it once it has happened.")))
    if details:
        raise ValidationFailed(_l("Some fields are not valid."), field=details[0].field, details=details)


register_operator("gee.expedient_info", expedient_info)
register_operator("gee.call_applications", call_applications)
