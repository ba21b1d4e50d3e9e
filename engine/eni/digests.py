"""ValorHuella / FuncionResumen: what systems write differs, so digests are always recomputed.

GEE writes SHA-512 as base64, naming it with the XML Encryption URI (as InSiDE does). On
import, names like ``MD5``, ``SHA1``, ``SHA512``, ``SHA-512``, ``sha512`` or the W3C URIs are understood, and the
value may be base64 or hexadecimal.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.eni.namespaces import SHA512_URI

_ALGORITHMS = {
    "md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512",
}


def algorithm_of(name: str) -> str:
    """The hashlib name for a FuncionResumen value, or a precise refusal."""
    raw = (name or "").strip().lower()
    short = raw.rsplit("#", 1)[-1].replace("-", "").replace("_", "")
    if short not in _ALGORITHMS:
        raise ValidationFailed(_l("FuncionResumen: unknown digest algorithm %(value)s.", value=name),
                               field="FuncionResumen")
    return _ALGORITHMS[short]


def written_digest(content: bytes) -> tuple[str, str]:
    """(ValorHuella, FuncionResumen) as GEE writes them."""
    return base64.b64encode(hashlib.sha512(content).digest()).decode("ascii"), SHA512_URI


def matches(content: bytes, value: str, function: str) -> bool:
    """Does ``value`` (base64 or hex) equal the digest of ``content`` under ``function``?"""
    digest = hashlib.new(algorithm_of(function), content).digest()
    text = "".join((value or "").split())
    candidates = []
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(text, validate=True))
    with contextlib.suppress(ValueError):
        candidates.append(bytes.fromhex(text))
    return digest in candidates
