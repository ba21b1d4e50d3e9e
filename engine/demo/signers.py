"""Demo certificates: the demo CA issues one for every alcalde and secretary of the demo
municipalities (key password = the demo password) and a seal for each municipality.

Idempotent: whoever already has a credential keeps it.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.demo import ca as test_ca
from engine.signatures.credentials import credential_of, import_personal, import_seal, seal_of
from engine.tenancy.models import Membership, Tenant, User

SIGNING_ROLES = ("alcalde", "secretari")


def load_demo_credentials(tenants: list[Tenant], password: str) -> int:
    """Issue the missing demo credentials; returns how many were made. The caller commits."""
    ca_key, ca_cert = test_ca.load_or_create_ca()
    made = 0
    for tenant in tenants:
        ctx = Context.system(tenant.id, "gee demo")
        users = db.session.execute(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant.id, Membership.role.in_(SIGNING_ROLES)).order_by(User.id)
        ).scalars().unique()
        for user in users:
            if credential_of(user.id) is None:
                key, cert = test_ca.issue_certificate(ca_key, ca_cert, user.full_name, serial=user.username)
                import_personal(ctx, user.id, test_ca.pkcs12_file(key, cert, ca_cert, password), password)
                made += 1
        if seal_of(tenant.id) is None:
            key, cert = test_ca.issue_certificate(ca_key, ca_cert, f"Segell {tenant.name}",
                                                  organization=tenant.name, serial=tenant.dir3)
            import_seal(ctx, test_ca.pkcs12_file(key, cert, ca_cert, password), password)
            made += 1
    return made
