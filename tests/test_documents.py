"""Documents: content store, sniffing, safe names, ENI metadata, versions, CSV, freezing."""

from __future__ import annotations

import io
import math
import os
import re
import struct
import zipfile
import zlib

import pytest

from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.documents import verification_codes as csv_codes
from engine.documents.documents import (
    Document,
    get_document,
    issue_document,
    list_documents,
    new_version,
    read_content,
    record_signature,
    store_document,
    verify_by_csv,
)
from engine.documents.store import ContentIntegrityError, content_store
from tests.conftest import ctx_for, make_tenant, make_user, settings_changed
from tests.records_helpers import close_expedient, new_expedient

# FIPS 180-2 test vectors for "abc".
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
ABC_SHA512 = (
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
)


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def odt_bytes() -> bytes:
    """A minimal ODF text; fixed entry dates keep the bytes (and the test id) the same in every
    process, as pytest-xdist requires."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (("mimetype", "application/vnd.oasis.opendocument.text"),
                           ("content.xml", "<office:document-content/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


@pytest.fixture
def clerk_ctx():
    tenant = make_tenant()
    user = make_user("clerk", tenant, ("tramitador",), full_name="Anna Clerk")
    db.session.commit()
    return ctx_for(user, tenant)


def _store(ctx, content, filename="doc.txt", expedient_id=None, **extra):
    fields = {"title": "Sol·licitud", "tipo_documental": "TD14", "from_administration": False} | extra
    doc = store_document(ctx, expedient_id, filename, content, **fields)
    db.session.commit()
    return doc


# -- digests and store ------------------------------------------------------------------------


def test_digests_are_sha256_and_sha512_of_the_bytes(clerk_ctx):
    doc = _store(clerk_ctx, b"abc")
    assert doc.sha256 == ABC_SHA256
    assert doc.sha512 == ABC_SHA512
    assert doc.size == 3
    stored = content_store().path_for(ABC_SHA256)
    assert stored.read_bytes() == b"abc"
    assert stored.parent.parent.name == "ba" and stored.parent.name == "78"


def test_same_content_twice_is_stored_once_but_listed_twice(clerk_ctx):
    expedient = new_expedient(clerk_ctx)
    first = _store(clerk_ctx, b"same bytes", expedient_id=expedient.id)
    second = _store(clerk_ctx, b"same bytes", expedient_id=expedient.id)
    assert first.id != second.id and first.sha256 == second.sha256
    assert [d.id for d in list_documents(clerk_ctx, expedient.id)] == [first.id, second.id]
    folder = content_store().path_for(first.sha256).parent
    assert [p.name for p in folder.iterdir() if p.name.startswith(".tmp")] == []


def test_read_content_returns_the_bytes(clerk_ctx):
    doc = _store(clerk_ctx, png_bytes(), "foto.png")
    meta, content = read_content(clerk_ctx, doc.id)
    assert content == png_bytes() and meta.content_type == "image/png"


def test_tampered_file_on_disk_is_detected_on_read(clerk_ctx):
    content = b"informe original " + os.urandom(8).hex().encode()
    doc = _store(clerk_ctx, content)
    path = content_store().path_for(doc.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(content.replace(b"original", b"alterat!"))
    with pytest.raises(ContentIntegrityError) as err:
        read_content(clerk_ctx, doc.id)
    assert "altered" in str(err.value)
    path.unlink()
    with pytest.raises(ContentIntegrityError) as err:
        read_content(clerk_ctx, doc.id)
    assert "missing" in str(err.value)


# -- sniffing ---------------------------------------------------------------------------------


def test_content_type_comes_from_the_bytes_not_the_name(clerk_ctx):
    doc = _store(clerk_ctx, png_bytes(), "informe.pdf")
    assert doc.content_type == "image/png"
    assert doc.file_name == "informe.png"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF, "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20, "image/tiff"),
        (b'<?xml version="1.0"?><sol/>', "application/xml"),
        ("Bon dia, sol·licito un certificat.\n".encode(), "text/plain"),
        (odt_bytes(), "application/vnd.oasis.opendocument.text"),
    ],
)
def test_accepted_types(clerk_ctx, content, expected):
    assert _store(clerk_ctx, content, "fitxer").content_type == expected


@pytest.mark.parametrize(
    "content",
    [EXE, b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "bare zip", b"text with a \x00 NUL byte", b""],
)
def test_refused_types(clerk_ctx, content):
    if content == "bare zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("payload.txt", "anything")
        content = buffer.getvalue()
    with pytest.raises(ValidationFailed) as err:
        _store(clerk_ctx, content, "innocent.pdf")
    assert err.value.field == "file"
    db.session.rollback()
    assert db.session.query(Document).count() == 0


def test_executable_renamed_pdf_is_refused_with_a_clear_message(clerk_ctx):
    with pytest.raises(ValidationFailed) as err:
        _store(clerk_ctx, EXE, "factura.pdf")
    assert "not accepted" in str(err.value)


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\windows\\system.ini", "system.ini.txt"),
        ("nom\x00amagat.txt", "nomamagat.txt"),
        ("con.txt", "_con.txt"),
        ("AUX", "_AUX.txt"),
        (".htaccess", "htaccess.txt"),
        ("...", "document.txt"),
        ("carta\u202etxt.exe", "cartatxt.exe.txt"),
        ('a<b>c:"d"|e?.txt', "a_b_c__d__e_.txt"),
    ],
)
def test_malicious_names_are_neutralised(clerk_ctx, given, expected):
    assert _store(clerk_ctx, b"plain text", given).file_name == expected


def test_long_names_are_capped_keeping_the_extension(clerk_ctx):
    name = _store(clerk_ctx, PDF, "a" * 400 + ".pdf").file_name
    assert len(name) == 150 and name.endswith(".pdf")


# -- limits and metadata ----------------------------------------------------------------------


def test_upload_size_limit(app, clerk_ctx):
    with settings_changed(app, max_upload_bytes=1024 * 1024):
        _store(clerk_ctx, b"x" * (1024 * 1024))
        with pytest.raises(ValidationFailed) as err:
            _store(clerk_ctx, b"x" * (1024 * 1024 + 1))
    assert "too large" in str(err.value) and "1 MB" in str(err.value)


def test_eni_metadata(clerk_ctx):
    doc = _store(clerk_ctx, PDF, "resolucio.pdf", title="Resolució", tipo_documental="TD01",
                 from_administration=True, author="Anna Clerk")
    year = doc.captured_at.year
    assert re.fullmatch(rf"ES_L01259999_{year}_\d{{1,30}}", doc.eni_id)
    assert len(doc.eni_id) <= 52
    assert (doc.organ, doc.tipo_documental, doc.estado_elaboracion) == ("L01259999", "TD01", "EE01")
    assert doc.from_administration is True and doc.author == "Anna Clerk"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"tipo_documental": "TD21"}, "tipo_documental"),
        ({"estado_elaboracion": "EE05"}, "estado_elaboracion"),
        ({"estado_elaboracion": "EE04"}, "origin_document_eni_id"),
        ({"origin_document_eni_id": "ES_X_2026_1"}, "origin_document_eni_id"),
        ({"title": "  "}, "title"),
    ],
)
def test_invalid_eni_metadata_is_refused(clerk_ctx, extra, field):
    with pytest.raises(ValidationFailed) as err:
        _store(clerk_ctx, PDF, "x.pdf", **extra)
    assert err.value.field == field


def test_authentic_copy_names_its_origin(clerk_ctx):
    doc = _store(clerk_ctx, PDF, "copia.pdf", estado_elaboracion="EE04",
                 origin_document_eni_id="ES_L01259999_2026_PAPER0001")
    assert doc.origin_document_eni_id == "ES_L01259999_2026_PAPER0001"


# -- versions ---------------------------------------------------------------------------------


def test_new_version_keeps_the_previous_one(clerk_ctx):
    expedient = new_expedient(clerk_ctx)
    v1 = _store(clerk_ctx, b"first draft", "informe.txt", expedient_id=expedient.id, title="Informe",
                from_administration=True)
    v2 = new_version(clerk_ctx, v1.id, b"second draft")
    db.session.commit()
    assert (v2.version, v2.previous_version_id, v2.title, v2.file_name) == (2, v1.id, "Informe", "informe.txt")
    assert read_content(clerk_ctx, v1.id)[1] == b"first draft"
    assert read_content(clerk_ctx, v2.id)[1] == b"second draft"
    assert [d.id for d in list_documents(clerk_ctx, expedient.id)] == [v2.id]
    assert [d.id for d in list_documents(clerk_ctx, expedient.id, all_versions=True)] == [v1.id, v2.id]
    with pytest.raises(Conflict):
        new_version(clerk_ctx, v1.id, b"a fork")


def test_what_the_interested_party_presented_has_no_new_version(clerk_ctx):
    expedient = new_expedient(clerk_ctx)
    presented = _store(clerk_ctx, b"as filed", "plànol.txt", expedient_id=expedient.id, title="Plànol")
    with pytest.raises(Conflict) as err:
        new_version(clerk_ctx, presented.id, b"corrected by the clerk")
    assert "kept as presented" in str(err.value)
    db.session.rollback()
    assert [d.id for d in list_documents(clerk_ctx, expedient.id, all_versions=True)] == [presented.id]
    assert read_content(clerk_ctx, presented.id)[1] == b"as filed"


# -- closed expedients ------------------------------------------------------------------------


def test_closed_expedient_refuses_new_and_changed_documents(clerk_ctx):
    expedient = new_expedient(clerk_ctx)
    doc = _store(clerk_ctx, b"draft", expedient_id=expedient.id, from_administration=True)
    close_expedient(clerk_ctx, expedient)
    for attempt in (
        lambda: _store(clerk_ctx, b"late", expedient_id=expedient.id),
        lambda: new_version(clerk_ctx, doc.id, b"changed"),
        lambda: issue_document(clerk_ctx, doc.id),
        lambda: record_signature(clerk_ctx, doc.id, signature_type="TF06", signer="Alcalde"),
    ):
        with pytest.raises(Conflict) as err:
            attempt()
        assert "is closed" in str(err.value) and expedient.number in str(err.value)
        db.session.rollback()
    assert read_content(clerk_ctx, doc.id)[1] == b"draft"


# -- CSV --------------------------------------------------------------------------------------


def test_csv_format_randomness_and_uniqueness():
    codes = {csv_codes.new_csv() for _ in range(2000)}
    assert len(codes) == 2000
    assert csv_codes.ENTROPY_BITS >= 80
    assert math.isclose(csv_codes.ENTROPY_BITS, 20 * 5)
    for code in list(codes)[:50]:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}", code)
    # Every symbol shows up: the generator uses the whole alphabet.
    assert set("".join(codes).replace("-", "")) == set(csv_codes.ALPHABET)


def test_issue_assigns_a_csv_and_verification_finds_it_without_tenant(clerk_ctx):
    doc = _store(clerk_ctx, PDF, "decret.pdf", from_administration=True, tipo_documental="TD01")
    issued = issue_document(clerk_ctx, doc.id)
    db.session.commit()
    assert issued.issued and issued.csv
    assert issued.signatures[-1]["type"] == "TF01" and issued.signatures[-1]["csv"] == issued.csv
    assert issue_document(clerk_ctx, doc.id).csv == issued.csv  # idempotent
    typed = issued.csv.lower().replace("-", " ").replace("0", "o")
    result = verify_by_csv(typed)
    assert result.document.id == doc.id and result.intact is True
    assert result.tenant_name == "Ajuntament de Proves"
    with pytest.raises(NotFound):
        verify_by_csv("00000-00000-00000-00000")
    with pytest.raises(NotFound):
        verify_by_csv("not a code")


def test_verification_reports_tampered_content(clerk_ctx):
    content = PDF + os.urandom(8).hex().encode()
    doc = issue_document(clerk_ctx, _store(clerk_ctx, content, "x.pdf", from_administration=True).id)
    db.session.commit()
    path = content_store().path_for(doc.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(content + b" ")
    assert verify_by_csv(doc.csv).intact is False


def test_citizen_documents_are_not_issued(clerk_ctx):
    doc = _store(clerk_ctx, PDF, "x.pdf", from_administration=False)
    with pytest.raises(ValidationFailed):
        issue_document(clerk_ctx, doc.id)


def test_signatures_are_recorded(clerk_ctx):
    doc = _store(clerk_ctx, PDF, "x.pdf", from_administration=True)
    record_signature(clerk_ctx, doc.id, signature_type="TF06", signer="Joan Alcalde")
    db.session.commit()
    assert [(s["type"], s["signer"]) for s in get_document(clerk_ctx, doc.id).signatures] == [
        ("TF06", "Joan Alcalde")
    ]
    with pytest.raises(ValidationFailed):
        record_signature(clerk_ctx, doc.id, signature_type="TF07", signer="x")


# -- tenancy and audit ------------------------------------------------------------------------


def test_other_tenants_documents_are_not_found(clerk_ctx):
    expedient = new_expedient(clerk_ctx)
    doc = _store(clerk_ctx, b"private", expedient_id=expedient.id)
    other_tenant = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01258888")
    intruder = ctx_for(make_user("intrus", other_tenant, ("tramitador",)), other_tenant)
    for attempt in (
        lambda: get_document(intruder, doc.id),
        lambda: read_content(intruder, doc.id),
        lambda: new_version(intruder, doc.id, b"mine"),
        lambda: issue_document(intruder, doc.id),
        lambda: list_documents(intruder, expedient.id),
        lambda: store_document(intruder, expedient.id, "x.txt", b"x", title="x", tipo_documental="TD99",
                               from_administration=False),
    ):
        with pytest.raises(NotFound):
            attempt()


def test_storing_is_audited(clerk_ctx):
    from engine.audit import AuditEvent

    doc = _store(clerk_ctx, b"audited")
    event = db.session.query(AuditEvent).filter_by(action="document.stored").one()
    assert event.object_id == str(doc.id) and event.actor == "clerk"
    assert event.after["sha256"] == doc.sha256


def test_cli_verifies_a_csv(app, clerk_ctx):
    import json

    from webapp.cli import main

    doc = issue_document(clerk_ctx, _store(clerk_ctx, PDF + b"cli", "x.pdf", from_administration=True).id)
    db.session.commit()
    result = app.test_cli_runner().invoke(main, ["documents", "verify", doc.csv.lower()])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["intact"] is True and shown["eni_id"] == doc.eni_id and shown["tenant"] == "Ajuntament de Proves"
