"""ENI export (validated against the official XSDs), import, round trip, tampering, bad values."""

from __future__ import annotations

import base64
import hashlib

import pytest
from lxml import etree

from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.documents.closing import close_expedient
from engine.documents.documents import issue_document, list_documents, read_content
from engine.documents.store import content_store
from engine.eni.export import export_expedient
from engine.eni.importer import import_expedient
from engine.eni.namespaces import q
from engine.eni.schema import schema
from engine.eni.xmlsig import verify_in
from engine.expedients.parties import find_or_create_party
from tests.test_signatures_helpers import pdf_document, town


@pytest.fixture
def people():
    return town()


def _expedient_with_documents(ctx):
    party = find_or_create_party(ctx, "12345678Z", "Pere Interessat")
    from engine.expedients.expedients import open_expedient

    expedient = open_expedient(ctx, "Llicència d'obres menors", party_ids=[party.id])
    db.session.commit()
    first = pdf_document(ctx, expedient.id, "Sol·licitud", title="Sol·licitud", tipo_documental="TD14")
    second = pdf_document(ctx, expedient.id, "Informe tècnic", title="Informe tècnic")
    issue_document(ctx, second.id)
    db.session.commit()
    return expedient, [first, second]


def _parts(xml: bytes):
    root = etree.fromstring(xml)
    return root, root.find(q("eniexp", "expediente")), root.findall(q("enidoc", "documento"))


def test_export_validates_against_the_official_schemas(people):
    expedient, docs = _expedient_with_documents(people["clerk"])
    xml = export_expedient(people["clerk"], expedient.id)
    _root, exp, documents = _parts(xml)
    assert schema("ExpedienteEni.xsd").validate(etree.ElementTree(exp)), schema("ExpedienteEni.xsd").error_log
    for element in documents:
        assert schema("DocumentoEni.xsd").validate(etree.ElementTree(element))
    meta = exp.find(q("eniexpmeta", "metadatosExp"))
    assert meta.findtext(q("eniexpmeta", "Identificador")) == expedient.eni_id
    assert len(expedient.eni_id) <= 52
    assert meta.findtext(q("eniexpmeta", "Estado")) == "E01"
    assert meta.findtext(q("eniexpmeta", "Organo")) == "L01259999"
    assert meta.findtext(q("eniexpmeta", "Interesado")) == "12345678Z"
    indexed = exp.findall(f".//{q('eniconexpind', 'DocumentoIndizado')}")
    assert [i.findtext(q("eniconexpind", "IdentificadorDocumento")) for i in indexed] == [d.eni_id for d in docs]
    assert [i.findtext(q("eniconexpind", "OrdenDocumentoExpediente")) for i in indexed] == ["1", "2"]
    for item, doc in zip(indexed, docs, strict=True):
        content = read_content(people["clerk"], doc.id)[1]
        assert item.findtext(q("eniconexpind", "ValorHuella")) == base64.b64encode(
            hashlib.sha512(content).digest()).decode()
        assert item.findtext(q("eniconexpind", "FuncionResumen")) == "http://www.w3.org/2001/04/xmlenc#sha512"
    # the index is signed (TF02) and the signature holds
    assert exp.findtext(f".//{q('enids', 'TipoFirma')}") == "TF02"
    assert verify_in(etree.tostring(exp))
    # the issued document carries its CSV as a TF01 signature
    csv_values = [e.text for e in documents[1].iter(q("enids", "ValorCSV"))]
    assert csv_values == [db.session.get(type(docs[1]), docs[1].id).csv]


def test_a_changed_index_breaks_its_signature(people):
    expedient, _ = _expedient_with_documents(people["clerk"])
    _, exp, _ = _parts(export_expedient(people["clerk"], expedient.id))
    huella = exp.find(f".//{q('eniconexpind', 'ValorHuella')}")
    huella.text = base64.b64encode(b"x" * 64).decode()
    assert not verify_in(etree.tostring(exp))


def test_export_import_export_keeps_content_and_digests(people):
    expedient, _ = _expedient_with_documents(people["clerk"])
    close_expedient(people["secretary"], expedient.id)
    db.session.commit()
    first = export_expedient(people["clerk"], expedient.id)

    other = town("ajt-altre", "L01250002")
    result = import_expedient(other["clerk"], first)
    db.session.commit()
    assert result.documents == 2 and result.index_signature_intact is True
    imported = result.expedient
    assert imported.state == "E02" and imported.eni_id == expedient.eni_id
    second = export_expedient(other["clerk"], imported.id)

    _, exp1, docs1 = _parts(first)
    _, exp2, docs2 = _parts(second)

    def index(exp):
        return [[c.text for c in item] for item in exp.iter(q("eniconexpind", "DocumentoIndizado"))]

    assert index(exp1) == index(exp2)
    meta1, meta2 = (e.find(q("eniexpmeta", "metadatosExp")) for e in (exp1, exp2))
    assert etree.tostring(meta1, method="c14n") == etree.tostring(meta2, method="c14n")
    assert [etree.tostring(d, method="c14n") for d in docs1] == [etree.tostring(d, method="c14n") for d in docs2]


def test_importing_a_municipalitys_own_export_names_the_expedient_it_already_has(people):
    from engine.expedients.expedients import Expedient

    expedient, _ = _expedient_with_documents(people["clerk"])
    close_expedient(people["secretary"], expedient.id)
    db.session.commit()
    exported = export_expedient(people["clerk"], expedient.id)

    with pytest.raises(Conflict) as refused:
        import_expedient(people["clerk"], exported)
    said = f"Case file {expedient.eni_id} is already in this municipality: it is {expedient.number}."
    assert str(refused.value) == said
    db.session.rollback()
    assert db.session.query(Expedient).count() == 1  # no copy, nothing half-written


def test_a_tampered_document_is_detected_on_export_and_on_import(people):
    expedient, docs = _expedient_with_documents(people["clerk"])
    xml = export_expedient(people["clerk"], expedient.id)
    # on import: one document's bytes differ from the index's ValorHuella
    root, _exp, documents = _parts(xml)
    binary = documents[0].find(f"{q('enifile', 'contenido')}/{q('enifile', 'ValorBinario')}")
    binary.text = base64.b64encode(b"%PDF-1.4 something else").decode()
    other = town("ajt-altre", "L01250002")
    with pytest.raises(ValidationFailed) as err:
        import_expedient(other["clerk"], etree.tostring(root))
    assert docs[0].eni_id in str(err.value) and "ValorHuella" in str(err.value)
    db.session.rollback()
    from engine.expedients.expedients import Expedient

    assert db.session.query(Expedient).filter_by(tenant_id=other["clerk"].tenant_id).count() == 0
    # on export: the stored file was changed behind GEE's back
    path = content_store().path_for(docs[0].sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"\n% appended")
    with pytest.raises(ValidationFailed) as err:
        export_expedient(people["clerk"], expedient.id)
    assert "altered" in str(err.value)


def test_invalid_state_is_refused_before_export(people):
    expedient, _ = _expedient_with_documents(people["clerk"])
    expedient.state = "E04"
    db.session.flush()
    with pytest.raises(ValidationFailed) as err:
        export_expedient(people["clerk"], expedient.id)
    assert err.value.field == "Estado" and "E04" in str(err.value)


def test_identifier_over_52_characters_is_refused(people):
    """The column holds 52 characters, so a longer identifier can only arrive from outside."""
    from engine.eni import values

    too_long = "ES_L01259999_2026_EXP_" + "9" * 31
    assert len(too_long) == 53
    with pytest.raises(ValidationFailed) as err:
        values.expedient_identifier(too_long)
    assert err.value.field == "Identificador"
    expedient, _ = _expedient_with_documents(people["clerk"])
    root, exp, _ = _parts(export_expedient(people["clerk"], expedient.id))
    exp.find(f".//{q('eniexpmeta', 'Identificador')}").text = too_long
    other = town("ajt-altre", "L01250002")
    with pytest.raises(ValidationFailed) as err:
        import_expedient(other["clerk"], etree.tostring(root))
    assert err.value.field == "Identificador" and too_long in str(err.value)


def test_invalid_document_type_is_refused_before_export(people):
    expedient, docs = _expedient_with_documents(people["clerk"])
    docs[0].tipo_documental = "TD21"
    db.session.flush()
    with pytest.raises(ValidationFailed) as err:
        export_expedient(people["clerk"], expedient.id)
    assert err.value.field == "TipoDocumental" and "TD21" in str(err.value)


def test_import_refuses_schema_errors_with_the_element(people):
    expedient, _ = _expedient_with_documents(people["clerk"])
    root, exp, _ = _parts(export_expedient(people["clerk"], expedient.id))
    exp.find(f".//{q('eniexpmeta', 'Estado')}").text = "E04"
    with pytest.raises(ValidationFailed) as err:
        import_expedient(people["clerk"], etree.tostring(root))
    assert "Estado" in str(err.value) and "E04" in str(err.value)


def test_import_refuses_hostile_xml(people):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ValidationFailed) as err:
        import_expedient(people["clerk"], bomb)
    assert err.value.field == "file"


def test_import_understands_inside_style_digests(people):
    """InSiDE names SHA-512 by its URI; others write hex and "SHA-512": all are recomputed."""
    expedient, docs = _expedient_with_documents(people["clerk"])
    root, exp, _ = _parts(export_expedient(people["clerk"], expedient.id))
    item = exp.find(f".//{q('eniconexpind', 'DocumentoIndizado')}")
    item.find(q("eniconexpind", "FuncionResumen")).text = "SHA-512"
    item.find(q("eniconexpind", "ValorHuella")).text = docs[0].sha512
    other = town("ajt-altre", "L01250002")
    result = import_expedient(other["clerk"], etree.tostring(root))
    assert result.documents == 2
    assert [d.sha512 for d in list_documents(other["clerk"], result.expedient.id)] == [d.sha512 for d in docs]


def test_other_users_cannot_export_another_tenants_expedient(people):
    from engine.base.errors import NotFound

    expedient, _ = _expedient_with_documents(people["clerk"])
    other = town("ajt-altre", "L01250002")
    with pytest.raises(NotFound):
        export_expedient(other["clerk"], expedient.id)
