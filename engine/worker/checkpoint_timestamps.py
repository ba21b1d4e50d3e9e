"""RFC 3161 timestamps of audit checkpoints, from the time-stamping authority ``GEE_TSA_URL``.

A checkpoint's seal signature says *who* vouched for the chain head; a timestamp token from an
independent authority (TSA) says *when*, so even the seal's holder cannot make a checkpoint later
and date it earlier. The token is requested over the SHA-256 of the checkpoint's signature bytes
and kept next to it in the checkpoint file. Checking it: the token's signature is intact, its
message imprint is the digest of that checkpoint's signature, and — when ``GEE_TSA_TRUST_ROOTS``
names the authorities' roots — the TSA's certificate chains to them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from engine.base.i18n import _l
from engine.base.settings import current_settings

log = logging.getLogger("gee.anchoring")

DIGEST = "sha256"


class TimestampUnavailable(Exception):
    """The TSA did not answer with a token (unreachable, refused, or an invalid answer)."""


def tsa_url() -> str | None:
    return current_settings().tsa_url


def request_token(signature: bytes) -> bytes:
    """A timestamp token (DER ``ContentInfo``) over ``signature``, from the configured TSA."""
    from pyhanko.sign.timestamps import HTTPTimeStamper  # brings aiohttp: imported only to ask a TSA

    url = tsa_url()
    if not url:
        raise TimestampUnavailable("no TSA configured (GEE_TSA_URL)")
    digest = hashlib.new(DIGEST, signature).digest()
    try:
        token = asyncio.run(HTTPTimeStamper(url, timeout=10).async_timestamp(digest, DIGEST))
    except Exception as err:  # network errors, HTTP errors, a refusal or an unreadable answer
        log.debug("TSA %s gave no token", url, exc_info=True)
        raise TimestampUnavailable(f"the TSA at {url} gave no timestamp ({type(err).__name__}: {err})") from err
    return bytes(token.dump())


def _roots() -> list[asn1_x509.Certificate] | None:
    bundle = current_settings().tsa_trust_roots
    if bundle is None:
        return None
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in x509.load_pem_x509_certificates(bundle.read_bytes())]


def token_time(token: bytes) -> datetime:
    """The time the TSA certified (``genTime``)."""
    signed = cms.ContentInfo.load(token)["content"]
    value: datetime = signed["encap_content_info"]["content"].parsed["gen_time"].native
    return value


def token_problem(token: bytes, signature: bytes) -> str | None:
    """What is wrong with ``token`` as a timestamp of ``signature``; None when it holds."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    roots = _roots()
    try:
        signed = cms.ContentInfo.load(token)["content"]
        imprint = signed["encap_content_info"]["content"].parsed["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        covers = imprint["hashed_message"].native == hashlib.new(algorithm, signature).digest()
        context = ValidationContext(trust_roots=roots or [], allow_fetching=False)
        status = asyncio.run(validate_tst_signed_data(
            signed, context, lambda name: hashlib.new(name, signature).digest()))
    except Exception:  # unreadable or foreign bytes
        log.debug("timestamp token unreadable", exc_info=True)
        return str(_l("its timestamp token is unreadable"))
    if not covers:
        return str(_l("its timestamp token does not cover this checkpoint's signature (the message imprint differs)"))
    if not (status["valid"] and status["intact"]):
        return str(_l("its timestamp token's signature is not valid (the token was altered)"))
    if roots is not None and status["trust_problem_indic"] is not None:
        return str(_l("its timestamp token was issued by a TSA whose certificate does not chain to "
                      "GEE_TSA_TRUST_ROOTS"))
    return None


__all__ = ["TimestampUnavailable", "request_token", "token_problem", "token_time", "tsa_url"]
