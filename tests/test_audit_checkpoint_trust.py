"""Who signed a checkpoint, and when: the tenant's seal, and an RFC 3161 timestamp from a real TSA.

A checkpoint only anchors the chain if nobody else could have made it: one signed by another
tenant's seal, or by a key someone made with the seal's name, is reported as broken. With a
time-stamping authority configured (``GEE_TSA_URL``) each checkpoint carries a timestamp token over
its signature; the TSA here is a real HTTP responder (tests/tsa_responder.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from engine.base.db import db
from engine.expedients.expedients import open_expedient
from engine.signatures.credentials import seal_of, unlock_seal
from engine.tenancy.models import Tenant
from engine.worker.anchoring import read_checkpoints, seal_chain, verify_anchored
from tests.conftest import ctx_for, make_user, settings_changed
from tests.test_signatures_helpers import town
from tests.tsa_responder import TsaResponder
from webapp.cli import main

CODE = "ajt-segellat"


@pytest.fixture
def tenant() -> Tenant:
    people = town(CODE, "L01250031")
    for subject in ("Primer", "Segon"):
        open_expedient(people["clerk"], subject)
    db.session.commit()
    return db.session.get(Tenant, people["clerk"].tenant_id)


@pytest.fixture
def tsa(app: Flask, tmp_path: Path) -> Iterator[TsaResponder]:
    """A running TSA, configured as GEE_TSA_URL with its root as GEE_TSA_TRUST_ROOTS."""
    with TsaResponder() as responder, settings_changed(
            app, tsa_url=responder.url, tsa_trust_roots=responder.root_pem(tmp_path / "tsa-root.pem")):
        yield responder


def gee(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(main, ["audit", *args])


def open_more(tenant: Tenant, subject: str) -> None:
    user = make_user(f"extra.{subject.lower()}", tenant, ("tramitador",))
    open_expedient(ctx_for(user, tenant), subject)
    db.session.commit()


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def cms_signature(payload: bytes, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bytes:
    """A detached CMS signature of ``payload`` made with pyHanko directly (not GEE's signer)."""
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = signers.SimpleSigner(signing_cert=_asn1(cert), signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
                                  cert_registry=SimpleCertificateStore.from_certs([_asn1(cert)]))
    return bytes(asyncio.run(signer.async_sign_general_data(payload, "sha256", detached=True)).dump())


def resign(path: Path, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """The forgery: keep the checkpoint's content, replace its signature by one made with another key."""
    stored = json.loads(path.read_text())
    stored["signature"] = base64.b64encode(cms_signature(base64.b64decode(stored["checkpoint"]), key, cert)).decode()
    path.write_text(json.dumps(stored))


def token_of(path: Path) -> bytes:
    return base64.b64decode(json.loads(path.read_text())["timestamp"])


def set_token(path: Path, token: bytes | None) -> None:
    stored = json.loads(path.read_text())
    if token is None:
        del stored["timestamp"]
    else:
        stored["timestamp"] = base64.b64encode(token).decode()
    path.write_text(json.dumps(stored))


def test_a_checkpoint_signed_by_another_tenants_seal_is_broken(app: Flask, tenant: Tenant) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    assert verify_anchored(tenant.id) is None
    other = town("ajt-veina", "L01250032")["clerk"].tenant_id
    neighbour = unlock_seal(other)  # a genuine seal, trusted, but another municipality's
    resign(checkpoint.path, neighbour.key, neighbour.certificate)  # type: ignore[arg-type]
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert checkpoint.path.name in result.stderr
    assert "not by the tenant's seal" in result.stderr and "Segell" in result.stderr
    assert "Traceback" not in result.output


def test_a_checkpoint_signed_by_a_self_made_key_with_the_seals_name_is_broken(app: Flask, tenant: Tenant) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    seal = seal_of(tenant.id)
    assert seal is not None
    subject = x509.load_pem_x509_certificate(seal.certificate_pem.encode()).subject
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    impostor = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    resign(checkpoint.path, key, impostor)
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert checkpoint.path.name in result.stderr and "does not chain to the trusted roots" in result.stderr


def test_without_a_tsa_checkpoints_are_sealed_and_say_they_have_no_timestamp(app: Flask, tenant: Tenant) -> None:
    result = gee(app, "seal", "--tenant", CODE, "--no-mail")
    assert result.exit_code == 0, result.output
    assert "no timestamp" in result.stdout and "no TSA configured" in result.stdout
    stored = json.loads(read_checkpoints(tenant.id)[0].path.read_text())  # type: ignore[union-attr]
    assert "timestamp" not in stored
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.stdout and "no TSA configured" in result.stdout


def test_with_a_tsa_each_checkpoint_carries_a_timestamp_of_its_signature(
        app: Flask, tenant: Tenant, tsa: TsaResponder) -> None:
    result = gee(app, "seal", "--tenant", CODE, "--no-mail")
    assert result.exit_code == 0, result.output
    assert tsa.requests == 1 and "timestamped" in result.stdout and tsa.url in result.stdout
    checkpoint = read_checkpoints(tenant.id)[0]
    assert not isinstance(checkpoint, Path)
    # Independently of GEE: the token is a TSTInfo whose imprint is the SHA-256 of the checkpoint's signature,
    # issued by the TSA, at about now.
    signed = cms.ContentInfo.load(token_of(checkpoint.path))["content"]
    info = signed["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(checkpoint.signature).digest()
    assert abs(info["gen_time"].native - datetime.now(UTC)) < timedelta(minutes=5)
    issuer = signed["signer_infos"][0]["sid"].chosen["issuer"].native["common_name"]
    assert issuer == "TSA de proves root"  # signed by the TSA's certificate, which its root issued
    open_more(tenant, "Tercer")
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 0, result.output
    assert "timestamped" in result.stdout and "checked with the TSA" in result.stdout


def test_a_timestamp_of_another_checkpoint_is_reported(app: Flask, tenant: Tenant, tsa: TsaResponder) -> None:
    first = seal_chain(tenant.id, mail=False)
    open_more(tenant, "Tercer")
    second = seal_chain(tenant.id, mail=False)
    set_token(second.path, token_of(first.path))  # a genuine token, but over another signature
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert second.path.name in result.stderr and "message imprint differs" in result.stderr
    assert first.path.name not in result.stderr


def test_an_altered_timestamp_token_is_reported(app: Flask, tenant: Tenant, tsa: TsaResponder) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    token = bytearray(token_of(checkpoint.path))
    token[-10] ^= 0x01  # inside the TSA's signature value
    set_token(checkpoint.path, bytes(token))
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert checkpoint.path.name in result.stderr and "timestamp" in result.stderr and "not valid" in result.stderr


def test_a_removed_timestamp_is_reported(app: Flask, tenant: Tenant, tsa: TsaResponder) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    set_token(checkpoint.path, None)  # the payload (signed by the seal) still names the TSA
    result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert checkpoint.path.name in result.stderr and "timestamp token is missing" in result.stderr


def test_a_tsa_outside_the_configured_roots_is_reported(
        app: Flask, tenant: Tenant, tsa: TsaResponder, tmp_path: Path) -> None:
    checkpoint = seal_chain(tenant.id, mail=False)
    with TsaResponder() as stranger, settings_changed(app, tsa_trust_roots=stranger.root_pem(tmp_path / "x.pem")):
        result = gee(app, "verify", "--tenant", CODE)
    assert result.exit_code == 1
    assert checkpoint.path.name in result.stderr and "does not chain to GEE_TSA_TRUST_ROOTS" in result.stderr


def test_an_unreachable_tsa_writes_no_checkpoint_and_says_why(app: Flask, tenant: Tenant) -> None:
    with TsaResponder() as gone:
        url = gone.url  # a port that answered once and now is closed
    with settings_changed(app, tsa_url=url):
        result = gee(app, "seal", "--tenant", CODE, "--no-mail")
    assert result.exit_code == 1
    assert "No checkpoint was written" in result.stderr and url in result.stderr
    assert "Traceback" not in result.output
    assert read_checkpoints(tenant.id) == []
