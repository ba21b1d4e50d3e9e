"""Checking the PAdES signatures of a PDF: integrity, certificate chain, signing time.

A signature is valid when the bytes it covers are unchanged (``intact``), the signature value
matches the certificate (``valid``), the certificate chains to a configured trust root
(``trusted``, see :mod:`engine.documents.trust`) and nothing but further signatures was added
after it (``modifications_ok``). A PDF is valid when it has at least one signature and all are
valid. Revocation is checked only when the information is embedded (no network access).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from engine.base.clock import utcnow
from engine.base.i18n import _l, ngettext
from engine.documents.trust import trust_roots

if TYPE_CHECKING:  # pyHanko is imported where a PDF is read: it weighs on every start-up
    from pyhanko_certvalidator import ValidationContext


class _RefusedAlgorithmNotice(logging.Filter):
    """pyHanko logs a traceback when a signature uses an algorithm its policy refuses (SHA-1 in
    legacy documents). The signature is then reported as not valid, which is the finding; the
    traceback is noise on the console of an import or a migration."""

    def filter(self, record: logging.LogRecord) -> bool:
        from pyhanko.sign.validation.errors import DisallowedAlgorithmError  # loaded: pyHanko is logging

        return not (record.exc_info and isinstance(record.exc_info[1], DisallowedAlgorithmError))


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_RefusedAlgorithmNotice())


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str
    serial: str
    signing_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    modifications_ok: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.modifications_ok

    def problem(self) -> str | None:
        if not self.intact or not self.valid:
            return str(_l("The document was changed after it was signed by %(signer)s.", signer=self.signer))
        if not self.modifications_ok:
            return str(_l("Content was added after the signature of %(signer)s.", signer=self.signer))
        if not self.trusted:
            return str(_l("The certificate of %(signer)s does not chain to a trusted authority.",
                          signer=self.signer))
        return None


@dataclass(frozen=True)
class PdfVerification:
    valid: bool
    reason: str
    signatures: list[SignatureCheck] = field(default_factory=list)

    def as_entries(self) -> list[dict[str, Any]]:
        """Signature metadata as :attr:`Document.signatures` keeps it (ENI TF06)."""
        checked = utcnow().isoformat()
        return [
            {"type": "TF06", "signer": s.signer, "serial": s.serial,
             "signed_at": s.signing_time.isoformat() if s.signing_time else None,
             "verified": s.ok, "intact": s.intact and s.valid, "trusted": s.trusted, "checked_at": checked,
             "reference": s.field}
            for s in self.signatures
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "reason": self.reason,
                "signatures": [{**asdict(s), "ok": s.ok} for s in self.signatures]}


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _context(roots: list[x509.Certificate]) -> ValidationContext:
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=[_asn1(c) for c in roots], allow_fetching=False,
                             revocation_mode="soft-fail")


def _check(embedded: Any, roots: list[x509.Certificate]) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature

    status = validate_pdf_signature(embedded, _context(roots))
    cert = status.signing_cert
    return SignatureCheck(
        field=str(embedded.field_name),
        signer=cert.subject.native.get("common_name") or cert.subject.human_friendly,
        serial=format(cert.serial_number, "x"),
        signing_time=status.signer_reported_dt,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        modifications_ok=bool(status.docmdp_ok),
    )


def has_signatures(pdf: bytes) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return bool(PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures)
    except Exception:
        return False


def verify_pdf(pdf: bytes, roots: list[x509.Certificate] | None = None) -> PdfVerification:
    """Check every signature of ``pdf`` against ``roots`` (default: the configured trust roots)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    roots = trust_roots() if roots is None else roots
    try:
        embedded = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception:
        return PdfVerification(False, str(_l("The file is not a readable PDF.")))
    if not embedded:
        return PdfVerification(False, str(_l("The PDF has no electronic signature.")))
    checks: list[SignatureCheck] = []
    for signature in embedded:
        try:
            checks.append(_check(signature, roots))
        except Exception:
            return PdfVerification(False, str(_l("A signature of the PDF is damaged and cannot be read.")), checks)
    problems = [p for p in (c.problem() for c in checks) if p]
    if problems:
        return PdfVerification(False, problems[0], checks)
    message = ngettext("The signature is valid.", "All %(num)s signatures are valid.", len(checks))
    return PdfVerification(True, message, checks)
