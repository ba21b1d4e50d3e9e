"""The act that created the municipality's CSV system (RegulacionGeneracionCSV, Ley 40/2015 art.
42.b; NTI de Documento Electrónico): the tenant administrator names it, the ENI export and the
public verification page cite it; until it is named they cite the law and the admin page says so."""

from __future__ import annotations

from flask.testing import FlaskClient
from lxml import etree

from engine.base.db import db
from engine.documents.documents import issue_document
from engine.eni.export import export_expedient
from engine.eni.namespaces import q
from engine.eni.schema import schema
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, login, make_user
from tests.test_signatures_helpers import pdf_document, town

ACT = "Decret d'alcaldia 15/2026, de 3 de febrer, de creació del sistema de codi segur de verificació"
LAW = "Ley 40/2015, de 1 de octubre, art. 42.b"


def _issued_csv_regulations(people: dict) -> tuple[str, list[str]]:
    """Export an expedient with one issued document; the XSD-valid package's CSV regulations."""
    clerk = people["clerk"]
    party = find_or_create_party(clerk, "12345678Z", "Pere Interessat")
    expedient = open_expedient(clerk, "Instància genèrica", party_ids=[party.id])
    db.session.commit()
    doc = pdf_document(clerk, expedient.id, "Resposta", title="Resposta a la sol·licitud")
    issue_document(clerk, doc.id)
    db.session.commit()
    package = etree.fromstring(export_expedient(clerk, expedient.id))
    documents = package.findall(q("enidoc", "documento"))
    for element in documents:
        assert schema("DocumentoEni.xsd").validate(etree.ElementTree(element)), schema("DocumentoEni.xsd").error_log
    found = [e.text or "" for e in package.iter(q("enids", "RegulacionGeneracionCSV"))]
    return str(doc.csv), found


def _admin(client: FlaskClient, tenant: Tenant) -> None:
    make_user("admina", tenant, roles=("admin",))
    db.session.commit()
    login(client, "admina")


def test_until_named_the_law_is_cited_and_the_admin_page_flags_it(client: FlaskClient) -> None:
    people = town()
    tenant = db.session.get(Tenant, people["clerk"].tenant_id)
    assert tenant is not None
    _csv, regulations = _issued_csv_regulations(people)
    assert regulations == [LAW]
    _admin(client, tenant)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="csv-regulation-missing"' in page


def test_the_admin_names_the_act_and_export_and_verification_cite_it(client: FlaskClient) -> None:
    people = town()
    tenant = db.session.get(Tenant, people["clerk"].tenant_id)
    assert tenant is not None
    _admin(client, tenant)
    reply = client.post("/admin/csv-regulation", data={"csrf_token": csrf_token(client, "/admin/"),
                                                        "csv_regulation": f"  {ACT}  "})
    assert reply.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="csv-regulation-missing"' not in page and "S&#39;ha desat l&#39;acte" in page
    csv, regulations = _issued_csv_regulations(people)
    assert regulations == [ACT]
    client.get("/logout")
    verification = client.get(f"/verify?csv={csv}").get_data(as_text=True)
    assert ACT.replace("'", "&#39;") in verification


def test_a_reference_that_names_no_act_is_refused_and_only_the_admin_may_set_it(client: FlaskClient) -> None:
    people = town()
    tenant = db.session.get(Tenant, people["clerk"].tenant_id)
    assert tenant is not None
    make_user("tramitadora", tenant, roles=("tramitador",))
    db.session.commit()
    login(client, "tramitadora")
    refused = client.post("/admin/csv-regulation", data={"csrf_token": csrf_token(client, "/"),
                                                          "csv_regulation": ACT})
    assert refused.status_code == 403
    client.get("/logout")
    _admin(client, tenant)
    short = client.post("/admin/csv-regulation", data={"csrf_token": csrf_token(client, "/admin/"),
                                                        "csv_regulation": "Decret"})
    assert short.status_code == 422
    assert "Indiqueu l&#39;acte sencer" in short.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id).csv_regulation is None  # type: ignore[union-attr]
