"""Demo data: one provincial service, two small municipalities, a user for each role in each.

Idempotent: running it again changes nothing that exists. Refused in production, since the
demo passwords are published in the README.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import _l
from engine.base.settings import PROJECT_ROOT
from engine.demo.signers import load_demo_credentials
from engine.process.definition.deploy import DeployResult, deploy_process
from engine.tenancy.models import ROLES, Membership, Tenant, User, role_label
from engine.tenancy.passwords import hash_password

DEMO_PASSWORD = "demo-gee-2026"  # noqa: S105 - published demo credential, refused in production


@dataclass(frozen=True)
class DemoTenant:
    code: str
    short: str
    name: str
    kind: str
    dir3: str
    ine_code: str | None
    comarca: str | None
    aran: bool
    local_holidays: dict[str, list[str]]


PROVINCIAL = DemoTenant(
    "diputacio-demo", "dipu", "Servei provincial d'e-administració (demo)", "provincial",
    "L02000025", None, None, False, {},
)
MUNICIPALITIES = (
    DemoTenant(
        "sant-demo", "sant", "Ajuntament de Sant Demo de Segre", "ajuntament", "L01259904", "259904",
        "Noguera", False, {"2026": ["2026-05-15", "2026-09-29"], "2027": ["2027-05-14", "2027-09-29"]},
    ),
    DemoTenant(
        "vilaprova", "aran", "Ajuntament de Vilaprova d'Aran", "ajuntament", "L01259911", "259911",
        "Val d'Aran", True, {"2026": ["2026-07-25", "2026-10-12"], "2027": ["2027-07-26", "2027-10-11"]},
    ),
)
ROLE_NAMES = {
    "tramitador": "Tramitador/a",
    "tecnic": "Tècnic/a",
    "secretari": "Secretari/ària",
    "alcalde": "Alcalde/essa",
    "dissenyador": "Dissenyador/a de processos",
    "admin": "Administrador/a",
}


def _tenant(spec: DemoTenant) -> Tenant:
    tenant = db.session.execute(select(Tenant).where(Tenant.code == spec.code)).scalar_one_or_none()
    if tenant is None:
        tenant = Tenant(
            code=spec.code, name=spec.name, kind=spec.kind, dir3=spec.dir3, ine_code=spec.ine_code,
            comarca=spec.comarca, aran=spec.aran, local_holidays=spec.local_holidays,
        )
        db.session.add(tenant)
        db.session.flush()
    return tenant


def _user(username: str, full_name: str, password_hash: str, *, platform_admin: bool = False) -> User:
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = User(username=username, full_name=full_name, password_hash=password_hash,
                    platform_admin=platform_admin)
        db.session.add(user)
        db.session.flush()
    return user


def _grant(user: User, tenant: Tenant, role: str) -> None:
    exists = db.session.execute(
        select(Membership).where(
            Membership.user_id == user.id, Membership.tenant_id == tenant.id, Membership.role == role
        )
    ).scalar_one_or_none()
    if exists is None:
        db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, role=role))


def demo_logins() -> list[tuple[str, str]]:
    """(username, what they are) for the README and the command's output."""
    logins = [("plataforma", str(_l("platform admin of the provincial service")))]
    for spec in MUNICIPALITIES:
        logins += [(f"{role}.{spec.short}", str(_l("%(role)s of %(tenant)s", role=role_label(role), tenant=spec.name)))
                   for role in ROLES]  # fmt: skip
    logins.append(("secretaria.compartida", str(_l("secretary shared by both municipalities"))))
    return logins


def demo_person(tenant: Tenant, role: str) -> Context:
    """The demo user of ``role`` in ``tenant``, acting there."""
    user = db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role == role, User.username.like(f"{role}.%"))
        .order_by(User.id)
    ).scalars().first()
    assert user is not None, f"the demo municipality {tenant.code} has no {role}"
    return Context(tenant_id=tenant.id, user_id=user.id, username=user.username, roles=frozenset({role}))


def load_demo_tenants() -> dict[str, Tenant]:
    """Create (or find) the demo tenants and users, with test certificates for the alcaldes,
    secretaries and municipal seals (engine.demo.signers); the caller commits."""
    password_hash = hash_password(DEMO_PASSWORD)
    provincial = _tenant(PROVINCIAL)
    platform = _user("plataforma", "Plataforma Diputació", password_hash, platform_admin=True)
    _grant(platform, provincial, "admin")
    tenants = {PROVINCIAL.code: provincial}
    shared_secretary = _user("secretaria.compartida", "Marta Secretària Compartida", password_hash)
    for spec in MUNICIPALITIES:
        tenant = _tenant(spec)
        tenants[spec.code] = tenant
        holders: dict[str, int] = {}
        for role in ROLES:
            user = _user(f"{role}.{spec.short}", f"{ROLE_NAMES[role]} ({spec.short})", password_hash)
            _grant(user, tenant, role)
            holders[role] = user.id
        if not any((tenant.signing_officers or {}).values()):  # the demo's mayor and secretary hold the offices
            tenant.signing_officers = {office: holders[office] for office in ("alcalde", "secretari")}
        _grant(shared_secretary, tenant, "secretari")
    db.session.flush()
    load_demo_credentials([tenants[spec.code] for spec in MUNICIPALITIES], DEMO_PASSWORD)
    return tenants


PROCESSES_DIR = PROJECT_ROOT / "processes"


def deploy_shipped_procedures() -> dict[str, DeployResult]:
    """Deploy every BPMN under ``processes/`` as a shared model of the provincial service."""
    results = {}
    for path in sorted(PROCESSES_DIR.glob("*.bpmn")):
        results[path.name] = deploy_process(None, path, shared=True, created_by="gee demo")
        db.session.flush()
    return results
