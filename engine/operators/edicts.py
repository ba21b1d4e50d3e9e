"""``gee.publish_edict``: a procedure publishes an act on the municipality's notice board (tauler
d'edictes) with its signed documents, for some working days; the answer gives the edict, its first
and last day and a ``timer`` for a timeDate (e.g. the 10 working days of allegations against a
provisional proposal, art. 24.4 Llei 38/2003, or a resolution published instead of notified to each
person, art. 45.1.b Ley 39/2015)::

    <bpmn:serviceTask id="S_publicar" name="Publicar la proposta al tauler">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="gee.publish_edict" resultVariable="edicte">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="titol" type="any" value="'Proposta de resolució provisional'" />
            <spiffworkflow:parameter id="text" type="any" value="text_edicte" />
            <spiffworkflow:parameter id="dies" type="any" value="10" />
            <spiffworkflow:parameter id="document_ids" type="any" value="[signatura['document_id']]" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <!-- a timer catch event: timeDate edicte['timer']; the publication date is edicte['starts_on'] -->

The edict starts today (the day the step runs): the publication date is the edict's, never a typed one.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from engine.base.clock import MADRID, local_date, utcnow
from engine.base.errors import GeeError
from engine.base.i18n import _l
from engine.noticeboard.edicts import publish
from engine.process.instances.service_calls import Call, ServiceError, register_operator


def _document_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ServiceError(_l("document_ids must be a list of document ids"))
    return [int(v) for v in value]


def publish_edict(call: Call) -> dict[str, Any]:
    """Publish ``titol`` / ``text`` on the notice board from today for ``dies`` working days (counted
    from the next day, Ley 39/2015 art. 30) with the expedient's documents ``document_ids``. Answer:
    ``{"edict_id", "starts_on", "ends_on", "timer"}`` (``timer``: the end of the last day in Spain)."""
    try:
        edict = publish(call.ctx, call.expedient_id(), title=str(call.param("titol")), text=str(call.param("text")),
                        starts_on=local_date(utcnow()), working_days=int(call.param("dies")),
                        document_ids=_document_ids(call.param("document_ids")))
    except (GeeError, ValueError, TypeError) as err:
        raise ServiceError(getattr(err, "message", None) or str(err)) from None
    timer = datetime.combine(edict.ends_on, time(23, 59, 59), tzinfo=MADRID).isoformat()
    return {"edict_id": edict.id, "starts_on": edict.starts_on.isoformat(), "ends_on": edict.ends_on.isoformat(),
            "timer": timer}


register_operator("gee.publish_edict", publish_edict, ("titol", "text", "dies"), ("document_ids",))
