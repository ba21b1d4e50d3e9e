"""Who a citizen is, as an identity provider vouches (OpenID Connect: VÀLid, Cl@ve, or the
development provider), and the engine context the e-office acts with on their behalf.

Citizens are not users: they have no roles, no password here and no tenant. What they may
see is decided by their NIF (see :mod:`engine.citizens.carpeta`). The services that act for
them run with a context whose actor is ``seu:<NIF>``: the audit trail shows who filed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.audit.actors import CITIZEN_PREFIX
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.identifiers import normalise_nif
from engine.tenancy.models import Tenant

#: Claims where providers put the citizen's NIF, in order of preference.
NIF_CLAIMS = ("nif", "document_number", "identifier", "sub")
#: The actor the audit trail records for a citizen: this prefix and their NIF.
ACTOR_PREFIX = CITIZEN_PREFIX


@dataclass(frozen=True)
class CitizenIdentity:
    nif: str
    name: str
    email: str | None = None
    #: Who vouched for the citizen (the id_token's ``iss``) and how they identified themselves there
    #: (``amr``, else ``acr``), when the provider says: the request document records it.
    issuer: str | None = None
    method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"nif": self.nif, "name": self.name, "email": self.email, "issuer": self.issuer,
                "method": self.method}  # fmt: skip

    def identification(self) -> dict[str, str | None]:
        """How the citizen identified themselves, as a filing keeps it in the process data."""
        return {"proveidor": self.issuer, "metode": self.method}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CitizenIdentity:
        return cls(nif=str(data["nif"]), name=str(data["name"]), email=data.get("email") or None,
                   issuer=data.get("issuer") or None, method=data.get("method") or None)  # fmt: skip


def identity_from_claims(claims: Mapping[str, Any]) -> CitizenIdentity:
    """The citizen an id_token's claims describe; the NIF must be a valid Spanish one."""
    raw = next((str(claims[c]) for c in NIF_CLAIMS if claims.get(c)), "")
    nif = normalise_nif(raw)
    name = " ".join(str(claims.get("name") or "").split()) or " ".join(
        f"{claims.get('given_name') or ''} {claims.get('family_name') or ''}".split()
    )
    if not name:
        raise ValidationFailed(_l("The identity provider did not give a name."), field="name")
    email = str(claims["email"]) if claims.get("email") else None
    return CitizenIdentity(nif=nif, name=name[:300], email=email, issuer=_claim(claims.get("iss")),
                           method=_claim(claims.get("amr")) or _claim(claims.get("acr")))  # fmt: skip


def _claim(value: Any) -> str | None:
    """A claim as short text (``amr`` is a list of method names), or None when absent."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value if v)
    text = " ".join(str(value or "").split())
    return text[:200] or None


def tenant_by_code(code: str) -> Tenant:
    """An active municipality of the platform by its code (the e-office URL), or NotFound."""
    tenant = db.session.execute(
        select(Tenant).where(Tenant.code == code, Tenant.active.is_(True))
    ).scalar_one_or_none()
    if tenant is None or tenant.kind == "provincial":
        raise NotFound(_l("Not found."))
    return tenant


def citizen_context(tenant: Tenant, citizen: CitizenIdentity, locale: str = "ca") -> Context:
    """The context the e-office acts with for this citizen in this municipality.

    It carries the platform's ``system`` role because the e-office itself opens expedients,
    registers entries and starts processes; the citizen services check what the citizen may
    do (their own expedients only) before acting."""
    return Context(
        tenant_id=tenant.id,
        user_id=None,
        username=f"{ACTOR_PREFIX}{citizen.nif}",
        roles=frozenset({"system"}),
        locale=locale,
    )
