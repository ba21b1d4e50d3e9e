"""What a signer reads before signing: the signatures a document already carries from our
circuits, and whether the step in hand is the secretary's attestation of a decree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.signatures.circuits import step_signer
from engine.signatures.models import RequestState, SignatureRequest, SignatureStep
from engine.tenancy.models import Role


@dataclass(frozen=True)
class MadeSignature:
    """One signature already on the document: who signed it (name) and when."""

    signer: str
    signed_at: datetime


def attests_decree(step: SignatureStep) -> bool:
    """The step is the secretary's attestation (fe pública) of a decree: the alcalde signs a
    decree first, so by the time a secretary's step is the current one the decree is numbered."""
    return step.request.decree_id is not None and step.role == Role.SECRETARI.value


def signatures_made(ctx: Context, request: SignatureRequest) -> list[MadeSignature]:
    """The signatures already made on the document ``request`` is for, oldest first. A decree's
    signatures may come from an earlier circuit (the alcalde signed, the secretary returned it,
    and only the attestation was sent again), so all the circuits of the decree are read."""
    same = (SignatureRequest.decree_id == request.decree_id if request.decree_id is not None
            else SignatureRequest.id == request.id)
    stmt = (select(SignatureStep).join(SignatureRequest, SignatureRequest.id == SignatureStep.request_id)
            .where(SignatureStep.tenant_id == ctx.tenant_id, SignatureStep.state == RequestState.SIGNED.value,
                   SignatureStep.signed_at.is_not(None), same)
            .order_by(SignatureStep.signed_at, SignatureStep.id))  # fmt: skip
    steps = db.session.execute(stmt).scalars().all()
    return [MadeSignature(step_signer(s), s.signed_at) for s in steps if s.signed_at is not None]
