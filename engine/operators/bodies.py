"""The ``gee.propose_to_body`` operator: a procedure sends a proposal to a collegiate body.

::

    <bpmn:serviceTask id="Proposar_ple" name="Proposar al Ple">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="gee.propose_to_body" resultVariable="proposta_organ">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="organ" type="str" value="'ple'" />
            <spiffworkflow:parameter id="titol" type="str" value="'Aprovació del projecte'" />
            <spiffworkflow:parameter id="text" type="str" value="proposta_text" />
            <spiffworkflow:parameter id="majoria" type="str" value="'simple'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>

Then wait for the message ``acord_organ`` (an intermediate message catch event) and route on
``acord_organ['resultat'] == 'aprovat'``. See :mod:`engine.bodies.proposals`.
"""

from __future__ import annotations

from typing import Any

from engine.base.errors import GeeError
from engine.bodies.proposals import propose
from engine.process.instances.service_calls import Call, ServiceError, register_operator


def propose_to_body(call: Call) -> dict[str, Any]:
    """File a proposal for body ``organ`` (its code: ple, jgl...) with ``titol``, ``text`` and
    optional ``majoria`` (simple | absolute). Answer: ``{"proposal_id", "organ"}``."""
    majority = str(call.param("majoria") or "simple").replace("absoluta", "absolute")
    try:
        proposal = propose(call.ctx, body_code=str(call.param("organ")), expedient_id=call.expedient_id(),
                           title=str(call.param("titol")), text=str(call.param("text")), majority=majority,
                           instance_id=call.binding.instance.id)
    except GeeError as err:
        raise ServiceError(getattr(err, "message", None) or str(err)) from None
    return {"proposal_id": proposal.id, "organ": str(call.param("organ"))}


register_operator("gee.propose_to_body", propose_to_body, ("organ", "titol", "text"), ("majoria",))
