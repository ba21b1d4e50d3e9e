"""The signature of an ENI index (ENI TF02: a detached signature inside the same XML).

It is an XML-DSig signature (RSA-SHA256, exclusive canonicalisation, the certificate chain in
KeyInfo) whose only reference is ``#<Id of IndiceContenido>``, made with the municipality's
seal (Ley 40/2015 art. 42.a: exporting is an automated action). It carries no XAdES
qualifying properties: signxml's XAdES signer does not survive moving the detached signature
into ``enids:firmas``, so we write the XML-DSig core honestly rather than a broken XAdES.
"""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier, methods
from signxml.exceptions import InvalidInput, InvalidSignature

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.signatures.credentials import UnlockedCredential

DS = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def sign_detached(target: etree._Element, credential: UnlockedCredential) -> etree._Element:
    """A ``ds:Signature`` over ``target`` (which must carry an ``Id``), to be placed beside it."""
    signer = XMLSigner(method=methods.detached, signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                       c14n_algorithm=C14N)
    key = credential.key
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationFailed(_l("The seal's key type cannot sign XML (RSA or EC needed)."))
    signature: etree._Element = signer.sign(
        target, key=key, cert=[credential.certificate, *credential.chain],
        reference_uri=[f"#{target.get('Id')}"],
    )
    return signature


def verify_in(document: bytes, certificate: x509.Certificate | None = None) -> bool:
    """Is the (single) detached signature in ``document`` intact? With no certificate given, the
    one embedded in KeyInfo is used: this proves integrity, not who signed. ``document`` must
    hold that one signature only (pass the ``expediente`` element, not the whole package)."""
    if certificate is None:
        found = etree.fromstring(document).find(f".//{{{DS}}}X509Certificate")
        if found is None or not (found.text or "").strip():
            return False
        certificate = x509.load_der_x509_certificate(base64.b64decode("".join(found.text.split())))
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    try:
        XMLVerifier().verify(document, x509_cert=pem, expect_config=SignatureConfiguration(expect_references=1))
    except (InvalidSignature, InvalidInput):
        return False
    return True
