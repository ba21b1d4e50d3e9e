"""Folders (CarpetaIndizada) and subexpedients (ExpedienteIndizado) survive import and export.

The remission is built by tests/eni_builder.py (lxml, not GEE's exporter) with folders inside
folders, a subexpedient inside a folder and one at the top; the structure is read back from the
exported XML by :func:`tree` here, independently of GEE's code.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree

from engine.base.db import db
from engine.eni.export import export_remission
from engine.eni.importer import import_expedient
from tests.eni_builder import NS, Doc, Expedient
from tests.test_signatures_helpers import town
from tests.web_clerk import login_en

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XSD = Path(__file__).resolve().parents[1] / "engine" / "eni" / "xsd"
SHARED_XSD = Path("/work/shared/eni-xsd")
PLACES = [
    ("D1", None),
    ("D2", "carpeta:INFORMES"),
    ("D3", "carpeta:INFORMES/carpeta:TECNICS"),
    ("D4", "carpeta:INFORMES/carpeta:TECNICS"),
    ("D5", "carpeta:INFORMES/expediente:SUB_PLANEJAMENT"),
    ("D6", "expediente:SUB_ALEGACIONS"),
    ("D7", "expediente:SUB_ALEGACIONS/carpeta:ESMENES"),
    ("D8", None),
]


def _id(short: str) -> str:
    return f"ES_L01080193_2017_DOC_N{short}"


def nested() -> Expedient:
    return Expedient("ES_L01080193_2017_EXP_NIUAT", [
        Doc(_id(short), PDF + short.encode(), folder=folder) for short, folder in PLACES])


def tree(container: etree._Element) -> list[object]:
    """The nesting as plain data: document identifiers, ("carpeta", id, [...]), ("expediente", Id, [...])."""
    out: list[object] = []
    for child in container:
        name = etree.QName(child).localname
        if name == "DocumentoIndizado":
            out.append(child.findtext(f"{{{NS['eniconexpind']}}}IdentificadorDocumento"))
        elif name == "CarpetaIndizada":
            out.append(("carpeta", child.findtext(f"{{{NS['eniconexpind']}}}IdentificadorCarpeta"), tree(child)))
        elif name == "ExpedienteIndizado":
            out.append(("expediente", child.get("Id"), tree(child)))
    return out


def index_of(expediente_xml: bytes) -> etree._Element:
    found = etree.fromstring(expediente_xml).find(f"{{{NS['eniexpind']}}}indice/{{{NS['eniexpind']}}}IndiceContenido")
    assert found is not None
    return found


EXPECTED = [
    _id("D1"),
    ("carpeta", "INFORMES", [_id("D2"), ("carpeta", "TECNICS", [_id("D3"), _id("D4")]),
                             ("expediente", "SUB_PLANEJAMENT", [_id("D5")])]),
    ("expediente", "SUB_ALEGACIONS", [_id("D6"), ("carpeta", "ESMENES", [_id("D7")])]),
    _id("D8"),
]


def parts_of(package: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(package))
    return {name: archive.read(name) for name in archive.namelist()}


def test_nested_index_is_kept_on_import_shown_and_exported_the_same(app: Flask, tmp_path: Path) -> None:
    sent = nested()
    assert tree(index_of(sent.files()["EXP_index.xml"])) == EXPECTED  # the builder made what we meant
    people = town()
    result = import_expedient(people["clerk"], sent.zip(), "remesa.zip")
    db.session.commit()
    assert result.expedient is not None and result.documents == 8

    # The expedient's page says where each document was.
    client = app.test_client()
    login_en(client, "clerk.ajt-proves")
    page = client.get(f"/expedients/{result.expedient.id}").get_data(as_text=True)
    assert 'data-folder="INFORMES/TECNICS"' in page and "folder INFORMES / folder TECNICS" in page
    assert "folder INFORMES / nested case file SUB_PLANEJAMENT" in page
    assert 'data-folder="SUB_ALEGACIONS/ESMENES"' in page
    assert page.count("document-folder") == 6  # D1 and D8 are at the top

    first = parts_of(export_remission(people["clerk"], result.expedient.id))
    assert tree(index_of(first["expediente.xml"])) == EXPECTED
    (tmp_path / "expediente.xml").write_bytes(first["expediente.xml"])
    for folder in (XSD, SHARED_XSD):
        if (folder / "ExpedienteEni.xsd").is_file():
            schema = etree.XMLSchema(etree.parse(str(folder / "ExpedienteEni.xsd")))
            assert schema.validate(etree.fromstring(first["expediente.xml"])), schema.error_log
    if shutil.which("xmllint"):
        check = subprocess.run(["xmllint", "--noout", "--schema", str(XSD / "ExpedienteEni.xsd"),
                                str(tmp_path / "expediente.xml")], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr

    # Round trip through another municipality: the nesting and every document's bytes stay.
    other = town("ajt-altre", "L01250002")
    again = import_expedient(other["clerk"], export_remission(people["clerk"], result.expedient.id), "remesa.zip")
    db.session.commit()
    assert again.expedient is not None
    second = parts_of(export_remission(other["clerk"], again.expedient.id))
    assert tree(index_of(second["expediente.xml"])) == EXPECTED
    assert sorted(first) == sorted(second)


@pytest.mark.parametrize("folder", ["sub:ANY", "carpeta:A/sub:ANY/carpeta:B"])
def test_a_subexpedient_without_id_keeps_its_place(app: Flask, folder: str) -> None:
    sent = Expedient("ES_L01080193_2017_EXP_SENSEID", [Doc(_id("S1"), PDF + b"1"),
                                                      Doc(_id("S2"), PDF + b"2", folder=folder)])
    people = town()
    result = import_expedient(people["clerk"], sent.zip(), "remesa.zip")
    db.session.commit()
    assert result.expedient is not None
    exported = parts_of(export_remission(people["clerk"], result.expedient.id))
    assert tree(index_of(exported["expediente.xml"])) == tree(index_of(sent.files()["EXP_index.xml"]))
