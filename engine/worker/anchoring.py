"""Audit chain anchoring: signed checkpoints of each tenant's chain head, kept outside the database.

The hash chain (:mod:`engine.audit.trail`) finds an edited or deleted event, but someone with
write access to the database could recompute every hash after an edit, or delete the last events
and wind the head back, and the chain would look intact again. So each night (the scheduler, with
the integrity checks) and on demand (``gee audit seal``) the head of each tenant's chain — sequence
number, hash, time — is written as a small JSON *checkpoint*, signed with the tenant's seal
certificate (a detached CMS signature, made and checked by pyHanko), into the document store
folder: ``<GEE_DOCUMENT_STORE>/audit-checkpoints/tenant-<id>/<seq>-<time>.json``, one file per
checkpoint, never rewritten. The tenant's secretaries may get a copy by e-mail, so a copy also
lives where the database's administrator cannot reach it.

:func:`verify_anchored` checks the chain as before and then every checkpoint: its signature, and
that the event it names still exists with the same hash. An edited-and-rehashed event makes the
first later checkpoint differ; a deleted tail leaves a checkpoint beyond the end of the chain.
The signer must be the tenant's own seal (the very certificate of its seal credential) and chain
to the configured trust roots: a checkpoint signed by another tenant's seal or a self-made key is
broken. When a time-stamping authority is
configured (``GEE_TSA_URL``) each checkpoint also carries an RFC 3161 timestamp token over its
signature (:mod:`engine.worker.checkpoint_timestamps`), checked in the same pass.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from engine.audit.trail import AuditEvent, AuditHead, ChainProblem, verify_chain
from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.base.errors import Conflict, GeeError
from engine.base.i18n import _l
from engine.base.mail import send_mail
from engine.base.settings import current_settings
from engine.documents.trust import trust_roots
from engine.signatures.credentials import UnlockedCredential, seal_of, unlock_seal
from engine.tenancy.models import Membership, Role, Tenant, User
from engine.worker.checkpoint_timestamps import TimestampUnavailable, request_token, token_problem, token_time, tsa_url

log = logging.getLogger("gee.anchoring")

FORMAT = "gee-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """One signed checkpoint as read from its file."""

    path: Path
    tenant_id: int
    seq: int
    hash: str
    sealed_at: datetime
    payload: bytes
    signature: bytes
    #: The TSA the checkpoint was sealed with (signed in the payload), and its timestamp token.
    tsa: str | None = None
    timestamp: bytes | None = None

    def describe(self) -> str:
        return str(_l("checkpoint %(file)s (event #%(seq)s, sealed %(at)s)", file=self.path.name, seq=self.seq,
                      at=self.sealed_at.isoformat(timespec="seconds")))

    def timestamp_note(self) -> str:
        if self.timestamp is None:
            return str(_l("no timestamp"))
        try:
            return str(_l("timestamped %(at)s by %(tsa)s", at=token_time(self.timestamp).isoformat(timespec="seconds"),
                          tsa=self.tsa or "TSA"))
        except Exception:  # an unreadable token is reported by verify_anchored
            return str(_l("unreadable timestamp"))


def checkpoints_dir(tenant_id: int) -> Path:
    return current_settings().document_store / "audit-checkpoints" / f"tenant-{tenant_id}"


def _payload(tenant: Tenant, seq: int, last_hash: str, at: datetime, tsa: str | None) -> bytes:
    body = {"format": FORMAT, "tenant_id": tenant.id, "tenant_code": tenant.code, "seq": seq, "hash": last_hash,
            "sealed_at": at.isoformat(timespec="seconds"), "tsa": tsa}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _sign(payload: bytes, credential: UnlockedCredential) -> bytes:
    from pyhanko.sign import signers  # imported when used: pyHanko weighs on every start-up
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = credential.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1(credential.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in credential.chain]),
    )
    signed = asyncio.run(signer.async_sign_general_data(payload, "sha256", detached=True))
    return bytes(signed.dump())


def _signature_problem(checkpoint: Checkpoint) -> str | None:
    """Why the checkpoint's signature does not prove the tenant's seal signed it; None when it does."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    roots = trust_roots()
    try:
        info = cms.ContentInfo.load(checkpoint.signature)
        context = ValidationContext(trust_roots=[_asn1(c) for c in roots], allow_fetching=False)
        status = asyncio.run(async_validate_detached_cms(checkpoint.payload, info["content"],
                                                         signer_validation_context=context))
    except Exception:  # unreadable or foreign bytes: a broken checkpoint, not a crash
        log.debug("checkpoint %s: signature unreadable", checkpoint.path, exc_info=True)
        return str(_l("its seal signature is not valid (unreadable)"))
    if not (status.intact and status.valid):
        return str(_l("its seal signature is not valid"))
    signer = status.signing_cert
    name = signer.subject.native.get("common_name") or signer.subject.human_friendly
    if roots and not status.trusted:
        return str(_l("it was signed by %(name)s, whose certificate does not chain to the trusted roots", name=name))
    seal = seal_of(checkpoint.tenant_id)
    if seal is None:
        return str(_l("the tenant has no seal certificate to check its signer against"))
    seal_cert = _asn1(x509.load_pem_x509_certificate(seal.certificate_pem.encode("ascii")))
    if signer.dump() != seal_cert.dump():
        return str(_l("it was signed by %(name)s (certificate %(serial)s), not by the tenant's seal", name=name,
                      serial=f"{signer.serial_number:x}"))
    return None


def _timestamp_problem(checkpoint: Checkpoint) -> str | None:
    if checkpoint.timestamp is None:
        if checkpoint.tsa:
            return str(_l("it was sealed with the TSA %(tsa)s but its timestamp token is missing", tsa=checkpoint.tsa))
        return None
    return token_problem(checkpoint.timestamp, checkpoint.signature)


def _write(tenant_id: int, name: str, content: bytes) -> Path:
    folder = checkpoints_dir(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    # "x": a checkpoint file is created once and never overwritten.
    with open(target, "xb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return target


def read_checkpoints(tenant_id: int) -> list[Checkpoint | Path]:
    """The tenant's checkpoints by sequence number; a file that cannot be read is returned as its path."""
    folder = checkpoints_dir(tenant_id)
    found: list[Checkpoint | Path] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            wrapper = json.loads(path.read_text("utf-8"))
            payload = base64.b64decode(wrapper["checkpoint"])
            body = json.loads(payload)
            found.append(Checkpoint(
                path=path, tenant_id=int(body["tenant_id"]), seq=int(body["seq"]), hash=str(body["hash"]),
                sealed_at=datetime.fromisoformat(body["sealed_at"]), payload=payload,
                signature=base64.b64decode(wrapper["signature"]), tsa=body.get("tsa") or None,
                timestamp=base64.b64decode(wrapper["timestamp"]) if wrapper.get("timestamp") else None,
            ))
        except (OSError, ValueError, KeyError, TypeError):
            found.append(path)
    return found


def _verified_checkpoints(tenant_id: int) -> tuple[list[Checkpoint], ChainProblem | None]:
    checkpoints: list[Checkpoint] = []
    for item in read_checkpoints(tenant_id):
        if isinstance(item, Path):
            return checkpoints, ChainProblem(tenant_id, 0, str(_l("checkpoint %(file)s is unreadable", file=item.name)))
        if item.tenant_id != tenant_id:
            return checkpoints, ChainProblem(tenant_id, item.seq, str(_l("%(checkpoint)s: it belongs to another tenant",
                                                                            checkpoint=item.describe())))
        problem = _signature_problem(item) or _timestamp_problem(item)
        if problem is not None:
            return checkpoints, ChainProblem(tenant_id, item.seq, f"{item.describe()}: {problem}")
        checkpoints.append(item)
    checkpoints.sort(key=lambda c: (c.seq, c.sealed_at))
    return checkpoints, None


def verify_anchored(tenant_id: int) -> ChainProblem | None:
    """The chain's first problem: a broken link (:func:`verify_chain`) or a checkpoint it no longer matches."""
    problem = verify_chain(tenant_id)
    if problem is not None:
        return problem
    checkpoints, problem = _verified_checkpoints(tenant_id)
    if problem is not None:
        return problem
    head = db.session.execute(select(AuditHead.seq).where(AuditHead.tenant_id == tenant_id)).scalar() or 0
    rows = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(
            AuditEvent.tenant_id == tenant_id, AuditEvent.seq.in_({c.seq for c in checkpoints}))
    ).all()
    hashes = {int(seq): str(digest) for seq, digest in rows}
    previous = 0
    for checkpoint in checkpoints:
        if checkpoint.seq > head:
            return ChainProblem(tenant_id, checkpoint.seq, str(_l(
                "%(checkpoint)s: the chain now ends at event #%(head)s, so events up to #%(seq)s were deleted "
                "(head wound back)", checkpoint=checkpoint.describe(), head=head, seq=checkpoint.seq)))
        if hashes.get(checkpoint.seq) != checkpoint.hash:
            return ChainProblem(tenant_id, checkpoint.seq, str(_l(
                "%(checkpoint)s: the chain no longer matches it; an event between #%(first)s and #%(seq)s was "
                "edited and the hashes recomputed", checkpoint=checkpoint.describe(), first=previous + 1,
                seq=checkpoint.seq)))
        previous = checkpoint.seq
    return None


def latest_checkpoint(tenant_id: int) -> Checkpoint | None:
    items = [c for c in read_checkpoints(tenant_id) if isinstance(c, Checkpoint)]
    return max(items, key=lambda c: (c.seq, c.sealed_at), default=None)


def _secretaries(tenant_id: int) -> list[str]:
    rows = db.session.execute(
        select(User.email).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == Role.SECRETARI.value, User.active.is_(True))
    ).scalars()
    return [email for email in rows if email]


def seal_chain(tenant_id: int, *, mail: bool = True) -> Checkpoint:
    """Write a signed checkpoint of the tenant's chain head (and mail it to the secretaries).

    Refused (Conflict) when the chain is already broken: a checkpoint must never bless a
    tampered chain, and when a TSA is configured but gives no timestamp (nothing is written; the
    next run tries again). When the head has not moved since the latest checkpoint, that one is returned.
    """
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise Conflict(_l("Not found."))
    problem = verify_anchored(tenant_id)
    if problem is not None:
        raise Conflict(_l("The audit chain is broken, so it cannot be sealed: %(problem)s", problem=str(problem)))
    head = db.session.execute(select(AuditHead).where(AuditHead.tenant_id == tenant_id)).scalar_one_or_none()
    seq, last_hash = (head.seq, head.last_hash) if head is not None else (0, "0" * 64)
    latest = latest_checkpoint(tenant_id)
    if latest is not None and latest.seq == seq and latest.hash == last_hash:
        return latest
    credential = unlock_seal(tenant_id)
    now = utcnow()
    tsa = tsa_url()
    payload = _payload(tenant, seq, last_hash, now, tsa)
    signature = _sign(payload, credential)
    wrapper = {"checkpoint": base64.b64encode(payload).decode("ascii"),
               "signature": base64.b64encode(signature).decode("ascii")}
    token = None
    if tsa:
        try:
            token = request_token(signature)
        except TimestampUnavailable as err:
            raise Conflict(_l("No checkpoint was written: %(problem)s. Try again later, or unset GEE_TSA_URL "
                              "to seal without a timestamp.", problem=str(err))) from None
        wrapper["timestamp"] = base64.b64encode(token).decode("ascii")
    content = json.dumps(wrapper, indent=1).encode("utf-8") + b"\n"
    path = _write(tenant_id, f"{seq:010d}-{now.strftime('%Y%m%dT%H%M%S%fZ')}.json", content)
    checkpoint = Checkpoint(path=path, tenant_id=tenant_id, seq=seq, hash=last_hash, sealed_at=now,
                            payload=payload, signature=signature, tsa=tsa, timestamp=token)
    log.info("audit chain of tenant %s sealed at event #%s (%s)", tenant.code, seq, path)
    if mail:
        send_mail(_secretaries(tenant_id), f"GEE: audit checkpoint {tenant.code} #{seq}", (
            f"Signed checkpoint of the audit trail of {tenant.name} ({tenant.code}).\n"
            f"Event #{seq}, hash {last_hash}, sealed {as_utc(now)}.\n\n"
            "Keep this message: it lets the secretary prove later that the audit trail was not rewritten.\n"
            f"File {path.name}:\n\n{content.decode('utf-8')}"))
    return checkpoint


def seal_all_tenants() -> list[str]:
    """Job (nightly): seal every tenant that has a seal certificate; the outcome per tenant."""
    outcomes = []
    for tenant in db.session.execute(select(Tenant).order_by(Tenant.id)).scalars().all():
        if seal_of(tenant.id) is None:
            outcomes.append(f"{tenant.code}: no seal certificate")
            continue
        try:
            checkpoint = seal_chain(tenant.id)
        except GeeError as err:
            log.error("audit chain of tenant %s not sealed: %s", tenant.code, err)
            outcomes.append(f"{tenant.code}: {err}")
            continue
        outcomes.append(f"{tenant.code}: #{checkpoint.seq}")
    return outcomes


__all__ = ["Checkpoint", "checkpoints_dir", "latest_checkpoint", "read_checkpoints", "seal_all_tenants",
           "seal_chain", "verify_anchored"]
