"""Shared set-up for the signature, verification and ENI tests (no tests here).

People get certificates from the installation's test CA (engine.demo.ca), imported
as PKCS#12 with KEY_PASSWORD, as a real signer would.
"""

from __future__ import annotations

import io

from weasyprint import HTML

from engine.base.context import Context
from engine.base.db import db
from engine.demo import ca as test_ca
from engine.documents.documents import store_document
from engine.signatures.credentials import import_personal, import_seal
from engine.tenancy.models import Tenant, User
from tests.conftest import ctx_for, make_tenant, make_user

KEY_PASSWORD = "clau-de-signatura-2026"


def give_certificate(user: User, tenant: Tenant, password: str = KEY_PASSWORD) -> None:
    ca_key, ca_cert = test_ca.load_or_create_ca()
    key, cert = test_ca.issue_certificate(ca_key, ca_cert, user.full_name, serial=user.username)
    import_personal(Context.system(tenant.id), user.id, test_ca.pkcs12_file(key, cert, ca_cert, password), password)


def give_seal(tenant: Tenant) -> None:
    ca_key, ca_cert = test_ca.load_or_create_ca()
    key, cert = test_ca.issue_certificate(ca_key, ca_cert, f"Segell {tenant.name}", organization=tenant.name)
    import_seal(Context.system(tenant.id), test_ca.pkcs12_file(key, cert, ca_cert, "seal"), "seal")


def town(code: str = "ajt-proves", dir3: str = "L01259999") -> dict[str, Context]:
    """A municipality with a clerk, a mayor and a secretary (both with certificates) and a seal."""
    tenant = make_tenant(code=code, dir3=dir3)
    users = {
        "clerk": make_user(f"clerk.{code}", tenant, ("tramitador",), full_name="Anna Tramitadora"),
        "mayor": make_user(f"mayor.{code}", tenant, ("alcalde",), full_name="Joan Batlle"),
        "secretary": make_user(f"secretary.{code}", tenant, ("secretari",), full_name="Marta Secretària"),
    }
    give_certificate(users["mayor"], tenant)
    give_certificate(users["secretary"], tenant)
    give_seal(tenant)
    db.session.commit()
    return {name: ctx_for(user, tenant) for name, user in users.items()}


def report_pdf(text: str = "Informe tècnic favorable.") -> bytes:
    return HTML(string=f"<h1>Informe</h1><p>{text}</p>").write_pdf()


def pdf_document(ctx: Context, expedient_id: int | None, text: str = "Informe tècnic favorable.", **extra):
    doc = store_document(ctx, expedient_id, "informe.pdf", report_pdf(text), title=extra.pop("title", "Informe"),
                         tipo_documental=extra.pop("tipo_documental", "TD13"), from_administration=True, **extra)
    db.session.commit()
    return doc


def flip_byte_in_signed_range(pdf: bytes) -> bytes:
    """Change one byte of page content (inside what every signature covers)."""
    at = pdf.index(b"stream") + 20
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]


def stamp_texts(pdf: bytes) -> list[str]:
    """The text lines of every visible signature stamp (widget appearance streams)."""
    import codecs
    import io
    import re

    from pypdf import PdfReader

    lines = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annot in page.get("/Annots") or []:
            appearance = annot.get_object().get("/AP")
            if appearance is None:
                continue
            data = appearance["/N"].get_object().get_data()
            for raw in re.findall(rb"\((.*?)\) Tj", data):
                lines.append(codecs.escape_decode(raw)[0].decode("cp1252"))
    return lines


def valid_signers(pdf: bytes) -> list[str]:
    """The signers of the PAdES signatures that pyHanko validates against the demo CA."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(test_ca.load_or_create_ca()[1].public_bytes(serialization.Encoding.DER))
    names = []
    for embedded in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures:
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))
        assert status.bottom_line, status.pretty_print_details()
        names.append(status.signing_cert.subject.native["common_name"])
    return names
