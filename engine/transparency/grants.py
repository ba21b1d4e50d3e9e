"""Grants awarded (Llei 19/2014 art. 15; Ley 19/2013 art. 8.1.c), read from the resolutions of the
calls run with the shipped procedure ``subvencio_convocatoria`` once the resolution is published (its
task *Publicar la resolució* done): the ranked result the call told each application.

Beneficiaries that are legal persons or entities (a CIF) are named. Natural persons are not: Llei 19/2014
art. 15 does not settle it and data protection weighs against it, so the row says only that the
beneficiary is a natural person (the amount and the call stay public)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, PartyKind, PartyRole
from engine.process.instances.tasks import show_instance
from engine.process.models import ProcessInstance, ProcessModel, ProcessVersion
from engine.tenancy.models import Tenant

#: The shipped procedure whose resolutions are read.
CALL_PROCESS = "subvencio_convocatoria"


def _beneficiary(tenant_id: int, expedient_number: str) -> tuple[str | None, str]:
    """(name if an entity, else None; ``entity`` or ``person``) of an application's interested party."""
    stmt = (select(ExpedientParty).join(Expedient, ExpedientParty.expedient_id == Expedient.id)
            .where(Expedient.tenant_id == tenant_id, Expedient.number == expedient_number,
                   ExpedientParty.role == PartyRole.INTERESSAT.value)
            .order_by(ExpedientParty.id))
    link = db.session.execute(stmt).scalars().first()
    if link is None or link.party.kind != PartyKind.ENTITY:
        return None, PartyKind.PERSON.value
    return link.party.name, PartyKind.ENTITY.value


def _published_calls(tenant: Tenant) -> list[dict[str, Any]]:
    """The data of every finished call of the tenant whose resolution was published, newest first."""
    stmt = (select(ProcessInstance.id)
            .join(ProcessVersion, ProcessInstance.process_version_id == ProcessVersion.id)
            .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
            .where(ProcessInstance.tenant_id == tenant.id, ProcessModel.key == CALL_PROCESS,
                   ProcessInstance.status == "completed")
            .order_by(ProcessInstance.completed_at.desc()))
    ctx = Context.system(tenant.id, "transparency")
    calls = [show_instance(ctx, instance_id)["data"] for instance_id in db.session.execute(stmt).scalars()]
    return [data for data in calls if data.get("data_publicacio_resolucio")]


def grants(tenant: Tenant) -> list[dict[str, Any]]:
    """One row per grant awarded: the call (its purpose), BDNS code, decree, publication, beneficiary, amount."""
    rows = []
    for call in _published_calls(tenant):
        for result in call.get("ranquing") or []:
            if result.get("sentit") != "concedir":
                continue
            name, kind = _beneficiary(tenant.id, str(result.get("expedient")))
            rows.append({"purpose": call.get("titol_convocatoria"), "bdns_code": call.get("codi_bdns"),
                         "decree": (call.get("doc_decret") or {}).get("number"),
                         "published_on": str(call["data_publicacio_resolucio"]), "beneficiary": name,
                         "beneficiary_kind": kind, "amount": result.get("import_concedit")})
    return rows
