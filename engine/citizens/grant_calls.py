"""The municipality's calls for grants as e-office choices (``"x-choices": "grant_calls"``).

A call (procedure ``subvencio_convocatoria``) is open for applications from the day after its
extract is published in the BOP (``data_publicacio_bop``, art. 20.8 LGS; art. 30 Ley 39/2015)
until the last day of its term (``fi_sollicituds``). The select offers the calls whose procedure
is running and whose publication is recorded: open ones, and those whose term has closed (so a
late applicant still can file, warned in the option's words). At filing:

* a number that is not a call of this municipality, or a call not published or not open yet, is
  refused beside the field: there is no application term running to file in;
* after the term, the application is still registered — the registry cannot refuse a filing
  (arts. 16.1 and 16.4 Ley 39/2015) — but it carries ``fora_de_termini`` and the subject says it,
  so the clerk sees it at once: it is to be inadmitted by resolution (art. 21.1), not compared
  with the others (art. 22.1 LGS).

The facts it brings: ``data_publicacio_convocatoria`` (the six-month term to resolve counts from it,
art. 25.4 LGS), ``titol_convocatoria``, ``fi_sollicituds_convocatoria`` and ``fora_de_termini``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.formats import format_day
from engine.base.i18n import _
from engine.citizens.choices import Choice, register_source
from engine.expedients.expedients import Expedient
from engine.process.instances.tasks import show_instance
from engine.process.models import ProcessInstance, ProcessModel, ProcessVersion

SOURCE = "grant_calls"
CALL_PROCESS = "subvencio_convocatoria"


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _call_rows(
    tenant_id: int, *, running_only: bool, number: str | None = None
) -> list[tuple[ProcessInstance, Expedient]]:
    """The calls' processes and expedients (``running_only``: not finished), by number."""
    stmt = (
        select(ProcessInstance, Expedient)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .join(Expedient, Expedient.id == ProcessInstance.expedient_id)
        .where(ProcessInstance.tenant_id == tenant_id, Expedient.tenant_id == tenant_id,
               ProcessModel.key == CALL_PROCESS)
        .order_by(Expedient.number)
    )  # fmt: skip
    ended = ("completed", "cancelled") if running_only else ("cancelled",)
    stmt = stmt.where(ProcessInstance.status.not_in(ended))
    if number is not None:
        stmt = stmt.where(Expedient.number == number)
    return [(row[0], row[1]) for row in db.session.execute(stmt).all()]


def _facts(tenant_id: int, instance: ProcessInstance, expedient: Expedient) -> dict[str, Any]:
    data = show_instance(Context.system(tenant_id, "seu"), instance.id).get("data") or {}
    return {"titol_convocatoria": str(data.get("titol_convocatoria") or expedient.subject),
            "data_publicacio_convocatoria": _as_date(data.get("data_publicacio_bop")),
            "fi_sollicituds_convocatoria": _as_date(data.get("fi_sollicituds"))}  # fmt: skip


def _choice(number: str, facts: dict[str, Any], locale: str, day: date) -> Choice:
    published, last = facts["data_publicacio_convocatoria"], facts["fi_sollicituds_convocatoria"]
    late = last is not None and day > last
    with force_locale(locale):
        if late:
            label = _("%(title)s (%(number)s) — the application term ended on %(day)s: late", title=facts[
                "titol_convocatoria"], number=number, day=format_day(last, locale, long=True))
        elif last is not None:
            label = _("%(title)s (%(number)s) — applications until %(day)s", title=facts["titol_convocatoria"],
                      number=number, day=format_day(last, locale, long=True))
        else:
            label = f"{facts['titol_convocatoria']} ({number})"
        note = _("filed after the application term") if late else None
    stored = {**facts, "data_publicacio_convocatoria": published.isoformat() if published else None,
              "fi_sollicituds_convocatoria": last.isoformat() if last else None, "fora_de_termini": late}
    return Choice(value=number, label=label, facts=stored, note=note)


def _opened(facts: dict[str, Any], day: date) -> bool:
    published = facts["data_publicacio_convocatoria"]
    return published is not None and day > published


def open_calls(tenant_id: int, locale: str, day: date) -> list[Choice]:
    """The calls a citizen may apply to on ``day``: published, their term running or (late) ended,
    their procedure not finished."""
    found = []
    for instance, expedient in _call_rows(tenant_id, running_only=True):
        facts = _facts(tenant_id, instance, expedient)
        if _opened(facts, day):
            found.append(_choice(expedient.number, facts, locale, day))
    return found


def check_call(tenant_id: int, number: str, locale: str, day: date) -> Choice:
    """The call numbered ``number`` as chosen on ``day`` (the filing's effective day), or why not."""
    rows = _call_rows(tenant_id, running_only=False, number=number)
    if not rows:
        raise ValidationFailed(_("There is no call for grants with the number %(number)s in this municipality.",
                                 number=number), field="expedient_convocatoria")  # fmt: skip
    instance, expedient = rows[-1]
    facts = _facts(tenant_id, instance, expedient)
    published = facts["data_publicacio_convocatoria"]
    if published is None:
        raise ValidationFailed(_("This call has not been published yet: applications cannot be filed."),
                               field="expedient_convocatoria")
    if not _opened(facts, day):
        raise ValidationFailed(_("The application term of this call has not started yet: it opens on %(day)s.",
                                 day=format_day(date.fromordinal(published.toordinal() + 1), locale, long=True)),
                               field="expedient_convocatoria")  # fmt: skip
    return _choice(expedient.number, facts, locale, day)


register_source(SOURCE, open_calls, check_call)
