"""The documents of an expedient imported from an ENI file: kept as the sender had them (viewed,
downloaded, their signatures checked, exported in our index; never issued, versioned or signed
here), titled by their type in words beside their ENI identifier, and the expedient's subject made
of what ENI carries (identifier and classification)."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask_babel import force_locale
from lxml import etree
from lxml import html as lxml_html

from engine.base.db import db
from engine.base.errors import Conflict
from engine.documents.documents import TIPO_LABELS, Document, issue_document, list_documents, new_version
from engine.eni.export import export_expedient
from engine.eni.importer import import_expedient
from engine.eni.models import EniImportedDocument
from engine.eni.namespaces import q
from engine.eni.readable import original_file_name
from engine.eni.schema import schema
from engine.signatures.circuits import request_signatures
from tests.conftest import csrf_token, login
from tests.eni_builder import NS, Doc, Expedient, make_signer
from tests.test_signatures_helpers import pdf_document, report_pdf, town
from tests.web_clerk import field_error

EXP_ID = "ES_L01080193_2015_EXP_REBUT"
RECEIPT_ID = "ES_L01080193_2015_DOC_REBUT"
SIGNED_ID = "ES_L01080193_2015_DOC_SIGNAT"


@pytest.fixture
def people():
    return town()


def _remission(state: str = "E01") -> Expedient:
    """An open expedient another tool sends: a registry receipt (TD09) and a CAdES-signed report (TD13)."""
    return Expedient(EXP_ID, [
        Doc(RECEIPT_ID, report_pdf("Justificant de registre"), tipo="TD09"),
        Doc(SIGNED_ID, report_pdf("Informe signat"), form="tf05", tipo="TD13", signer=make_signer()),
    ], state=state)


def _imported(ctx, remission: Expedient | None = None):
    result = import_expedient(ctx, (remission or _remission()).zip(), "remesa.zip")
    db.session.commit()
    docs = list_documents(ctx, result.expedient.id)
    by_id = {db.session.query(EniImportedDocument).filter_by(document_id=d.id).one().identifier: d for d in docs}
    return result.expedient, by_id


def _in_catalan(lazy) -> str:
    with force_locale("ca"):
        return str(lazy)


# -- kept as received ------------------------------------------------------------------------


def test_an_imported_document_is_never_issued_versioned_or_signed_here(people):
    clerk = people["clerk"]
    expedient, docs = _imported(clerk)
    assert expedient.state == "E01"  # open: only its being imported holds these back
    for doc in docs.values():
        with pytest.raises(Conflict):
            issue_document(clerk, doc.id)
        db.session.rollback()
        with pytest.raises(Conflict):
            new_version(clerk, doc.id, report_pdf("Una altra cosa"))
        db.session.rollback()
        with pytest.raises(Conflict):
            request_signatures(clerk, doc.id, ["alcalde"])
        db.session.rollback()
    # nothing changed: one version each, no CSV of ours, no signature asked for
    now = list_documents(clerk, expedient.id, all_versions=True)
    assert sorted(d.id for d in now) == sorted(d.id for d in docs.values())
    assert all(not d.issued and d.csv is None for d in now)
    # a document the municipality adds to the imported expedient is its own: issued as usual
    own = pdf_document(clerk, expedient.id, title="Informe de l'ajuntament")
    assert issue_document(clerk, own.id).csv


def test_the_page_offers_only_what_makes_sense_for_an_imported_document(client, people):
    clerk = people["clerk"]
    expedient, docs = _imported(clerk)
    own = pdf_document(clerk, expedient.id, title="Informe de l'ajuntament")
    login(client, "clerk.ajt-proves")
    page = lxml_html.fromstring(client.get(f"/expedients/{expedient.id}").get_data(as_text=True))

    def row(doc):
        return page.xpath(f'//tr[@data-document-id="{doc.id}"]')[0]

    def has(cells, css_class: str) -> bool:
        return bool(cells.xpath(f'.//*[contains(concat(" ", @class, " "), " {css_class} ")]'))

    for doc in docs.values():
        cells = row(doc)
        assert not has(cells, "issue-form") and not has(cells, "new-version") and not has(cells, "sign-request-form")
        assert has(cells, "kept-as-received")  # says why
        # what does make sense: read it, download it, check the signature it came with
        assert cells.xpath(f'.//a[@href="/expedients/{expedient.id}/documents/{doc.id}"]')
        assert has(cells, "signature-check")
        assert client.get(f"/expedients/{expedient.id}/documents/{doc.id}").status_code == 200
    mine = row(own)
    assert has(mine, "issue-form") and has(mine, "new-version") and has(mine, "sign-request-form")
    assert not has(mine, "kept-as-received")


def test_posting_anyway_is_refused_beside_the_document(client, people):
    clerk = people["clerk"]
    expedient, docs = _imported(clerk)
    receipt = docs[RECEIPT_ID]
    login(client, "clerk.ajt-proves")
    token = csrf_token(client, f"/expedients/{expedient.id}")
    base = f"/expedients/{expedient.id}/documents/{receipt.id}"
    issued = client.post(f"{base}/issue", data={"csrf_token": token})
    assert issued.status_code == 409 and field_error(issued.get_data(as_text=True), f"issue-{receipt.id}")
    versioned = client.post(f"{base}/versions", content_type="multipart/form-data",
                            data={"csrf_token": token, "file": (io.BytesIO(report_pdf("Canviat")), "nou.pdf")})
    assert versioned.status_code == 409 and field_error(versioned.get_data(as_text=True), f"version-{receipt.id}")
    signing = client.post(f"{base}/signatures", data={"csrf_token": token, "circuit": "secretari"})
    assert signing.status_code == 409 and field_error(signing.get_data(as_text=True), f"sign-{receipt.id}")
    db.session.expire_all()
    assert db.session.get(Document, receipt.id).csv is None
    assert len(list_documents(clerk, expedient.id, all_versions=True)) == 2


def test_the_api_refuses_too_with_a_message(client, people):
    from engine.tenancy.tokens import create_token

    clerk = people["clerk"]
    expedient, docs = _imported(clerk)
    headers = {"Authorization": f"Bearer {create_token(clerk, 'script').secret}", "Accept-Language": "en"}
    db.session.commit()
    base = f"/api/v1/expedients/{expedient.id}/documents/{docs[SIGNED_ID].id}"
    issued = client.post(f"{base}/issue", headers=headers)
    assert issued.status_code == 409
    assert "imported from another body's ENI file" in issued.get_json()["message"]
    versioned = client.post(f"{base}/versions", headers=headers, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(report_pdf("Canviat")), "nou.pdf")})
    assert versioned.status_code == 409 and versioned.get_json()["message"] == issued.get_json()["message"]


def test_the_imported_expedient_still_exports_valid_eni_with_its_documents_as_received(people):
    clerk = people["clerk"]
    expedient, _docs = _imported(clerk)
    own = pdf_document(clerk, expedient.id, title="Informe de l'ajuntament")
    issue_document(clerk, own.id)
    db.session.commit()
    package = etree.fromstring(export_expedient(clerk, expedient.id))
    exp = package.find(q("eniexp", "expediente"))
    assert schema("ExpedienteEni.xsd").validate(etree.ElementTree(exp)), schema("ExpedienteEni.xsd").error_log
    documents = package.findall(q("enidoc", "documento"))
    for element in documents:
        assert schema("DocumentoEni.xsd").validate(etree.ElementTree(element))
    identifiers = [i.text for i in exp.iter(q("eniconexpind", "IdentificadorDocumento"))]
    assert identifiers == [RECEIPT_ID, SIGNED_ID, own.eni_id]  # the sender's identifiers, theirs first
    # the received documents carry no CSV of ours
    assert not [e for d in documents[:2] for e in d.iter(q("enids", "ValorCSV"))]


# -- readable titles and subject -------------------------------------------------------------


def test_imported_documents_are_titled_by_their_type_in_words_keeping_the_identifier(people):
    clerk = people["clerk"]
    _expedient, docs = _imported(clerk)
    receipt, signed = docs[RECEIPT_ID], docs[SIGNED_ID]
    # the municipality writes in Catalan: "Justificant de recepció (ES_…)"
    assert receipt.title == f"{_in_catalan(TIPO_LABELS['TD09'])} ({RECEIPT_ID})"
    assert signed.title == f"{_in_catalan(TIPO_LABELS['TD13'])} ({SIGNED_ID})"
    assert receipt.file_name == f"{RECEIPT_ID}.pdf"  # no name of the sender's: the identifier


def test_a_type_without_a_name_and_a_file_name_in_the_remission(people):
    """TD51-TD69 have no name of their own: their code; a referenced file gives its name."""
    clerk = people["clerk"]
    remission = Expedient("ES_L01080193_2015_EXP_FITXER", [
        Doc("ES_L01080193_2015_DOC_TD55", report_pdf("Annex"), tipo="TD55"),
        Doc("ES_L01080193_2015_DOC_FITXER", report_pdf("Projecte"), form="reference-here", tipo="TD14"),
        Doc("ES_L01080193_2015_DOC_FORA", report_pdf("Fora"), form="reference", tipo="TD13"),
    ], state="E01")
    files = remission.files()
    # the sender's tool named the file as the citizen uploaded it
    sent = "Projecte bàsic.pdf"
    for name, data in list(files.items()):
        if name.startswith("doc") and b"ES_L01080193_2015_DOC_FITXER" in data:
            root = etree.fromstring(data)
            root.find(f".//{{{NS['enifile']}}}referenciaFichero").text = f"annexos/{sent}"
            files[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    files[f"annexos/{sent}"] = files.pop("contingut/ES_L01080193_2015_DOC_FITXER.pdf")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    result = import_expedient(clerk, buffer.getvalue(), "remesa.zip")
    db.session.commit()
    titles = {d.tipo_documental: d for d in list_documents(clerk, result.expedient.id)}
    assert titles["TD55"].title == "TD55 (ES_L01080193_2015_DOC_TD55)"
    application = titles["TD14"]
    assert application.title == f"{_in_catalan(TIPO_LABELS['TD14'])}: Projecte bàsic (ES_L01080193_2015_DOC_FITXER)"
    assert application.file_name.endswith(".pdf") and "Projecte" in application.file_name
    # content held elsewhere: only a marker here, titled by its type (no file of the sender's to name)
    assert titles["TD13"].title == f"{_in_catalan(TIPO_LABELS['TD13'])} (ES_L01080193_2015_DOC_FORA)"


def test_the_documents_keep_the_order_of_the_senders_index(people):
    clerk = people["clerk"]
    order = ["ES_L01080193_2015_DOC_Z3", "ES_L01080193_2015_DOC_A1", "ES_L01080193_2015_DOC_M2"]
    remission = Expedient("ES_L01080193_2015_EXP_ORDRE", [Doc(i, report_pdf(i), tipo="TD13") for i in order])
    result = import_expedient(clerk, remission.zip(), "remesa.zip")
    db.session.commit()
    titles = [d.title for d in list_documents(clerk, result.expedient.id)]
    assert [t.rsplit("(", 1)[1].rstrip(")") for t in titles] == order


def test_the_subject_names_the_identifier_and_the_senders_classification(people):
    clerk = people["clerk"]
    expedient, _docs = _imported(clerk)
    assert not expedient.subject.startswith("ENI ")
    assert EXP_ID in expedient.subject and expedient.subject.endswith("(ANTIC-URB-001)")


def test_the_file_name_of_a_reference():
    assert original_file_name("annexos/Informe tècnic.pdf") == "Informe tècnic.pdf"
    assert original_file_name("C:\\docs\\plànol", "pdf") == "plànol.pdf"
    assert original_file_name("https://arxiu.example.cat/f/acta.pdf?v=2") == "acta.pdf"
    assert original_file_name("#FIRMA_0") is None
    assert original_file_name("  ") is None
    assert original_file_name("docs/") is None  # a folder
