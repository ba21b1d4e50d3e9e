"""Which certification authorities a signature must chain to.

``GEE_TRUST_ROOTS`` names a PEM bundle of trusted roots (e.g. the Spanish qualified trust list
exported as PEM). Outside production the demo CA (:mod:`engine.signatures.test_ca`) is
trusted too, so demo signatures verify.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from flask import current_app

from engine.app import settings_of
from engine.signatures.test_ca import ca_certificate_path


def trust_roots() -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    bundle = os.environ.get("GEE_TRUST_ROOTS")
    if bundle:
        roots += x509.load_pem_x509_certificates(Path(bundle).read_bytes())
    demo = ca_certificate_path()
    if not settings_of(current_app).production and demo.exists():
        roots += x509.load_pem_x509_certificates(demo.read_bytes())
    return roots
