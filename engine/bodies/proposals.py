"""Proposals (dictàmens) an expedient's procedure sends to a body, and the agreement that flows back.

A procedure step ``gee.propose_to_body`` (a service task) files the proposal; the model then waits
for the message :data:`AGREEMENT_MESSAGE` with an intermediate message catch event. When the
certificate of the agreement is signed (secretary, then the mayor's vistiplau), the agreement is
delivered to the waiting instance under that name — ``{"resultat": "aprovat" | "rebutjat",
"organ", "sessio", "vots", "certificat_document_id", "csv"}`` — and an exclusive gateway routes on
``acord_organ['resultat']``. The process core knows nothing of bodies: it only receives a message.
"""

from __future__ import annotations

from typing import Any, cast

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.bodies.bodies import body_by_code, clean_text
from engine.bodies.models import AgendaItem, Majority, Proposal, ProposalState
from engine.expedients.expedients import Expedient, ensure_open
from engine.process.instances.messages import deliver_in_transaction
from engine.tenancy.scoping import get_owned, scoped

#: The message a procedure waits for after proposing to a body.
AGREEMENT_MESSAGE = "acord_organ"


def propose(ctx: Context, *, body_code: str, expedient_id: int, title: str, text: str,
            majority: str = Majority.SIMPLE.value, instance_id: int | None = None) -> Proposal:
    """File a proposal for a body's next session; ``instance_id`` waits for the agreement."""
    body = body_by_code(ctx, body_code)
    ensure_open(get_owned(Expedient, ctx, expedient_id))
    if majority not in tuple(Majority):
        raise ValidationFailed(_l("The majority must be simple or absolute."), field="majority")
    proposal = Proposal(tenant_id=ctx.tenant_id, body_id=body.id, expedient_id=expedient_id, instance_id=instance_id,
                        title=clean_text(title, "title"), text=clean_text(text, "text", 20000), majority=majority,
                        state=ProposalState.PENDING.value, created_by=ctx.username)
    db.session.add(proposal)
    db.session.flush()
    record(ctx, "body.proposal_filed", "body_proposal", proposal.id, expedient_id=expedient_id,
           after={"body": body.code, "title": proposal.title, "majority": majority})
    return proposal


def pending_proposals(ctx: Context, body_id: int) -> list[Proposal]:
    stmt = scoped(Proposal, ctx).where(Proposal.body_id == body_id, Proposal.state == ProposalState.PENDING.value)
    return cast(list[Proposal], list(db.session.execute(stmt.order_by(Proposal.id)).scalars()))


def agreement_payload(item: AgendaItem, body_code: str, session_label: str, csv: str | None,
                      document_id: int) -> dict[str, Any]:
    return {
        "resultat": "aprovat" if item.result == "approved" else "rebutjat",
        "organ": body_code,
        "sessio": session_label,
        "vots": {"favor": item.votes_for, "contra": item.votes_against, "abstencions": item.abstentions},
        "vot_de_qualitat": {"for": "favor", "against": "contra"}.get(item.casting_vote or ""),
        "certificat_document_id": document_id,
        "csv": csv,
    }


def resume_expedient(ctx: Context, proposal: Proposal, payload: dict[str, Any]) -> None:
    """The agreement goes to the procedure waiting for it (if any); the proposal is decided."""
    proposal.state = ProposalState.DECIDED.value
    db.session.flush()
    if proposal.instance_id is not None:
        deliver_in_transaction(ctx, proposal.instance_id, AGREEMENT_MESSAGE, payload)
    record(ctx, "body.agreement_delivered", "body_proposal", proposal.id, expedient_id=proposal.expedient_id,
           after=payload)
