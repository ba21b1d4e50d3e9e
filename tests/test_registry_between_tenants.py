"""An outgoing entry addressed to another administration on the platform arrives as its incoming
entry with the documents and a receipt, both sides linked, all in one unit of work; never
anywhere else (what SIR does between registries)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.documents.documents import Document, read_content, store_document
from engine.expedients.expedients import open_expedient
from engine.registry.between_tenants import send_to_tenant
from engine.registry.entries import RegistryAttachment, RegistryEntry
from engine.tenancy.tokens import create_token
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user

REPORT = b"%PDF-1.4 peticio d'informe tecnic\n"


@pytest.fixture
def platform():
    ajuntament = make_tenant("ajt", "Ajuntament de Sant Prova")
    diputacio = make_tenant("dip", "Diputació de Lleida", dir3="L02000025", ine_code="250000", kind="provincial")
    consell = make_tenant("ccn", "Consell Comarcal de la Noguera", dir3="L07000017", ine_code="250001")
    clerk = make_user("anna", ajuntament, ("tramitador",))
    make_user("dolors", diputacio, ("tramitador",))
    db.session.commit()
    return ajuntament, diputacio, consell, ctx_for(clerk, ajuntament)


def _entries(tenant_id: int) -> list[RegistryEntry]:
    stmt = select(RegistryEntry).where(RegistryEntry.tenant_id == tenant_id).order_by(RegistryEntry.id)
    return list(db.session.execute(stmt).scalars())


def test_the_entry_arrives_at_the_addressed_tenant_only_with_its_documents_and_receipt(platform) -> None:
    ajuntament, diputacio, consell, ctx = platform
    expedient = open_expedient(ctx, "Llicència d'obres: cal informe tècnic")
    doc = store_document(ctx, expedient.id, "peticio.pdf", REPORT, title="Petició d'informe",
                         tipo_documental="TD06", from_administration=True)
    delivery = send_to_tenant(ctx, recipient_tenant_id=diputacio.id, subject="Petició d'assistència tècnica",
                              summary="Informe sobre la llicència", document_ids=[doc.id], expedient_id=expedient.id)
    db.session.commit()
    out, inc = delivery.outgoing, delivery.incoming
    # Sender side: an outgoing entry (S) in the expedient, addressed to the Diputació.
    assert (out.tenant_id, out.direction, out.channel, out.recipient) == (
        ajuntament.id, "S", "interadministrative", "Diputació de Lleida")
    assert out.number.startswith("S/") and out.expedient_id == expedient.id
    # Receiving side: an incoming entry (E) of the Diputació, from the ajuntament.
    assert (inc.tenant_id, inc.direction, inc.sender, inc.subject) == (
        diputacio.id, "E", "Ajuntament de Sant Prova", "Petició d'assistència tècnica")
    assert inc.number.startswith("E/") and inc.summary == "Informe sobre la llicència"
    # Both sides linked.
    assert (out.counterpart_tenant_id, out.counterpart_entry_id, out.counterpart_number) == (
        diputacio.id, inc.id, inc.number)
    assert (inc.counterpart_tenant_id, inc.counterpart_entry_id, inc.counterpart_number) == (
        ajuntament.id, out.id, out.number)
    # The document arrived as a Diputació document with the same bytes, from an administration.
    [attachment] = db.session.execute(select(RegistryAttachment).where(RegistryAttachment.entry_id == inc.id)).scalars()
    copy = db.session.get(Document, attachment.document_id)
    assert copy is not None and copy.tenant_id == diputacio.id and copy.id != doc.id
    assert copy.sha256 == doc.sha256 and copy.title == "Petició d'informe" and copy.from_administration
    assert copy.author == "Ajuntament de Sant Prova"
    # Its receipt is issued by the Diputació; the ajuntament keeps a copy as the acknowledgement.
    receipt = db.session.get(Document, inc.receipt_document_id)
    acknowledgement = db.session.get(Document, out.receipt_document_id)
    assert receipt is not None and receipt.tenant_id == diputacio.id and receipt.csv
    assert acknowledgement is not None and acknowledgement.tenant_id == ajuntament.id
    assert acknowledgement.sha256 == receipt.sha256 and acknowledgement.expedient_id == expedient.id
    assert inc.number.encode() not in REPORT and read_content(ctx, acknowledgement.id)[1].startswith(b"%PDF")
    # Nothing reached the consell comarcal, which was not addressed.
    assert _entries(consell.id) == []
    assert db.session.execute(select(func.count()).select_from(Document)
                              .where(Document.tenant_id == consell.id)).scalar_one() == 0


@pytest.mark.parametrize("recipient", ["own", "missing", "inactive", "not a number"])
def test_a_bad_recipient_is_refused_and_nothing_is_written(platform, recipient) -> None:
    ajuntament, _diputacio, consell, ctx = platform
    consell.active = False
    db.session.commit()
    target = {"own": ajuntament.id, "missing": 999999, "inactive": consell.id, "not a number": "x"}[recipient]
    with pytest.raises(ValidationFailed) as refused:
        send_to_tenant(ctx, recipient_tenant_id=target, subject="Prova")
    assert refused.value.field == "recipient_tenant_id"
    db.session.rollback()
    assert all(_entries(t.id) == [] for t in platform[:3])


def test_the_clerk_sends_it_from_the_registry_page(client, platform) -> None:
    _ajuntament, diputacio, consell, _ctx = platform
    login(client, "anna")
    form = client.get("/registry/send").get_data(as_text=True)
    assert "Diputació de Lleida" in form and "Ajuntament de Sant Prova</option>" not in form
    response = client.post("/registry/send", data={
        "csrf_token": csrf_token(client, "/registry/send"), "recipient_tenant_id": str(diputacio.id),
        "subject": "Petició d'informe jurídic", "tipo_documental": "TD06",
        "files": (io.BytesIO(REPORT), "peticio.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    [incoming] = _entries(diputacio.id)
    assert incoming.subject == "Petició d'informe jurídic" and len(incoming.attachments) == 1
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert incoming.number in shown  # the sender sees the number it got there
    assert _entries(consell.id) == []
    # A refused form keeps what was typed and writes nothing.
    refused = client.post("/registry/send", data={"csrf_token": csrf_token(client, "/registry/send"),
                                                  "recipient_tenant_id": "", "subject": "Sense destinatari"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="Sense destinatari"' in html
    assert re.search(r'id="recipient_tenant_id-error">[^<]+<', html)  # beside the field it names
    unknown = client.post("/registry/send", data={"csrf_token": csrf_token(client, "/registry/send"),
                                                  "recipient_tenant_id": str(diputacio.id), "subject": "Informe",
                                                  "expedient": "2026/999999"})
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and re.search(r'id="expedient-error">[^<]*2026/999999[^<]*<', html)
    assert 'value="2026/999999"' in html and f'value="{diputacio.id}" selected' in html
    assert len(_entries(diputacio.id)) == 1


def test_an_api_client_sends_it_and_a_technician_may_not(client, platform) -> None:
    ajuntament, diputacio, consell, ctx = platform
    doc = store_document(ctx, None, "peticio.pdf", REPORT, title="Petició", tipo_documental="TD06",
                         from_administration=True)
    secret = create_token(ctx, "script").secret
    technician = make_user("toni", ajuntament, ("tecnic",))
    technician_secret = create_token(ctx_for(technician, ajuntament), "script").secret
    db.session.commit()
    body = {"recipient_tenant_id": diputacio.id, "subject": "Petició per API", "document_ids": [doc.id]}
    response = client.post("/api/v1/registry/deliveries", json=body, headers=_bearer(secret))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    [incoming] = _entries(diputacio.id)
    assert answer["their_number"] == incoming.number and answer["recipient"] == "Diputació de Lleida"
    assert answer["entry"]["direction"] == "S" and answer["entry"]["receipt_document_id"] is not None
    # Registering is for clerks, secretaries, mayors and admins.
    refused = client.post("/api/v1/registry/deliveries", json=body, headers=_bearer(technician_secret))
    assert refused.status_code == 403
    # Not to this tenant itself, and nothing reaches a tenant that was not addressed.
    own = client.post("/api/v1/registry/deliveries", json={**body, "recipient_tenant_id": ajuntament.id},
                      headers=_bearer(secret))
    assert own.status_code == 422 and own.get_json()["field"] == "recipient_tenant_id"
    assert len(_entries(diputacio.id)) == 1 and _entries(consell.id) == []


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
