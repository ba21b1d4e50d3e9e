"""PAdES signatures (ENI TF06) with a visible stamp, added as incremental updates.

Each signature goes in its own field, so a PDF signed by the alcalde and then attested by the
secretary keeps both signatures valid. The stamp prints who signed, as what, when, and the
CSV with the address where anyone can check the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.signatures.credentials import UnlockedCredential

if TYPE_CHECKING:  # pyHanko is imported where a PDF is signed: it weighs on every start-up
    from pyhanko.sign import signers

#: Stamp boxes, in points on an A4 page: two per row along the bottom margin.
_STAMP_W, _STAMP_H, _MARGIN, _GAP = 255, 62, 36, 10


@dataclass(frozen=True)
class Stamp:
    """What the visible signature shows (already in the document's language)."""

    signer: str
    role: str
    date: str
    csv: str
    verify_url: str
    labels: dict[str, str]

    def text(self) -> str:
        lab = self.labels
        return (f"{lab['signed_by']}: {self.signer}\n{lab['role']}: {self.role}\n{lab['date']}: {self.date}\n"
                f"CSV: {self.csv}\n{self.verify_url}")


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer(credential: UnlockedCredential) -> signers.SimpleSigner:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = credential.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(credential.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in credential.chain]),
    )


def _box(index: int) -> tuple[int, int, int, int]:
    column, row = index % 2, index // 2
    x = _MARGIN + column * (_STAMP_W + _GAP)
    y = _MARGIN + row * (_STAMP_H + _GAP)
    return x, y, x + _STAMP_W, y + _STAMP_H


def sign_pdf(pdf: bytes, credential: UnlockedCredential, stamp: Stamp, *, reason: str) -> bytes:
    """``pdf`` with one more PAdES (B-B) signature and its stamp on the last page."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
    from pyhanko.stamp import TextStampStyle

    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        index = len(PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures)
    except Exception:
        raise ValidationFailed(_l("The document is not a readable PDF; it cannot be signed.")) from None
    field_name = f"GEE_Signature_{index + 1}"
    pages = int(writer.root["/Pages"]["/Count"])
    fields.append_signature_field(
        writer, fields.SigFieldSpec(sig_field_name=field_name, on_page=pages - 1, box=_box(index))
    )
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=stamp.signer,
    )
    style = TextStampStyle(stamp_text=stamp.text(), border_width=1)
    out = PdfSigner(meta, signer=_signer(credential), stamp_style=style).sign_pdf(writer)
    return bytes(out.getbuffer())
