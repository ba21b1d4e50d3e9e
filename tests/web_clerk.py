"""A municipality with a clerk, a secretary and a mayor, the shipped instància genèrica deployed,
and a second municipality whose ids must never open anything here (clerk web tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask.testing import FlaskClient

from engine.base.db import db
from engine.base.settings import PROJECT_ROOT
from engine.documents.documents import Document, issue_document, store_document
from engine.process.definition.deploy import deploy_process
from engine.process.models import HumanTask, ProcessModel
from engine.registry.open_expedient import Opened, PartyInput, open_and_start
from engine.tenancy.models import Tenant, User
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user

INSTANCIA = PROJECT_ROOT / "processes" / "instancia_generica.bpmn"


@dataclass
class World:
    tenant: Tenant
    clerk: User
    secretary: User
    mayor: User
    technician: User
    other_tenant: Tenant
    outsider: User
    model: ProcessModel


def make_world() -> World:
    tenant = make_tenant()
    other = make_tenant(code="altre", name="Ajuntament d'Altre", dir3="L01258888", ine_code="258888")
    world = World(
        tenant=tenant,
        clerk=make_user("anna", tenant, ("tramitador",), full_name="Anna Puig"),
        secretary=make_user("sergi", tenant, ("secretari",), full_name="Sergi Roca"),
        mayor=make_user("alba", tenant, ("alcalde",), full_name="Alba Mas"),
        technician=make_user("toni", tenant, ("tecnic",), full_name="Toni Vila"),
        other_tenant=other,
        outsider=make_user("oriol", other, ("tramitador", "secretari", "admin"), full_name="Oriol Altre"),
        model=None,  # type: ignore[arg-type]
    )
    result = deploy_process(None, INSTANCIA, shared=True)
    assert result.ok, result.problems
    db.session.commit()
    world.model = result.version.model
    return world


def open_case(world: World, subject: str = "Sol·licitud de certificat", nif: str = "12345678Z",
              name: str = "Maria Garcia", user: User | None = None, tenant: Tenant | None = None) -> Opened:
    ctx = ctx_for(user or world.clerk, tenant or world.tenant)
    return open_and_start(ctx, process_model_id=world.model.id, subject=subject, party=PartyInput(nif, name))


def their_issued_document(world: World, content: bytes) -> tuple[Opened, Document]:
    """An expedient of the neighbouring town with an issued document: ids that must open nothing here."""
    theirs = open_case(world, user=world.outsider, tenant=world.other_tenant, nif="00000000T", name="Pere Altre")
    their_ctx = ctx_for(world.outsider, world.other_tenant)
    doc = store_document(their_ctx, theirs.expedient.id, "r.pdf", content, title="R", tipo_documental="TD01",
                         from_administration=True)
    issue_document(their_ctx, doc.id)
    return theirs, doc


def ready_task(expedient_id: int) -> HumanTask:
    return db.session.execute(
        db.select(HumanTask).where(HumanTask.expedient_id == expedient_id, HumanTask.state == "ready")
    ).scalar_one()


def login_en(client: FlaskClient, username: str) -> None:
    """Log in and switch the pages to English, so assertions read the English source text."""
    login(client, username)
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/"), "next": "/"})


def token(client: FlaskClient, path: str = "/") -> str:
    return csrf_token(client, path)


def field_error(html: str, dom_id: str) -> str | None:
    match = re.search(rf'id="{re.escape(dom_id)}-error">([^<]*)<', html)
    return match.group(1).strip() if match else None
