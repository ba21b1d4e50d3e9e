"""What an imported signature is worth, recorded per document and never a reason to refuse.

Each signature GEE finds in an ENI document (XAdES in ``ds:Signature``, CAdES in ``FirmaBase64``
or in the content, PAdES inside a PDF) is checked and given one finding:

* ``valid``: intact, made with a current algorithm, and the certificate chains to a trusted root;
* ``weak``: intact, but made with MD5 or SHA-1 (legally kept old documents: recorded, not refused);
* ``untrusted``: intact, but the certificate does not chain to a configured trust root;
* ``broken``: the signed bytes changed, or the signature cannot be read;
* ``unsupported``: a form GEE does not check (recorded so nobody assumes it was checked).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from typing import Any

# asn1crypto.tsp adds signing_certificate_v2 to CMSAttributeType's names when it is imported, but the
# name -> OID table is built once, at the first CMS attribute parsed: reading one here before pyHanko
# was ever imported left that name out for good, and every PAdES signature later made by the same
# process (a worker that imported a remission, then signed) failed.
from asn1crypto import cms, tsp  # noqa: F401 - tsp for its names, above
from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree

from engine.documents.trust import trust_roots

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
WEAK = ("md5", "sha1")
VALID, WEAK_FINDING, UNTRUSTED, BROKEN, UNSUPPORTED = "valid", "weak", "untrusted", "broken", "unsupported"

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def finding(kind: str, result: str, detail: str = "") -> dict[str, Any]:
    return {"type": kind, "finding": result, "detail": detail}


def chains_to_trust(certificate: x509.Certificate, extra: list[x509.Certificate] | None = None) -> bool:
    """Does ``certificate`` chain (through ``extra``) to a configured trust root?"""
    roots = trust_roots()
    pool = [*(extra or []), *roots]
    current, seen = certificate, 0
    while seen < 8:
        if any(current == root for root in roots):
            return True
        issuer = next((c for c in pool if c.subject == current.issuer and c != current), None)
        if issuer is None:
            return False
        try:
            current.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, CryptoInvalidSignature):
            return False
        current, seen = issuer, seen + 1
    return False


def _grade(intact: bool, algorithm: str, trusted: bool) -> str:
    if not intact:
        return BROKEN
    if algorithm in WEAK:
        return WEAK_FINDING
    return VALID if trusted else UNTRUSTED


# -- XAdES / XML-DSig ------------------------------------------------------------------------

def _xml_algorithm(signature: etree._Element) -> str:
    method = signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
    uri = (method.get("Algorithm") if method is not None else "") or ""
    name = uri.rsplit("#", 1)[-1].lower()
    for weak in WEAK:
        if weak in name.replace("-", ""):
            return weak
    return name


def _embedded_certificates(signature: etree._Element) -> list[x509.Certificate]:
    certs = []
    for found in signature.iter(f"{{{DS}}}X509Certificate"):
        with contextlib.suppress(ValueError):
            certs.append(x509.load_der_x509_certificate(base64.b64decode("".join((found.text or "").split()))))
    return certs


def verify_xml_signature(signature: etree._Element, scope: etree._Element) -> tuple[str, str]:
    """Check a ``ds:Signature`` whose references resolve inside ``scope`` (the element that holds
    both the signature and what it signs). Returns (finding, detail)."""
    from signxml import SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.xades import XAdESVerifier

    certs = _embedded_certificates(signature)
    if not certs:
        return UNSUPPORTED, "no certificate in KeyInfo"
    references = len(signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference"))
    algorithm = _xml_algorithm(signature)
    config = SignatureConfiguration(expect_references=references, signature_methods=frozenset(SignatureMethod),
                                    digest_algorithms=frozenset(_digest_methods()))
    xades = signature.find(f".//{{{XADES}}}QualifyingProperties") is not None
    # Verify a copy of scope that holds this signature only, so signxml finds the right one.
    copy = etree.fromstring(etree.tostring(scope))
    mine = None
    for index, other in enumerate(list(copy.iter(f"{{{DS}}}Signature"))):
        if index == list(scope.iter(f"{{{DS}}}Signature")).index(signature):
            mine = other
        elif other.getparent() is not None:
            other.getparent().remove(other)
    if mine is None:
        return UNSUPPORTED, "signature not found"
    leaf = certs[0]
    from cryptography.hazmat.primitives import serialization

    pem = leaf.public_bytes(serialization.Encoding.PEM).decode("ascii")
    verifier = XAdESVerifier() if xades else XMLVerifier()
    try:
        verifier.verify(copy, x509_cert=pem, expect_config=config)
    except (InvalidSignature, InvalidInput) as err:
        return BROKEN, str(err)[:200]
    except Exception as err:  # a signature we cannot read is a finding, not a crash
        return BROKEN, f"{type(err).__name__}: {str(err)[:160]}"
    return _grade(True, algorithm, chains_to_trust(leaf, certs[1:])), ("XAdES" if xades else "XML-DSig")


def _digest_methods() -> list[Any]:
    from signxml import DigestAlgorithm

    return list(DigestAlgorithm)


# -- CAdES -----------------------------------------------------------------------------------

def cms_content(blob: bytes) -> bytes | None:
    """The content encapsulated in a CMS SignedData (CAdES attached, TF05), or None."""
    try:
        info = cms.ContentInfo.load(blob)
        if info["content_type"].native != "signed_data":
            return None
        content = info["content"]["encap_content_info"]["content"]
        value = content.native if content is not None else None
    except (ValueError, TypeError, KeyError):
        return None
    return value if isinstance(value, bytes) else None


def _verify_raw(public_key: Any, signature: bytes, data: bytes, algorithm: str) -> bool:
    hash_cls = _HASHES.get(algorithm)
    if hash_cls is None:
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hash_cls())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_cls()))
        else:
            return False
    except CryptoInvalidSignature:
        return False
    return True


def verify_cms(blob: bytes, detached_content: bytes | None = None) -> tuple[str, str]:
    """Check a CAdES signature (attached, or detached over ``detached_content``)."""
    try:
        signed = cms.ContentInfo.load(blob)["content"]
        signer = signed["signer_infos"][0]
        algorithm = signer["digest_algorithm"]["algorithm"].native
        content = cms_content(blob)
        if content is None:
            content = detached_content
        if content is None:
            return UNSUPPORTED, "CAdES without content"
        certificates = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"]]
        sid = signer["sid"].chosen
        serial = sid["serial_number"].native if signer["sid"].name == "issuer_and_serial_number" else None
        leaf = next((c for c in certificates if serial is None or c.serial_number == serial), None)
        if leaf is None:
            return UNSUPPORTED, "signer certificate not included"
        digest = hashlib.new(algorithm, content).digest()
        attrs = signer["signed_attrs"]
        if attrs is not None and len(attrs):
            declared = next((a["values"][0].native for a in attrs if a["type"].native == "message_digest"), None)
            if declared != digest:
                return BROKEN, "message digest differs from the content"
            data = attrs.dump(force=True)
            data = b"\x31" + data[1:]
        else:
            data = content
        intact = _verify_raw(leaf.public_key(), signer["signature"].native, data, algorithm)
    except Exception as err:  # a signature we cannot read is a finding, not a crash
        return BROKEN, f"{type(err).__name__}: {str(err)[:160]}"
    return _grade(intact, algorithm, chains_to_trust(leaf, certificates)), f"CAdES {algorithm}"


# -- PAdES -----------------------------------------------------------------------------------

def verify_pades(pdf: bytes) -> list[tuple[str, str]]:
    """One (finding, detail) per signature inside a PDF; weak hashes are reported, not refused."""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        embedded = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception:
        return []
    results = []
    for signature in embedded:
        try:
            results.append(verify_cms(bytes(signature.pkcs7_content), _signed_bytes(pdf, signature)))
        except Exception as err:  # a signature we cannot read is a finding, not a crash
            results.append((BROKEN, f"{type(err).__name__}: {str(err)[:160]}"))
    return results


def _signed_bytes(pdf: bytes, signature: Any) -> bytes:
    br = signature.byte_range
    return pdf[br[0]:br[0] + br[1]] + pdf[br[2]:br[2] + br[3]]
