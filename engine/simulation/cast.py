"""The people of a test-run: a throwaway municipality (a copy of the real one's calendar and
codes, so terms are computed the same) with one person per role, the signers holding a
throwaway certificate. Everything is created inside the discarded transaction of the run, so
nothing of it, nor of what they do, reaches the real municipality."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from engine.base.context import Context
from engine.base.db import db
from engine.demo import ca as test_ca
from engine.signatures.credentials import import_personal
from engine.tenancy.models import Membership, Tenant, User

#: The key password of every simulated signer (their certificates live only in the run).
KEY_PASSWORD = "simulacio"  # noqa: S105 - a throwaway key in a discarded transaction
SIGNING_ROLES = ("alcalde", "secretari")


@lru_cache(maxsize=1)
def _authority() -> tuple[RSAPrivateKey, x509.Certificate]:
    return test_ca.make_ca("GEE simulacio")


@lru_cache(maxsize=4)
def _key_file(role: str) -> bytes:
    """A PKCS#12 file for the simulated signer of ``role`` (made once per process: keys are slow)."""
    ca_key, ca_cert = _authority()
    key, cert = test_ca.issue_certificate(ca_key, ca_cert, f"Simulacio {role}", serial=f"sim-{role}")
    return test_ca.pkcs12_file(key, cert, ca_cert, KEY_PASSWORD)


def sandbox_tenant(real: Tenant) -> Tenant:
    """A municipality that exists only in the run, with the real one's calendar and codes."""
    tenant = Tenant(
        code=f"sim-{secrets.token_hex(6)}", name=real.name, kind=real.kind, dir3=real.dir3, ine_code=real.ine_code,
        comarca=real.comarca, aran=real.aran, local_holidays=dict(real.local_holidays or {}),
        signing_officers=dict(real.signing_officers or {}),
    )  # fmt: skip
    db.session.add(tenant)
    db.session.flush()
    return tenant


@dataclass
class Cast:
    """One person per role in the sandbox municipality, made when first needed."""

    tenant: Tenant
    people: dict[str, Context] = field(default_factory=dict)

    @property
    def system(self) -> Context:
        return Context.system(self.tenant.id, "simulacio")

    def person(self, role: str | None) -> Context:
        role = role or "tramitador"
        if role not in self.people:
            user = User(username=f"sim-{role}-{secrets.token_hex(4)}", full_name=f"Simulació ({role})",
                        password_hash="!", locale="ca")  # noqa: S106 - "!" matches no password: nobody logs in  # fmt: skip
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(tenant_id=self.tenant.id, user_id=user.id, role=role))
            db.session.flush()
            if role in SIGNING_ROLES:
                import_personal(self.system, user.id, _key_file(role), KEY_PASSWORD)
            self.people[role] = Context(tenant_id=self.tenant.id, user_id=user.id, username=user.username,
                                        roles=frozenset({role}), locale="ca")  # fmt: skip
        return self.people[role]


__all__ = ["KEY_PASSWORD", "Cast", "sandbox_tenant"]
