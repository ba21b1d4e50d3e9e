"""The signature of an ENI index (ENI TF02: XAdES internally detached, inside the same XML).

It is a XAdES-BES signature (RSA-SHA256, exclusive canonicalisation, the certificate chain in
KeyInfo) made with the municipality's seal (Ley 40/2015 art. 42.a: exporting is an automated
action). Its references: ``#<Id of IndiceContenido>``, the XAdES ``SignedProperties`` (signing
time, signing certificate digest) and the ``KeyInfo``. signxml's XAdES signer digests those two
with the exclusive canonicalisation but does not say so in a ``Transform``, so a verifier falls
back to inclusive canonicalisation, which changes once the signature sits inside
``enids:firmas`` under other namespaces; :class:`_PortableXAdESSigner` writes the Transform.
"""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier, methods
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.xades import XAdESSigner, XAdESVerifier

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.signatures.credentials import UnlockedCredential

DS = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


XADES = "http://uri.etsi.org/01903/v1.3.2#"


class _PortableXAdESSigner(XAdESSigner):
    """signxml's XAdES signer, with the canonicalisation of every added reference stated."""

    def _add_reference_to_signed_info(self, sig_root: etree._Element, node_to_reference: etree._Element,
                                      **attrs: str) -> None:
        super()._add_reference_to_signed_info(sig_root, node_to_reference, **attrs)
        reference = sig_root.find(f"{{{DS}}}SignedInfo")[-1]
        transforms = etree.Element(f"{{{DS}}}Transforms")
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=C14N)
        reference.insert(0, transforms)


def sign_detached(target: etree._Element, credential: UnlockedCredential) -> etree._Element:
    """A XAdES ``ds:Signature`` over ``target`` (which must carry an ``Id``), to be placed beside it."""
    signer = _PortableXAdESSigner(method=methods.detached, signature_algorithm="rsa-sha256",
                                  digest_algorithm="sha256", c14n_algorithm=C14N)
    key = credential.key
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationFailed(_l("The seal's key type cannot sign XML (RSA or EC needed)."))
    signature: etree._Element = signer.sign(
        target, key=key, cert=[credential.certificate, *credential.chain], always_add_key_value=False,
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
    tree = etree.fromstring(document)
    xades = tree.find(f".//{{{XADES}}}QualifyingProperties") is not None
    references = len(tree.findall(f".//{{{DS}}}SignedInfo/{{{DS}}}Reference"))
    try:
        (XAdESVerifier() if xades else XMLVerifier()).verify(
            document, x509_cert=pem, expect_config=SignatureConfiguration(expect_references=references))
    except (InvalidSignature, InvalidInput):
        return False
    return True
