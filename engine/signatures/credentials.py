"""Signing credentials imported from PKCS#12 files, private keys encrypted at rest.

A person's key is kept as PKCS#8 encrypted with *their own* password (the one that protected
the PKCS#12 they imported), and that blob is encrypted again with AES-256-GCM under a key
derived (HKDF-SHA256, random salt per credential) from ``GEE_KEY_ENCRYPTION_KEY``. Signing
therefore needs both the server's secret and the signer typing their password: a copy of the
database alone, or a server alone, cannot sign in their name. A tenant's seal (an automated
action's certificate, Ley 40/2015 art. 42.a) is protected by the server key only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select

from engine.audit import record
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.settings import current_settings
from engine.signatures.models import SigningCredential
from engine.tenancy.models import User

_VERSION = b"k1"
_INFO = b"gee signing credential key v1"


@dataclass(frozen=True)
class UnlockedCredential:
    """A usable key with its certificate and issuers; lives only for one signing request."""

    key: PrivateKeyTypes
    certificate: x509.Certificate
    chain: list[x509.Certificate]


def _wrap_key(salt: bytes) -> AESGCM:
    kek = current_settings().key_encryption_key.encode("utf-8")
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(kek))


def _seal_blob(plaintext: bytes) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    return _VERSION + salt + nonce + _wrap_key(salt).encrypt(nonce, plaintext, _VERSION)


def _open_blob(blob: bytes) -> bytes:
    if not blob.startswith(_VERSION):
        raise ValidationFailed(_l("The stored signing key is in an unknown format."))
    salt, nonce, body = blob[2:18], blob[18:30], blob[30:]
    try:
        return _wrap_key(salt).decrypt(nonce, body, _VERSION)
    except InvalidTag:
        raise ValidationFailed(
            _l("The stored signing key cannot be decrypted with this server's key encryption key.")
        ) from None


def _load_pkcs12(data: bytes, password: str) -> tuple[PrivateKeyTypes, x509.Certificate, list[x509.Certificate]]:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError:
        raise ValidationFailed(
            _l("The certificate file could not be opened: wrong password or not a PKCS#12 file."), field="file"
        ) from None
    if key is None or cert is None:
        raise ValidationFailed(_l("The certificate file holds no private key and certificate."), field="file")
    return key, cert, list(extra or [])


def _pem(certs: list[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs)


def _store(row: SigningCredential | None, key_blob: bytes, cert: x509.Certificate,
           chain: list[x509.Certificate], **owner: int | None) -> SigningCredential:
    if row is None:
        row = SigningCredential(**owner)
        db.session.add(row)
    row.certificate_pem = _pem([cert])
    row.chain_pem = _pem(chain)
    row.encrypted_key = _seal_blob(key_blob)
    row.subject = cert.subject.rfc4514_string()[:400]
    row.serial = format(cert.serial_number, "x")[:80]
    row.not_after = cert.not_valid_after_utc
    db.session.flush()
    return row


def import_personal(ctx: Context, user_id: int, data: bytes, password: str) -> SigningCredential:
    """Import (or replace) a person's certificate from a PKCS#12 file protected by ``password``.

    The same password unlocks the key at every signature. A user imports their own; a
    tenant administrator may import for a user of the tenant.
    """
    user = db.session.get(User, user_id)
    if user is None or ctx.tenant_id not in user.tenant_ids():
        raise NotFound(_l("Not found."))
    if user_id != ctx.user_id and not ctx.has_role("admin"):
        raise Forbidden(_l("Only the certificate's holder or an administrator can import it."))
    if not password:
        raise ValidationFailed(_l("A signing key must be protected by a password."), field="password")
    key, cert, chain = _load_pkcs12(data, password)
    protected = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    existing = db.session.execute(
        select(SigningCredential).where(SigningCredential.user_id == user_id)
    ).scalar_one_or_none()
    row = _store(existing, protected, cert, chain, user_id=user_id)
    record(ctx, "signing_credential.imported", "signing_credential", row.id, after=row.summary())
    return row


def import_seal(ctx: Context, data: bytes, password: str) -> SigningCredential:
    """Import (or replace) the current tenant's seal certificate (automated actions)."""
    if not ctx.has_role("admin"):
        raise Forbidden(_l("Only an administrator can import the seal certificate."))
    key, cert, chain = _load_pkcs12(data, password)
    plain = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    existing = db.session.execute(
        select(SigningCredential).where(SigningCredential.tenant_id == ctx.tenant_id)
    ).scalar_one_or_none()
    row = _store(existing, plain, cert, chain, tenant_id=ctx.tenant_id)
    record(ctx, "signing_credential.seal_imported", "signing_credential", row.id, after=row.summary())
    return row


def credential_of(user_id: int | None) -> SigningCredential | None:
    if user_id is None:
        return None
    return db.session.execute(
        select(SigningCredential).where(SigningCredential.user_id == user_id)
    ).scalar_one_or_none()


def seal_of(tenant_id: int) -> SigningCredential | None:
    return db.session.execute(
        select(SigningCredential).where(SigningCredential.tenant_id == tenant_id)
    ).scalar_one_or_none()


def _certificates(row: SigningCredential) -> tuple[x509.Certificate, list[x509.Certificate]]:
    cert = x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii"))
    chain = x509.load_pem_x509_certificates(row.chain_pem.encode("ascii")) if row.chain_pem.strip() else []
    return cert, chain


def _check_valid_now(cert: x509.Certificate) -> None:
    now = utcnow()
    if not (cert.not_valid_before_utc <= now.astimezone(UTC) <= cert.not_valid_after_utc):
        raise ValidationFailed(_l("Your signing certificate is expired or not yet valid."))


def unlock_personal(user_id: int | None, password: str) -> UnlockedCredential:
    """The key of a person, unlocked with the password they typed."""
    row = credential_of(user_id)
    if row is None:
        raise ValidationFailed(_l("You have no signing certificate; import one in your account first."))
    try:
        key = serialization.load_pem_private_key(_open_blob(row.encrypted_key), (password or "").encode("utf-8"))
    except (ValueError, TypeError):
        raise ValidationFailed(_l("Wrong signing key password."), field="password") from None
    cert, chain = _certificates(row)
    _check_valid_now(cert)
    return UnlockedCredential(key=key, certificate=cert, chain=chain)


def unlock_seal(tenant_id: int) -> UnlockedCredential:
    """The tenant's seal key (protected by the server's key encryption key only)."""
    row = seal_of(tenant_id)
    if row is None:
        raise ValidationFailed(
            _l("This municipality has no seal certificate to sign with; an administrator must import one.")
        )
    key = serialization.load_pem_private_key(_open_blob(row.encrypted_key), None)
    cert, chain = _certificates(row)
    _check_valid_now(cert)
    return UnlockedCredential(key=key, certificate=cert, chain=chain)
