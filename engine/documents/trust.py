"""Which certification authorities a signature must chain to.

``GEE_TRUST_ROOTS`` names a PEM bundle of trusted roots (e.g. the Spanish qualified trust list
exported as PEM). Outside production the demo CA (:mod:`engine.demo.ca`, at
``Settings.demo_ca_certificate``) is trusted too, so demo signatures verify.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509

from engine.base.settings import current_settings


def trust_roots() -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    bundle = os.environ.get("GEE_TRUST_ROOTS")
    if bundle:
        roots += x509.load_pem_x509_certificates(Path(bundle).read_bytes())
    settings = current_settings()
    demo = settings.demo_ca_certificate
    if not settings.production and demo.exists():
        roots += x509.load_pem_x509_certificates(demo.read_bytes())
    return roots
