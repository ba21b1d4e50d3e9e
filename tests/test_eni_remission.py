"""ENI import of expedients as other tools really send them (built by tests/eni_builder.py, not by
GEE), export signed as XAdES, the remission zip round trip, and the bulk migration."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import zipfile

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree
from signxml import SignatureConfiguration
from signxml.xades import XAdESVerifier

from engine.base.db import db
from engine.documents.closing import close_expedient
from engine.documents.documents import list_documents, read_content
from engine.eni.export import export_remission
from engine.eni.importer import import_expedient, import_remission
from engine.eni.models import EniImportedDocument
from engine.eni.remission import from_path
from engine.eni.schema import XSD_DIR, schema
from tests.eni_builder import NS, Doc, Expedient, make_signer
from tests.services import run_queued_jobs
from tests.test_signatures_helpers import pdf_document, town

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people():
    return town()


def _docs(signer):
    return [
        Doc("ES_L01080193_2015_DOC_A1", PDF + b"a", tipo="TD55", digest="md5", encoding="hex"),
        Doc("ES_L01080193_2015_DOC_A2", b"<informe><text>Favorable</text></informe>", form="xml", tipo="TD13",
            digest="sha1", folder="carpeta:INFORMES"),
        Doc("ES_L01080193_2015_DOC_A3", PDF + b"cades", form="tf05", tipo="TD69", digest="sha384",
            signer=signer, folder="sub:ES_L01080193_2015_EXP_SUB"),
        Doc("ES_L01080193_2015_DOC_A4", PDF + b"xades", form="tf03", tipo="TD51", digest="sha512",
            signer=signer),
        Doc("ES_L01080193_2015_DOC_A5", PDF + b"elsewhere", form="reference", tipo="TD99"),
        Doc("ES_L01080193_2015_DOC_A6", PDF + b"here", form="reference-here", tipo="TD01", encoding="hex"),
        Doc("ES_L01080193_2015_DOC_A7", PDF + b"firma", form="tf05-firma", tipo="TD60", signer=signer),
    ]


def _by_identifier(ctx, expedient):
    out = {}
    for doc in list_documents(ctx, expedient.id):
        imported = db.session.query(EniImportedDocument).filter_by(document_id=doc.id).one()
        out[imported.identifier] = (doc, imported, read_content(ctx, doc.id)[1])
    return out


def test_a_remission_folder_from_another_tool_imports_every_form(people, tmp_path):
    signer = make_signer()
    docs = _docs(signer)
    sent = Expedient("ES_L01080193_2015_EXP_OBRES7", docs, signer=signer)
    result = import_remission(people["clerk"], from_path(sent.write(tmp_path)))
    db.session.commit()

    assert result.documents == 7
    # the other tool's XAdES index signature references its SignedProperties: intact, by an
    # unknown authority
    assert result.index_signature_intact is True
    assert result.index_signature_finding == "untrusted"
    got = _by_identifier(people["clerk"], result.expedient)
    assert got["ES_L01080193_2015_DOC_A1"][2] == PDF + b"a"
    assert got["ES_L01080193_2015_DOC_A1"][0].tipo_documental == "TD55"
    assert got["ES_L01080193_2015_DOC_A2"][2] == etree.tostring(
        etree.fromstring(docs[1].content), method="c14n", exclusive=True)
    # content inside a CAdES attached signature and inside an enveloping XAdES: the signed content
    assert got["ES_L01080193_2015_DOC_A3"][2] == PDF + b"cades"
    assert got["ES_L01080193_2015_DOC_A4"][2] == PDF + b"xades"
    assert got["ES_L01080193_2015_DOC_A7"][2] == PDF + b"firma"
    assert got["ES_L01080193_2015_DOC_A6"][2] == PDF + b"here"
    # a reference GEE cannot fetch: metadata and a clear marker, never silently dropped
    marker = got["ES_L01080193_2015_DOC_A5"]
    assert marker[1].content_reference == "contingut/ES_L01080193_2015_DOC_A5.pdf"
    assert b"contingut/ES_L01080193_2015_DOC_A5.pdf" in marker[2]
    # signatures checked and recorded per document
    assert [f["finding"] for f in got["ES_L01080193_2015_DOC_A3"][1].signature_findings] == ["untrusted"]
    assert [f["finding"] for f in got["ES_L01080193_2015_DOC_A4"][1].signature_findings] == ["untrusted"]
    assert [f["finding"] for f in got["ES_L01080193_2015_DOC_A7"][1].signature_findings] == ["untrusted"]
    assert result.expedient.state == "E02"


def test_the_same_remission_as_a_zip_or_in_one_file(people):
    signer = make_signer()
    sent = Expedient("ES_L01080193_2015_EXP_ZIP1", _docs(signer)[:4], signer=signer)
    result = import_expedient(people["clerk"], sent.zip(), "remesa.zip")
    assert result.documents == 4
    # one file carrying documents that all use Id="CONTENIDO_DOCUMENTO"
    other = Expedient("ES_L01080193_2015_EXP_ONE1", [
        Doc("ES_L01080193_2015_DOC_B1", PDF + b"1"), Doc("ES_L01080193_2015_DOC_B2", PDF + b"2")])
    single = other.single_file()
    assert single.count(b'Id="CONTENIDO_DOCUMENTO"') == 2
    result = import_expedient(people["clerk"], single)
    db.session.commit()
    assert result.documents == 2


def test_legacy_weak_and_altered_signatures_are_recorded_not_refused(people, tmp_path):
    signer = make_signer()
    sent = Expedient("ES_L01080193_2009_EXP_VELL1", [
        Doc("ES_L01080193_2009_DOC_W1", PDF + b"sha1", form="tf05", signer=signer, cades_algorithm=hashes.SHA1(),
            digest="sha1"),
        Doc("ES_L01080193_2009_DOC_W2", PDF + b"xml-sha1", form="tf03", signer=signer, xml_sha1=True, digest="md5"),
    ], signer=signer)
    result = import_remission(people["clerk"], from_path(sent.write(tmp_path)))
    db.session.commit()
    got = _by_identifier(people["clerk"], result.expedient)
    (_doc, imported, content) = got["ES_L01080193_2009_DOC_W1"]
    assert content == PDF + b"sha1"
    assert [f["finding"] for f in imported.signature_findings] == ["weak"]
    (_doc, imported, content) = got["ES_L01080193_2009_DOC_W2"]
    assert content == PDF + b"xml-sha1"
    assert [f["finding"] for f in imported.signature_findings] == ["weak"]


def test_a_changed_index_is_recorded_as_a_broken_signature(people, tmp_path):
    signer = make_signer()
    sent = Expedient("ES_L01080193_2015_EXP_ALT1", [Doc("ES_L01080193_2015_DOC_C1", PDF)], signer=signer)
    files = sent.files()
    tree = etree.fromstring(files["EXP_index.xml"])
    tree.find(f".//{{{NS['eniconexpind']}}}OrdenDocumentoExpediente").text = "9"
    files["EXP_index.xml"] = etree.tostring(tree)
    from engine.eni.remission import from_files

    result = import_remission(people["clerk"], from_files(files))
    assert result.index_signature_intact is False and result.index_signature_finding == "broken"


def test_a_document_that_does_not_match_its_digest_is_refused_with_the_element(people):
    from engine.base.errors import ValidationFailed
    from engine.eni.remission import from_files

    sent = Expedient("ES_L01080193_2015_EXP_BAD1", [Doc("ES_L01080193_2015_DOC_D1", PDF)])
    files = sent.files()
    files["doc001_TD99.xml"] = files["doc001_TD99.xml"].replace(b"JVBER", b"JVBEX")
    with pytest.raises(ValidationFailed) as err:
        import_remission(people["clerk"], from_files(files))
    assert "ES_L01080193_2015_DOC_D1" in str(err.value) and err.value.field == "ValorHuella"


def _xmllint(path, xsd):
    return subprocess.run(["xmllint", "--noout", "--schema", str(XSD_DIR / xsd), str(path)],
                          capture_output=True, text=True)


def test_export_is_xades_and_the_remission_zip_round_trips(people, tmp_path):
    ctx = people["clerk"]
    from engine.expedients.expedients import open_expedient

    expedient = open_expedient(ctx, "Llicència")
    db.session.commit()
    pdf_document(ctx, expedient.id, "Sol·licitud", title="Sol·licitud", tipo_documental="TD14")
    pdf_document(ctx, expedient.id, "Informe", title="Informe")
    close_expedient(people["secretary"], expedient.id)
    db.session.commit()
    first = export_remission(ctx, expedient.id)
    parts = dict((n, zipfile.ZipFile(io.BytesIO(first)).read(n)) for n in zipfile.ZipFile(io.BytesIO(first)).namelist())
    exp = etree.fromstring(parts["expediente.xml"])
    # the index signature is real XAdES: signing time and the signing certificate's digest, signed
    signature = exp.find(f".//{{{NS['ds']}}}Signature")
    assert signature.find(".//{http://uri.etsi.org/01903/v1.3.2#}SigningTime") is not None
    cert = signature.findtext(f".//{{{NS['ds']}}}X509Certificate")
    import base64

    from cryptography import x509 as cx509

    pem = cx509.load_der_x509_certificate(base64.b64decode("".join(cert.split()))).public_bytes(
        serialization.Encoding.PEM).decode()
    results = XAdESVerifier().verify(parts["expediente.xml"], x509_cert=pem,
                                     expect_config=SignatureConfiguration(expect_references=3))
    assert any(r.signed_xml is not None for r in results)
    assert exp.findtext(f".//{{{NS['enids']}}}TipoFirma") == "TF02"
    # every part validates against the official XSDs (lxml, and xmllint when installed)
    assert schema("ExpedienteEni.xsd").validate(etree.ElementTree(exp))
    for name, data in parts.items():
        if name != "expediente.xml":
            assert schema("DocumentoEni.xsd").validate(etree.ElementTree(etree.fromstring(data))), name
    if shutil.which("xmllint"):
        for name, data in parts.items():
            (tmp_path / name).write_bytes(data)
            check = _xmllint(tmp_path / name, "ExpedienteEni.xsd" if name == "expediente.xml" else "DocumentoEni.xsd")
            assert check.returncode == 0, check.stderr

    other = town("ajt-altre", "L01250002")
    result = import_expedient(other["clerk"], first, "remesa.zip")
    db.session.commit()
    assert result.index_signature_intact is True
    second = export_remission(other["clerk"], result.expedient.id)
    parts2 = {n: zipfile.ZipFile(io.BytesIO(second)).read(n) for n in zipfile.ZipFile(io.BytesIO(second)).namelist()}
    assert sorted(parts) == sorted(parts2)

    def contents(p):
        out = {}
        for name, data in p.items():
            if name != "expediente.xml":
                tree = etree.fromstring(data)
                out[name] = base64.b64decode(tree.findtext(f".//{{{NS['enifile']}}}ValorBinario"))
        return out

    def digests(p):
        tree = etree.fromstring(p["expediente.xml"])
        return [(i.findtext(f"{{{NS['eniconexpind']}}}IdentificadorDocumento"),
                 i.findtext(f"{{{NS['eniconexpind']}}}ValorHuella"))
                for i in tree.iter(f"{{{NS['eniconexpind']}}}DocumentoIndizado")]

    assert contents(parts) == contents(parts2)
    assert digests(parts) == digests(parts2)
    for (_id, value), data in zip(digests(parts), contents(parts).values(), strict=True):
        assert base64.b64decode(value) == hashlib.sha512(data).digest()


def _sha1_pades(pdf: bytes, signer) -> bytes:
    from asn1crypto import keys as akeys
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata

    simple = signers.SimpleSigner(
        signing_cert=ax509.Certificate.load(signer.cert.public_bytes(serialization.Encoding.DER)),
        signing_key=akeys.PrivateKeyInfo.load(signer.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=None)
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                     PdfSignatureMetadata(field_name="Signatura", md_algorithm="sha1"), signer=simple, output=out)
    return out.getvalue()


def test_a_legacy_sha1_pades_document_is_kept_with_a_weak_finding(people, tmp_path, capfd):
    from tests.test_signatures_helpers import report_pdf

    signed = _sha1_pades(report_pdf("Decret de 2009"), make_signer())
    sent = Expedient("ES_L01080193_2009_EXP_PDF1", [Doc("ES_L01080193_2009_DOC_P1", signed, digest="sha1")])
    result = import_remission(people["clerk"], from_path(sent.write(tmp_path)))
    db.session.commit()
    run_queued_jobs()  # with Redis a worker checks the imported PDF's signatures before it can be exported
    (_doc, imported, content) = _by_identifier(people["clerk"], result.expedient)["ES_L01080193_2009_DOC_P1"]
    assert content == signed
    assert [f["finding"] for f in imported.signature_findings] == ["weak"], imported.signature_findings
    assert "Traceback" not in capfd.readouterr().err
