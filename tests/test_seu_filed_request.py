"""A request filed on the e-office is a document of its expedient: the sol·licitud (ENI TD14), printed
by the job that issues the receipt, with what the citizen filled in, what they attached and how they
identified themselves; the citizen finds it in her folder and the clerk in the expedient."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.citizens.identity import identity_from_claims
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.registry.entries import RECEIPT_TIPO, RegistryEntry
from engine.registry.receipt_job import receipt_job_id
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, login, make_user
from tests.services import run_queued_jobs
from tests.test_seu import PDF, _file, citizen_login, esmena_version

REQUEST_TIPO = "TD14"


@pytest.fixture
def town(tenant: Tenant) -> Tenant:
    esmena_version(tenant.id)
    return tenant


def _requests() -> list[Document]:
    db.session.expire_all()
    return list(db.session.execute(select(Document).where(Document.tipo_documental == REQUEST_TIPO)).scalars())


def _count(tipo: str) -> int:
    return db.session.execute(select(func.count()).select_from(Document).where(Document.tipo_documental == tipo)
                              ).scalar_one()  # fmt: skip


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _digest_printed(digest: str, text: str) -> bool:
    """The digest is printed small and may wrap: read without the line breaks."""
    return digest in re.sub(r"\s", "", text)


def test_the_filed_request_is_a_document_of_the_expedient(client: FlaskClient, town: Tenant) -> None:
    citizen_login(client, town.code)
    response = _file(client, town)
    assert response.status_code == 302, response.get_data(as_text=True)
    run_queued_jobs()  # the receipt's job prints the request too (in-process without Redis: already done)
    entry = db.session.execute(select(RegistryEntry)).scalar_one()
    expedient = db.session.execute(select(Expedient)).scalar_one()
    [request] = _requests()
    assert request.expedient_id == expedient.id and request.title == f"Sol·licitud {entry.number}"
    assert request.from_administration is False  # presented by the citizen (ENI origin)
    assert request.csv and request.issued  # its integrity can be checked by the code printed on it
    attachment = db.session.execute(select(Document).where(Document.file_name == "plànol.pdf")).scalar_one()

    # The citizen downloads it from her folder.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Sol·licitud {entry.number}" in page and f"/seu/{town.code}/documents/{request.id}" in page
    text = _text(client.get(f"/seu/{town.code}/documents/{request.id}").data)
    assert "Sol·licitud" in text and "Instància genèrica" in text and town.name in text
    assert entry.number in text and "Data i hora de presentació" in text
    assert "Maria Puig i Serra — 12345678Z" in text  # the interested party
    # every field she filled in, in its words, with her value
    filled = (("Assumpte", "Gual permanent"), ("Exposo (fets i motius)", "Tinc un garatge al carrer Major 3."),
              ("Sol·licito", "Una placa de gual permanent."))  # fmt: skip
    for words, value in filled:
        assert f"{words} {value}" in text
    assert "plànol.pdf" in text and _digest_printed(attachment.sha256, text)
    # how she expressed her will: the identification recorded, not a signature it is not
    assert "Maria Puig i Serra (NIF 12345678Z) es va identificar a la seu electrònica mitjançant" in text
    assert "/dev-idp" in text  # the development identity provider vouched for her
    assert "No conté la seva signatura electrònica" in text and request.csv in text

    # The clerk finds it among the expedient's documents.
    make_user("clerk", town, ("tramitador",))
    db.session.commit()
    staff = client.application.test_client()
    login(staff, "clerk")
    show = staff.get(f"/expedients/{expedient.id}").get_data(as_text=True)
    assert f"Sol·licitud {entry.number}" in show


def test_without_redis_the_request_is_there_when_the_page_answers(
    client: FlaskClient, town: Tenant, without_redis: None
) -> None:
    citizen_login(client, town.code)
    response = _file(client, town)
    assert response.status_code == 302
    assert len(_requests()) == 1 and _count(RECEIPT_TIPO) == 1


def test_with_workers_the_request_follows_and_a_retried_job_stores_it_once(
    client: FlaskClient, town: Tenant, with_redis: str
) -> None:
    from redis import Redis
    from rq.job import Job

    from engine.base.jobs import run_job

    citizen_login(client, town.code)
    assert _file(client, town).status_code == 302
    assert _requests() == []  # the filing answered before anything was printed
    entry = db.session.execute(select(RegistryEntry)).scalar_one()
    job = Job.fetch(receipt_job_id(entry.id), connection=Redis.from_url(with_redis))
    run_job(*job.args)  # a first run that, say, a retry repeats
    run_job(*job.args)
    run_queued_jobs()
    assert len(_requests()) == 1 and _count(RECEIPT_TIPO) == 1


def test_a_request_filed_in_spanish_is_in_spanish(client: FlaskClient, town: Tenant) -> None:
    citizen_login(client, town.code)
    client.post("/locale", data={"locale": "es", "csrf_token": csrf_token(client, f"/seu/{town.code}/")})
    assert _file(client, town).status_code == 302
    run_queued_jobs()
    entry = db.session.execute(select(RegistryEntry)).scalar_one()
    [request] = _requests()
    assert request.title == f"Solicitud {entry.number}"
    text = _text(client.get(f"/seu/{town.code}/documents/{request.id}").data)
    assert "Instancia genérica" in text and "Expongo (hechos y motivos) Tinc un garatge al carrer Major 3." in text
    assert "se identificó en la sede electrónica" in text and "Huella SHA-256" in text


def test_a_representative_finds_the_request_she_filed(client: FlaskClient, town: Tenant) -> None:
    citizen_login(client, town.code)
    response = _file(client, town, {"on_behalf": "1", "represented_nif": "B12345674",
                                    "represented_name": "Fusteria Serra SL"})  # fmt: skip
    assert response.status_code == 302
    run_queued_jobs()
    [request] = _requests()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="unaccredited"' in page  # she sees only what she presented: the request is part of it
    assert f"/seu/{town.code}/documents/{request.id}" in page
    text = _text(client.get(f"/seu/{town.code}/documents/{request.id}").data)
    assert "Fusteria Serra SL — B12345674" in text and "Representant Maria Puig i Serra — 12345678Z" in text
    assert "Maria Puig i Serra (NIF 12345678Z) es va identificar" in text  # who was identified: her


def test_someone_else_cannot_download_the_request(client: FlaskClient, app: Flask, town: Tenant) -> None:
    citizen_login(client, town.code)
    assert _file(client, town).status_code == 302
    run_queued_jobs()
    [request] = _requests()
    other = app.test_client()
    citizen_login(other, town.code, nif="87654321X", name="Jordi Pons")
    assert other.get(f"/seu/{town.code}/documents/{request.id}").status_code == 404


def test_the_filing_button_says_what_it_does(client: FlaskClient, town: Tenant) -> None:
    citizen_login(client, town.code)
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, f"/seu/{town.code}/")})
    form = client.get(f"/seu/{town.code}/tramits/instancia_generica/sollicitud").get_data(as_text=True)
    assert "File the request" in form and "Sign" not in form


def test_the_identity_provider_and_method_are_kept_from_the_claims() -> None:
    citizen = identity_from_claims({"iss": "https://idp.example.org", "nif": "12345678Z", "name": "Maria Puig",
                                    "amr": ["cert"]})  # fmt: skip
    assert (citizen.issuer, citizen.method) == ("https://idp.example.org", "cert")
    assert identity_from_claims({"nif": "12345678Z", "name": "Maria Puig"}).issuer is None


def test_an_attachment_is_not_taken_for_the_request(client: FlaskClient, town: Tenant) -> None:
    citizen_login(client, town.code)
    named_alike = f"sollicitud-E-{local_date(utcnow()).year}-000001.pdf"  # as the request will be
    assert _file(client, town, files=[(io.BytesIO(PDF), named_alike)]).status_code == 302
    run_queued_jobs()
    [request] = _requests()  # the attachment stays what it is
    assert request.file_name == named_alike and request.content_type == "application/pdf" and request.csv
    attachment = db.session.execute(select(Document).where(Document.tipo_documental == "TD99")).scalar_one()
    assert attachment.file_name == named_alike and attachment.csv is None
