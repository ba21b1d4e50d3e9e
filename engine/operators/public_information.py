"""The public-information block (Ley 39/2015 art. 83): ``gee.public_information`` publishes the edict
and answers when its term ends; a timer waits until then; ``gee.allegations`` lists what was filed::

    <bpmn:serviceTask id="Info_publica" name="Informació pública">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="gee.public_information" resultVariable="informacio_publica">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="titol" type="str" value="'Informació pública del projecte'" />
            <spiffworkflow:parameter id="text" type="str" value="text_edicte" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <!-- a timer catch event: timeDate informacio_publica['timer'] -->
    <!-- then gee.allegations with edict_id = informacio_publica['edict_id'] -->
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from engine.base.clock import MADRID, local_date, utcnow
from engine.base.errors import GeeError
from engine.noticeboard.public_information import (
    MINIMUM_WORKING_DAYS,
    allegations_summary,
    open_public_information,
)
from engine.process.instances.service_calls import Call, ServiceError, register_operator


def public_information(call: Call) -> dict[str, Any]:
    """Publish ``titol`` / ``text`` on the notice board from today for ``dies`` working days (at least
    20) with the expedient's ``document_ids``. Answer: ``{"edict_id", "ends_on", "timer"}`` (``timer``:
    the end of the last day in Spain, for a timeDate)."""
    try:
        edict = open_public_information(
            call.ctx, call.expedient_id(), title=str(call.param("titol")), text=str(call.param("text")),
            starts_on=local_date(utcnow()), working_days=int(call.param("dies") or MINIMUM_WORKING_DAYS),
            document_ids=[int(d) for d in call.param("document_ids") or []])
    except (GeeError, ValueError, TypeError) as err:
        raise ServiceError(getattr(err, "message", None) or str(err)) from None
    timer = datetime.combine(edict.ends_on, time(23, 59, 59), tzinfo=MADRID).isoformat()
    return {"edict_id": edict.id, "ends_on": edict.ends_on.isoformat(), "timer": timer}


def allegations(call: Call) -> dict[str, Any]:
    """The allegations filed against edict ``edict_id``. Answer: ``{"count", "on_time", "allegations":
    [{"registry_number", "name", "late"}]}``."""
    try:
        return allegations_summary(call.ctx, int(call.param("edict_id")))
    except (GeeError, ValueError, TypeError) as err:
        raise ServiceError(getattr(err, "message", None) or str(err)) from None


register_operator("gee.public_information", public_information, ("titol", "text"), ("dies", "document_ids"))
register_operator("gee.allegations", allegations, ("edict_id",))
