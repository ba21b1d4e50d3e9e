"""A local certification authority for the demo and the tests — never for real signatures.

The CA lives in ``<instance>/demo-ca/`` (beside the document store); it is made once and
reused, so running ``gee demo`` again keeps the same root and the same credentials. Outside
production its root is trusted by :mod:`engine.documents.trust`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from engine.base.clock import utcnow
from engine.base.settings import current_settings

CA_NAME = "GEE Demo CA (not for real signatures)"


def ca_directory() -> Path:
    return ca_certificate_path().parent


def ca_certificate_path() -> Path:
    return current_settings().demo_ca_certificate


def _name(common_name: str, *, organization: str = "GEE demo", serial: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]
    if serial:
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(parts)


def _new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(common_name: str = CA_NAME) -> tuple[RSAPrivateKey, x509.Certificate]:
    """A self-signed root (ten years)."""
    key = _new_key()
    now = utcnow()
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def load_or_create_ca() -> tuple[RSAPrivateKey, x509.Certificate]:
    """The demo CA of this installation, made on first use."""
    directory = ca_directory()
    key_path, cert_path = directory / "ca-key.pem", ca_certificate_path()
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert isinstance(key, RSAPrivateKey)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key, cert = make_ca()
    directory.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def issue_certificate(
    ca_key: RSAPrivateKey, ca_cert: x509.Certificate, common_name: str, *,
    organization: str = "GEE demo", serial: str | None = None, days: int = 730,
) -> tuple[RSAPrivateKey, x509.Certificate]:
    """An end-entity signing certificate (digital signature + non-repudiation)."""
    key = _new_key()
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization=organization, serial=serial))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def pkcs12_file(key: RSAPrivateKey, cert: x509.Certificate, ca_cert: x509.Certificate, password: str) -> bytes:
    """What a certification authority hands its holder: key, certificate and issuer in one file."""
    return pkcs12.serialize_key_and_certificates(
        b"gee", key, cert, [ca_cert], serialization.BestAvailableEncryption(password.encode("utf-8"))
    )
