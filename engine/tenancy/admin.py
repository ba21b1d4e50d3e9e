"""Administration of tenants and their users.

Only platform administrators (the provincial service) create tenants; each tenant's own
administrators manage its users, roles, local holidays and signing officers. A user may hold
roles in several tenants (a secretary shared by several municipalities): a tenant admin grants
roles only to users who already belong to the tenant, a platform admin to anyone.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func, select

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.tenancy.codes import check_ine, check_municipal_dir3
from engine.tenancy.languages import check_default_locale
from engine.tenancy.login import change_password, deactivate_user, end_sessions
from engine.tenancy.models import ROLES, Membership, Role, Tenant, User, role_label
from engine.tenancy.password_links import issue_password_link
from engine.tenancy.passwords import MIN_PASSWORD_LENGTH, check_new_password, hash_password, verify_password


class TenantKind(StrEnum):
    AJUNTAMENT = "ajuntament"
    EMD = "emd"
    CONSELL_COMARCAL = "consell_comarcal"
    PROVINCIAL = "provincial"


KIND_LABELS = {
    TenantKind.AJUNTAMENT.value: _l("Ajuntament"),
    TenantKind.EMD.value: _l("EMD"),
    TenantKind.CONSELL_COMARCAL.value: _l("Consell comarcal"),
    TenantKind.PROVINCIAL.value: _l("Provincial service"),
}

#: A municipality's DIR3 code is L01 + its 6-digit INE code (5 digits + check digit).
_MUNICIPAL_DIR3 = re.compile(r"L01\d{6}")
_ANY_DIR3 = re.compile(r"[A-Z][A-Z0-9]{1,20}")
#: A tenant's code (its URLs, its sandbox's name): lower-case letters, digits and inner dashes.
CODE_MAX_LENGTH = 40
_CODE = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{CODE_MAX_LENGTH - 2}}}[a-z0-9])?")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOCAL_HOLIDAYS_PER_YEAR = 2
SIGNING_OFFICES = (Role.ALCALDE, Role.SECRETARI)


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    password: str
    email: str | None = None


# -- permissions ----------------------------------------------------------------------------


def _require_platform_admin(ctx: Context) -> None:
    if not ctx.platform_admin:
        raise Forbidden(_l("Only platform administrators can do this."))


def require_tenant_admin(ctx: Context) -> None:
    if not (ctx.platform_admin or ctx.has_role(Role.ADMIN)):
        raise Forbidden(_l("Only administrators of this municipality can do this."))


def _tenant(ctx: Context) -> Tenant:
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    return tenant


def tenant_user(ctx: Context, user_id: int) -> User:
    """A user holding some role in the context's tenant; anyone else is not found (administrators only)."""
    require_tenant_admin(ctx)
    user = db.session.get(User, user_id)
    if user is None or ctx.tenant_id not in user.tenant_ids():
        raise NotFound(_l("Not found."))
    return user


# -- validation -----------------------------------------------------------------------------


def check_dir3(dir3: str, kind: str) -> str:
    """Upper-cased DIR3 code; an ajuntament's must be L01 + 6 digits (configured, never derived)."""
    value = (dir3 or "").strip().upper()
    pattern = _MUNICIPAL_DIR3 if kind == TenantKind.AJUNTAMENT else _ANY_DIR3
    if not pattern.fullmatch(value):
        message = (
            _l("DIR3 code %(value)s: a municipality's code is L01 followed by 6 digits.", value=value)
            if kind == TenantKind.AJUNTAMENT
            else _l("DIR3 code %(value)s is not valid.", value=value)
        )
        raise ValidationFailed(message, field="dir3")
    return value


def _check_code(code: str | None) -> str:
    """The tenant code, lower-cased; each way it can be wrong is said as such."""
    value = (code or "").strip().lower()
    if not value:
        raise ValidationFailed(_l("The code is required."), field="code")
    if len(value) > CODE_MAX_LENGTH:
        raise ValidationFailed(_l("The code is too long: it has %(length)s characters and at most %(max)s are "
                                  "allowed.", length=len(value), max=CODE_MAX_LENGTH), field="code")  # fmt: skip
    if value.startswith("-") or value.endswith("-"):
        raise ValidationFailed(_l("The code cannot start or end with a dash."), field="code")
    if not _CODE.fullmatch(value):
        raise ValidationFailed(_l("The code may use lower-case letters, digits and dashes."), field="code")
    return value


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role %(role)s.", role=role), field="role")
    return role


def _new_user_row(spec: NewUser) -> User:
    username = (spec.username or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValidationFailed(
            _l("The username may use lower-case letters, digits, dots, dashes and underscores."),
            field="username",
        )
    if db.session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(_l("The username %(username)s is already taken.", username=username), field="username")
    if len(spec.password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    email = check_email(spec.email)
    user = User(
        username=username,
        full_name=clean_text(spec.full_name, 200, "full_name", required=True),
        email=email,
        password_hash=hash_password(spec.password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def check_email(value: str | None) -> str | None:
    """A trimmed e-mail address of the usual shape, or None when empty."""
    email = clean_text(value, 200, "email")
    if email is not None and not _EMAIL.fullmatch(email):
        raise ValidationFailed(_l("The e-mail address %(value)s is not valid.", value=email), field="email")
    return email


def _keep_an_admin(ctx: Context) -> None:
    """Refuse to take the administrator role from the tenant's last administrator."""
    admins = db.session.scalar(
        select(func.count()).select_from(Membership).where(
            Membership.tenant_id == ctx.tenant_id, Membership.role == Role.ADMIN.value
        )
    )
    if (admins or 0) <= 1:
        raise Conflict(_l("A municipality must keep at least one administrator."), field="role")


def _user_summary(user: User, tenant_id: int) -> dict[str, object]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "roles": sorted(user.roles_in(tenant_id)), "active": user.active}


# -- services -------------------------------------------------------------------------------


def create_tenant(
    ctx: Context,
    *,
    code: str,
    name: str,
    dir3: str,
    first_admin: NewUser,
    kind: str = TenantKind.AJUNTAMENT,
    ine_code: str | None = None,
    comarca: str | None = None,
    aran: bool = False,
    default_locale: str = "ca",
) -> Tenant:
    """A new tenant and its first administrator (platform administrators only; the caller commits)."""
    _require_platform_admin(ctx)
    if kind not in tuple(TenantKind):
        raise ValidationFailed(_l("Unknown kind of body %(kind)s.", kind=kind), field="kind")
    clean_code = _check_code(code)
    clean_ine = check_ine(ine_code) if (ine_code or "").strip() else None
    if kind == TenantKind.AJUNTAMENT and clean_ine is None:
        raise ValidationFailed(_l("An ajuntament needs its INE municipality code."), field="ine_code")
    clean_dir3 = check_dir3(dir3, kind)
    locale = check_default_locale(default_locale)
    if kind == TenantKind.AJUNTAMENT and clean_ine is not None:
        check_municipal_dir3(clean_dir3, clean_ine)
    if db.session.execute(select(Tenant.id).where(Tenant.code == clean_code)).first() is not None:
        raise Conflict(_l("The code %(code)s is already used.", code=clean_code), field="code")
    if db.session.execute(select(Tenant.id).where(Tenant.dir3 == clean_dir3)).first() is not None:
        raise Conflict(_l("Another body already has DIR3 code %(dir3)s.", dir3=clean_dir3), field="dir3")
    tenant = Tenant(
        code=clean_code,
        name=clean_text(name, 200, "name", required=True),
        kind=str(kind),
        dir3=clean_dir3,
        ine_code=clean_ine,
        comarca=clean_text(comarca, 100, "comarca"),
        aran=bool(aran),
        default_locale=locale,
        local_holidays={},
        # The offices that sign are there from the start, waiting for their holders.
        signing_officers={office.value: None for office in SIGNING_OFFICES},
    )
    db.session.add(tenant)
    db.session.flush()
    admin = _new_user_row(first_admin)
    db.session.add(Membership(tenant_id=tenant.id, user_id=admin.id, role=Role.ADMIN.value))
    db.session.flush()
    db.session.refresh(admin)
    in_tenant = dataclasses.replace(ctx, tenant_id=tenant.id)
    record(in_tenant, "tenant.created", "tenant", tenant.id,
           after={"code": tenant.code, "name": tenant.name, "kind": tenant.kind, "dir3": tenant.dir3,
                  "ine_code": tenant.ine_code, "comarca": tenant.comarca, "aran": tenant.aran,
                  "default_locale": tenant.default_locale})
    record(in_tenant, "user.created", "user", admin.id, after=_user_summary(admin, tenant.id))
    return tenant


def add_user(ctx: Context, spec: NewUser, roles: Iterable[str] = ()) -> User:
    """A new user of the context's tenant with these roles (tenant administrators only)."""
    require_tenant_admin(ctx)
    wanted = sorted({_role(r) for r in roles})
    if not wanted:
        raise ValidationFailed(_l("Give the user at least one role."), field="roles")
    user = _new_user_row(spec)
    for role in wanted:
        db.session.add(Membership(tenant_id=ctx.tenant_id, user_id=user.id, role=role))
    db.session.flush()
    db.session.refresh(user)
    record(ctx, "user.created", "user", user.id, after=_user_summary(user, ctx.tenant_id))
    return user


def grant_role(ctx: Context, user_id: int, role: str) -> None:
    """Give a role in the context's tenant (idempotent)."""
    require_tenant_admin(ctx)
    _role(role)
    user = db.session.get(User, user_id) if ctx.platform_admin else tenant_user(ctx, user_id)
    if user is None:
        raise NotFound(_l("Not found."))
    if role in user.roles_in(ctx.tenant_id):
        return
    before = _user_summary(user, ctx.tenant_id)
    db.session.add(Membership(tenant_id=ctx.tenant_id, user_id=user.id, role=role))
    db.session.flush()
    db.session.refresh(user)
    record(ctx, "user.role_granted", "user", user.id, before=before, after=_user_summary(user, ctx.tenant_id))


def revoke_role(ctx: Context, user_id: int, role: str) -> None:
    """Take a role away; a tenant always keeps at least one administrator."""
    require_tenant_admin(ctx)
    user = tenant_user(ctx, user_id)
    membership = db.session.execute(
        select(Membership).where(
            Membership.tenant_id == ctx.tenant_id, Membership.user_id == user.id, Membership.role == _role(role)
        )
    ).scalar_one_or_none()
    if membership is None:
        return
    if role == Role.ADMIN:
        _keep_an_admin(ctx)
    before = _user_summary(user, ctx.tenant_id)
    db.session.delete(membership)
    db.session.flush()
    db.session.refresh(user)
    record(ctx, "user.role_revoked", "user", user.id, before=before, after=_user_summary(user, ctx.tenant_id))


def set_local_holidays(ctx: Context, year: int, dates: Iterable[date]) -> Tenant:
    """The local holidays of a year, as published: exactly two for an ajuntament."""
    require_tenant_admin(ctx)
    tenant = _tenant(ctx)
    days = sorted(set(dates))
    if any(d.year != year for d in days):
        raise ValidationFailed(_l("Every local holiday must fall in %(year)s.", year=year), field="dates")
    if tenant.kind == TenantKind.AJUNTAMENT and len(days) != LOCAL_HOLIDAYS_PER_YEAR:
        raise ValidationFailed(
            _l("A municipality has exactly %(n)s local holidays a year.", n=LOCAL_HOLIDAYS_PER_YEAR), field="dates"
        )
    if len(days) > LOCAL_HOLIDAYS_PER_YEAR:
        raise ValidationFailed(
            _l("At most %(n)s local holidays a year.", n=LOCAL_HOLIDAYS_PER_YEAR), field="dates"
        )
    before = dict(tenant.local_holidays or {})
    # A new dict: the JSON column only notices a reassigned value.
    tenant.local_holidays = {**before, str(year): [d.isoformat() for d in days]}
    db.session.flush()
    record(ctx, "tenant.local_holidays", "tenant", tenant.id, before=before, after=tenant.local_holidays)
    return tenant


def set_signing_officers(ctx: Context, *, alcalde: int | None = None, secretari: int | None = None) -> Tenant:
    """Who signs as mayor and as secretary; each must hold that role in the tenant."""
    require_tenant_admin(ctx)
    tenant = _tenant(ctx)
    before = dict(tenant.signing_officers or {})
    officers = dict(before)
    for office, user_id in ((Role.ALCALDE, alcalde), (Role.SECRETARI, secretari)):
        if user_id is None:
            continue
        user = tenant_user(ctx, user_id)
        if office not in user.roles_in(ctx.tenant_id):
            raise ValidationFailed(
                _l("%(user)s does not hold the role %(role)s here.", user=user.username, role=role_label(office.value)),
                field=office.value,
            )
        officers[office.value] = user.id
    tenant.signing_officers = officers
    db.session.flush()
    record(ctx, "tenant.signing_officers", "tenant", tenant.id, before=before, after=officers)
    return tenant


#: The longest act reference kept as the tenant's CSV regulation.
CSV_REGULATION_MAX = 500


def set_csv_regulation(ctx: Context, text: str | None) -> Tenant:
    """Name the municipality's act that created its CSV system (Ley 40/2015 art. 42.b; the ENI's
    RegulacionGeneracionCSV). Empty clears it: the law's own reference is used then."""
    require_tenant_admin(ctx)
    tenant = _tenant(ctx)
    clean = " ".join((text or "").split()) or None
    if clean is not None and len(clean) > CSV_REGULATION_MAX:
        raise ValidationFailed(_l("The act is too long (at most %(n)s characters).", n=CSV_REGULATION_MAX),
                               field="csv_regulation")
    if clean is not None and len(clean) < 10:
        raise ValidationFailed(_l("Name the act in full: its kind, number, date and title."), field="csv_regulation")
    return _change_setting(ctx, tenant, "csv_regulation", clean)


def set_default_locale(ctx: Context, value: str | None) -> Tenant:
    """The language the municipality's public pages speak and its documents are written in by
    default (:mod:`engine.tenancy.languages`)."""
    require_tenant_admin(ctx)
    return _change_setting(ctx, _tenant(ctx), "default_locale", check_default_locale(value))


def _change_setting(ctx: Context, tenant: Tenant, name: str, value: str | None) -> Tenant:
    """Set one checked setting of the tenant and audit it as ``tenant.<name>``, before and after."""
    before = getattr(tenant, name)
    setattr(tenant, name, value)
    db.session.flush()
    record(ctx, f"tenant.{name}", "tenant", tenant.id, before={name: before}, after={name: value})
    return tenant


def change_own_password(ctx: Context, current: str, new: str, repeated: str) -> None:
    """A staff user changes their own password: the current one, then the new one twice.

    Every session of the user ends (the caller keeps the one making the change).
    """
    user = db.session.get(User, ctx.user_id) if ctx.user_id is not None else None
    if user is None:
        raise NotFound(_l("Not found."))
    if not verify_password(user.password_hash, current or ""):
        raise ValidationFailed(_l("The current password is not right."), field="current_password")
    check_new_password(new, repeated)
    change_password(user.id, new)
    record(ctx, "user.password_changed", "user", user.id)


def set_user_active(ctx: Context, user_id: int, active: bool) -> User:
    """Deactivate (no more logins) or reactivate a user of the tenant; either way their sessions end.

    A tenant administrator acts on the users of their tenant, never on themselves (so a tenant
    always keeps the administrator who acts).
    """
    require_tenant_admin(ctx)
    if user_id == ctx.user_id:
        raise Conflict(_l("You cannot deactivate or reactivate your own account."))
    user = tenant_user(ctx, user_id)
    before = _user_summary(user, ctx.tenant_id)
    if active:
        user.active = True
        user.failed_logins, user.locked_until = 0, None
        db.session.flush()
        end_sessions(user.id)
    else:
        deactivate_user(user.id)
    db.session.refresh(user)
    record(ctx, "user.reactivated" if active else "user.deactivated", "user", user.id, before=before,
           after=_user_summary(user, ctx.tenant_id))
    return user


def update_user(ctx: Context, user_id: int, *, full_name: str, email: str | None, roles: Iterable[str]) -> User:
    """Change a user's name, e-mail and roles in the context's tenant (tenant administrators only).

    The roles given are the user's roles here afterwards; a tenant always keeps an administrator.
    """
    require_tenant_admin(ctx)
    user = tenant_user(ctx, user_id)
    wanted = {_role(r) for r in roles}
    if not wanted:
        raise ValidationFailed(_l("Give the user at least one role."), field="roles")
    clean_name = clean_text(full_name, 200, "full_name", required=True)
    clean_email = check_email(email)
    before = _user_summary(user, ctx.tenant_id) | {"email": user.email}
    current = user.roles_in(ctx.tenant_id)
    if Role.ADMIN.value in current - wanted:
        _keep_an_admin(ctx)
    for membership in [m for m in user.memberships if m.tenant_id == ctx.tenant_id and m.role not in wanted]:
        db.session.delete(membership)
    for role in sorted(wanted - current):
        db.session.add(Membership(tenant_id=ctx.tenant_id, user_id=user.id, role=role))
    user.full_name, user.email = clean_name, clean_email
    db.session.flush()
    db.session.refresh(user)
    after = _user_summary(user, ctx.tenant_id) | {"email": user.email}
    if after != before:
        record(ctx, "user.updated", "user", user.id, before=before, after=after)
    return user


def reset_password(ctx: Context, user_id: int) -> str:
    """Reset a user's password: the old one stops working, their sessions end, and the returned
    one-time secret lets them set a new one (tenant administrators only; the caller commits)."""
    require_tenant_admin(ctx)
    user = tenant_user(ctx, user_id)
    change_password(user.id, secrets.token_urlsafe(32))  # nobody knows it: only the link opens the account
    secret = issue_password_link(user.id)
    record(ctx, "user.password_reset", "user", user.id)
    return secret


def administrators(tenant_id: int) -> list[User]:
    """The administrators of a tenant, by name."""
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == Role.ADMIN.value).order_by(User.full_name)
    ).scalars())
