"""The process catalogue a tenant sees: its own models, and the shared ones the provincial
service publishes to all.

Visibility: a tenant sees its own models (published or not) and the *published* shared models.
When an instance starts, :func:`resolve_model_for_start` takes the tenant's own published
model with that key first, else the published shared one: unpublishing its own model puts a
tenant back on the shared one. Shared models are managed by platform administrators.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, func, or_, select

from engine import audit
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound
from engine.base.i18n import _l
from engine.process.definition.validation import CalledModel
from engine.process.models import PUBLISHED, ProcessModel, ProcessVersion
from engine.tenancy.models import Tenant

#: Roles that may deploy, publish and adopt models of their tenant.
DESIGNER_ROLES = ("dissenyador", "admin")


def can_design(ctx: Context) -> bool:
    return ctx.platform_admin or any(ctx.has_role(role) for role in DESIGNER_ROLES)


def require_designer(ctx: Context, model: ProcessModel | None = None, *, shared: bool = False) -> None:
    """Designers manage their tenant's models; only platform admins manage shared ones."""
    if shared or (model is not None and model.shared):
        if not ctx.platform_admin:
            raise Forbidden(_l("Only the provincial service's administrators can manage shared models."))
    elif not can_design(ctx):
        raise Forbidden(_l("Only process designers and administrators can manage process models."))


def _visible(ctx: Context) -> ColumnElement[bool]:
    """Own models, and shared ones: published only, except for platform administrators."""
    shared: ColumnElement[bool] = ProcessModel.tenant_id.is_(None)
    if not ctx.platform_admin:
        shared = and_(shared, ProcessModel.published.is_(True))
    return or_(ProcessModel.tenant_id == ctx.tenant_id, shared)


def list_models(ctx: Context) -> list[ProcessModel]:
    """The models the tenant sees, own ones first, by name."""
    stmt = select(ProcessModel).where(_visible(ctx)).order_by(
        ProcessModel.tenant_id.is_(None), ProcessModel.name, ProcessModel.key
    )
    return list(db.session.execute(stmt).scalars())


def get_model(ctx: Context, model_id: object) -> ProcessModel:
    try:
        ident = int(model_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    model = db.session.execute(select(ProcessModel).where(ProcessModel.id == ident, _visible(ctx))).scalar_one_or_none()
    if model is None:
        raise NotFound(_l("Not found."))
    return model


def get_version(ctx: Context, version_id: object) -> ProcessVersion:
    """A version of a model the tenant sees (instances keep theirs even if unpublished later)."""
    try:
        ident = int(version_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    version = db.session.get(ProcessVersion, ident)
    if version is None or (version.model.tenant_id not in (None, ctx.tenant_id)):
        raise NotFound(_l("Not found."))
    return version


def latest_version(model: ProcessModel) -> ProcessVersion | None:
    """The model's current version: its latest published one (drafts are never current)."""
    return db.session.execute(
        select(ProcessVersion)
        .where(ProcessVersion.model_id == model.id, ProcessVersion.status == PUBLISHED)
        .order_by(ProcessVersion.number.desc())
    ).scalars().first()


def newest_version(model: ProcessModel) -> ProcessVersion | None:
    """The model's newest version, a draft or not (what the modeler edits)."""
    return db.session.execute(
        select(ProcessVersion).where(ProcessVersion.model_id == model.id).order_by(ProcessVersion.number.desc())
    ).scalars().first()


def _published(tenant_id: int | None, key: str) -> ProcessModel | None:
    owner = ProcessModel.tenant_id.is_(None) if tenant_id is None else ProcessModel.tenant_id == tenant_id
    return db.session.execute(
        select(ProcessModel).where(owner, ProcessModel.key == key, ProcessModel.published.is_(True))
    ).scalar_one_or_none()


def resolve_version(tenant_id: int | None, key: str) -> ProcessVersion | None:
    """Latest version of the published model ``key`` for a tenant (own first, else shared);
    for ``tenant_id=None`` only shared models count."""
    for owner in (tenant_id, None) if tenant_id is not None else (None,):
        model = _published(owner, key)
        if model is not None:
            version = latest_version(model)
            if version is not None:
                return version
    return None


def starts_on(ctx: Context, model: ProcessModel) -> ProcessVersion | None:
    """The version a new expedient with ``model``'s key starts on, as :func:`resolve_version` picks
    it: this model's, another model's with the same key (the shared one when the municipality's own
    is unpublished or has only drafts; the municipality's own when ``model`` is shared), or none.
    Platform administrators look at a shared model from the platform, where only shared ones count."""
    tenant_id = None if model.shared and ctx.platform_admin else ctx.tenant_id
    return resolve_version(tenant_id, model.key)


def resolve_model_for_start(ctx: Context, process_key: str) -> ProcessVersion:
    """The version a new instance of ``process_key`` starts on, or NotFound."""
    version = resolve_version(ctx.tenant_id, process_key)
    if version is None:
        raise NotFound(_l("There is no published process %(key)s.", key=process_key))
    return version


def called_model_finder(tenant_id: int | None) -> Callable[[str], CalledModel | None]:
    """For validation: the version a call activity of this tenant's (or a shared) model pins."""

    def find(key: str) -> CalledModel | None:
        version = resolve_version(tenant_id, key)
        if version is None:
            return None
        return CalledModel(key, version.id, version.content_hash, version.spec_json)

    return find


def _set_published(ctx: Context, model_id: object, published: bool) -> ProcessModel:
    model = get_model(ctx, model_id)
    require_designer(ctx, model)
    if model.published != published:
        before = {"published": model.published}
        model.published = published
        audit_context = audit_context_for(ctx, model.tenant_id)
        if audit_context is not None:
            audit.record(audit_context, "process.publish" if published else "process.unpublish",
                         "process_model", model.id, before=before,
                         after={"published": published, "key": model.key})  # fmt: skip
        db.session.flush()
    return model


def publish(ctx: Context, model_id: object) -> ProcessModel:
    """Make a model startable (and, if shared, visible to every tenant)."""
    return _set_published(ctx, model_id, True)


def unpublish(ctx: Context, model_id: object) -> ProcessModel:
    """Stop new instances of a model; running instances keep their version."""
    return _set_published(ctx, model_id, False)


def adopt_shared(ctx: Context, shared_model_id: object) -> ProcessModel:
    """Copy a shared model into the tenant's catalogue (same key, its latest version as version 1)
    so the tenant can change it; from then on the tenant's copy is the one that starts."""
    require_designer(ctx)
    shared = get_model(ctx, shared_model_id)
    if not shared.shared:
        raise NotFound(_l("Not found."))
    source = latest_version(shared)
    if source is None:
        raise Conflict(_l("The shared model has no version to adopt."))
    exists = db.session.execute(
        select(func.count()).select_from(ProcessModel).where(
            ProcessModel.tenant_id == ctx.tenant_id, ProcessModel.key == shared.key
        )
    ).scalar_one()
    if exists:
        raise Conflict(_l("This municipality already has a model %(key)s.", key=shared.key))
    model = ProcessModel(tenant_id=ctx.tenant_id, key=shared.key, name=shared.name,
                         classification=shared.classification, published=True, adopted_from_id=shared.id)  # fmt: skip
    db.session.add(model)
    db.session.flush()
    version = ProcessVersion(
        model_id=model.id, number=1, content_hash=source.content_hash, bpmn_xml=source.bpmn_xml,
        dmn_files=dict(source.dmn_files or {}), forms=dict(source.forms or {}),
        templates=dict(source.templates or {}), spec_json=source.spec_json, lanes=dict(source.lanes or {}),
        called_versions=dict(source.called_versions or {}), created_by=ctx.username,
    )  # fmt: skip
    db.session.add(version)
    db.session.flush()
    audit.record(ctx, "process.adopt", "process_model", model.id,
                 after={"key": model.key, "adopted_from": shared.id, "content_hash": source.content_hash})  # fmt: skip
    return model


def audit_context_for(ctx: Context | None, tenant_id: int | None, actor: str | None = None) -> Context | None:
    """Whose audit chain records a catalogue change: the tenant's; for shared models the
    provincial tenant's (the first one, by id), or nobody's if there is none."""
    if tenant_id is None:
        provincial = db.session.execute(
            select(Tenant.id).where(Tenant.kind == "provincial").order_by(Tenant.id)
        ).scalars().first()
        if provincial is None:
            return None
        tenant_id = provincial
    if ctx is not None and ctx.tenant_id == tenant_id:
        return ctx
    return Context(
        tenant_id=tenant_id,
        user_id=ctx.user_id if ctx else None,
        username=(ctx.username if ctx else actor) or "gee deploy",
        roles=frozenset({"system"}),
    )
