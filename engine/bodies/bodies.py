"""A tenant's collegiate bodies and their members (the secretary keeps them)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.bodies.models import Body, BodyKind, BodyMember, MemberRole
from engine.tenancy.models import Role, User
from engine.tenancy.scoping import get_owned, scoped

#: Who keeps the bodies, their sessions and minutes.
KEEPERS = (Role.SECRETARI.value, Role.ADMIN.value)


def require_keeper(ctx: Context) -> None:
    if not any(ctx.has_role(role) for role in KEEPERS):
        raise Forbidden(_l("Only the secretary keeps the collegiate bodies."))


def clean_text(value: str | None, field: str, limit: int = 300) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise ValidationFailed(_l("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=field)
    return text


def create_body(ctx: Context, *, code: str, name: str, kind: str, legal_members: int) -> Body:
    """A body with the legal number of its members (the Ple: every councillor, LOREG art. 179)."""
    require_keeper(ctx)
    code = clean_text(code, "code", 40).lower()
    if kind not in tuple(BodyKind):
        raise ValidationFailed(_l("Unknown kind of body."), field="kind")
    if not isinstance(legal_members, int) or not 1 <= legal_members <= 100:
        raise ValidationFailed(_l("The legal number of members must be between 1 and 100."), field="legal_members")
    if db.session.execute(scoped(Body, ctx).where(Body.code == code)).first() is not None:
        raise Conflict(_l("There is already a body with the code %(code)s.", code=code), field="code")
    body = Body(tenant_id=ctx.tenant_id, code=code, name=clean_text(name, "name", 200), kind=kind,
                legal_members=legal_members)
    db.session.add(body)
    db.session.flush()
    record(ctx, "body.created", "body", body.id, after={"code": code, "name": body.name, "kind": kind,
                                                         "legal_members": legal_members})
    return body


def add_member(ctx: Context, body_id: int, *, name: str, role: str, user_id: int | None = None,
               group: str | None = None) -> BodyMember:
    """A member (president, vocal) or the body's secretary; one president and one secretary at a time."""
    require_keeper(ctx)
    body = get_owned(Body, ctx, body_id)
    if role not in tuple(MemberRole):
        raise ValidationFailed(_l("Unknown role in the body."), field="role")
    if role in (MemberRole.PRESIDENT, MemberRole.SECRETARI) and any(
        m.active and m.role == role for m in body.members
    ):
        raise Conflict(_l("The body already has a %(role)s.", role=role), field="role")
    voting = [m for m in body.members if m.active and m.votes]
    if role != MemberRole.SECRETARI and len(voting) >= body.legal_members:
        raise Conflict(_l("The body already has its legal number of members."))
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or ctx.tenant_id not in user.tenant_ids():
            raise ValidationFailed(_l("That person is not a user of this municipality."), field="user_id")
    member = BodyMember(tenant_id=ctx.tenant_id, body_id=body.id, user_id=user_id, name=clean_text(name, "name", 200),
                        role=role, group=(group or "").strip()[:200] or None)
    db.session.add(member)
    db.session.flush()
    body.members.append(member)
    record(ctx, "body.member_added", "body", body.id, after={"member": member.name, "role": role,
                                                              "group": member.group})
    return member


def list_bodies(ctx: Context) -> list[Body]:
    return cast(list[Body], list(db.session.execute(scoped(Body, ctx).order_by(Body.id)).scalars()))


def get_body(ctx: Context, body_id: int) -> Body:
    return get_owned(Body, ctx, body_id)


def body_by_code(ctx: Context, code: str) -> Body:
    body = db.session.execute(scoped(Body, ctx).where(Body.code == (code or "").strip().lower())).scalar_one_or_none()
    if body is None:
        raise NotFound(_l("There is no body with the code %(code)s.", code=code))
    return cast(Body, body)


def bodies_of_user(ctx: Context) -> list[int]:
    """The bodies the acting user sits on (members read their sessions)."""
    if ctx.user_id is None:
        return []
    stmt = select(BodyMember.body_id).where(BodyMember.tenant_id == ctx.tenant_id, BodyMember.user_id == ctx.user_id,
                                            BodyMember.active.is_(True))
    return [int(b) for b in db.session.execute(stmt).scalars()]
