"""Deploying a BPMN model: validate it with everything it references, then store it as an
immutable, content-addressed :class:`ProcessVersion`.

The version holds the BPMN, the DMN files it calls, its forms (JSON Schema and UI hints) and
document templates, and the serialized spec, so editing a file under ``forms/`` later never
changes a deployed version. Identical content gives back the same version; new content gives
version n+1. Call activities pin the called model's current version, and that version's hash is
part of the content: redeploying after the called model changed makes a new version.

Files: forms by name in ``forms_dir`` (default ``forms/``), templates in ``templates_dir``
(default ``processes/templates/``), DMN files in ``dmn_dir`` (default: the BPMN's folder; only
those defining a decision the model calls are bundled, see :mod:`engine.process.definition.validation`).

The caller commits (the CLI, a view); nothing is written when there are problems.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine import audit
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden, ValidationFailed
from engine.base.i18n import _l
from engine.base.settings import PROJECT_ROOT, Settings, current_settings
from engine.process.definition.catalogue import audit_context_for, called_model_finder, require_designer
from engine.process.definition.sidecar import PROCESSES_DIR, classification_code, read_info
from engine.process.definition.validation import SAFE_FILE_NAME, CheckedModel, Problem, Sources, check_model
from engine.process.models import DRAFT, PUBLISHED, ProcessModel, ProcessVersion
from engine.tenancy.units import find_unit

DEFAULT_FORMS_DIR = PROJECT_ROOT / "forms"
DEFAULT_TEMPLATES_DIR = PROJECT_ROOT / "processes" / "templates"


@dataclass
class DeployResult:
    """The stored version (new or already there), or every problem found."""

    version: ProcessVersion | None = None
    problems: list[Problem] = field(default_factory=list)
    #: False when identical content was already deployed.
    created: bool = False

    @property
    def ok(self) -> bool:
        return self.version is not None and not self.problems


def _settings() -> Settings:
    try:

        settings = current_settings()
        return settings
    except (RuntimeError, KeyError):
        return Settings.from_env()


def _read_source(source: str | Path, max_bytes: int) -> tuple[str, str | None, Path | None, list[Problem]]:
    """(file name, text, folder, problems) of a path or of BPMN text given inline."""
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return "process.bpmn", source, None, []
    path = Path(source)
    name = path.name or "process.bpmn"
    if not path.is_file():
        return name, None, None, [Problem(name, _l("The file does not exist."))]
    if path.stat().st_size > max_bytes:
        return name, None, None, [Problem(name, _l("The file is larger than the %(kb)s KB allowed.",
                                                   kb=max_bytes // 1024))]  # fmt: skip
    try:
        return name, path.read_bytes().decode("utf-8").removeprefix("\ufeff"), path.parent, []
    except UnicodeDecodeError:
        return name, None, None, [Problem(name, _l("The file is not UTF-8 text."))]


def content_hash(checked: CheckedModel) -> str:
    """SHA-256 of everything a version consists of (canonical JSON)."""
    canonical = {
        "bpmn": checked.bpmn_xml,
        "dmn": checked.dmn_files,
        "forms": checked.forms,
        "templates": checked.templates,
        "called": {key: called.content_hash for key, called in checked.called.items()},
    }
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def deploy_process(
    ctx: Context | None,
    source: str | Path,
    *,
    tenant_id: int | None = None,
    shared: bool = False,
    forms_dir: Path | None = None,
    templates_dir: Path | None = None,
    dmn_dir: Path | None = None,
    dmn_files: dict[str, str] | None = None,
    created_by: str | None = None,
    draft: bool = False,
) -> DeployResult:
    """Validate and store a model for one tenant (``tenant_id``, default the context's) or as a
    shared model (``shared=True``). ``ctx=None`` is the operator at the command line.

    A ``draft`` version is stored to be previewed and test-run: nothing starts on it until it is
    published (:mod:`engine.process.definition.drafts`). Content already deployed gives back
    that version as it is."""
    owner = _owner(ctx, tenant_id, shared)
    settings = _settings()
    name, text, folder, problems = _read_source(source, settings.max_bpmn_bytes)
    if text is None:
        return DeployResult(problems=problems)
    sources = Sources(
        forms_dir=Path(forms_dir or DEFAULT_FORMS_DIR),
        templates_dir=Path(templates_dir or DEFAULT_TEMPLATES_DIR),
        dmn_dir=Path(dmn_dir) if dmn_dir else folder,
        max_bytes=settings.max_bpmn_bytes,
        dmn_files=dmn_files,
        # Model text without a folder (an upload, a modeler save) runs with the shipped sidecar of
        # its key, as the e-office reads it (engine.process.definition.sidecar.read_info).
        info_dir=folder or PROCESSES_DIR,
        start_forms_dir=DEFAULT_FORMS_DIR,
    )
    checked, problems = check_model(name, text, sources, called_model_finder(owner))
    if checked is None:
        return DeployResult(problems=problems)
    problems = _missing_units(checked, owner)
    if problems:
        return DeployResult(problems=problems)
    actor = (ctx.username if ctx else None) or created_by
    version, created = _store(checked, owner, created_by or actor, DRAFT if draft else PUBLISHED)
    _carry_classification(version.model, folder)
    if created:
        audit_ctx = audit_context_for(ctx, owner, actor)
        if audit_ctx is not None:
            audit.record(audit_ctx, "process.deploy", "process_version", version.id, after=_summary(version))
    return DeployResult(version=version, created=created)


def _missing_units(checked: CheckedModel, tenant_id: int | None) -> list[Problem]:
    """The ``gee:unit`` tasks naming a unit the municipality does not have (a shared model names
    units each municipality must create)."""
    if tenant_id is None:
        return []
    return [
        Problem(element, _l("The task is for the unit %(unit)s, which this municipality does not have: create it "
                            "first (Administration, Units).", unit=code))
        for code, element in checked.units.items()
        if find_unit(tenant_id, code) is None
    ]  # fmt: skip


def deploy_uploaded(
    ctx: Context,
    bpmn_text: str,
    *,
    forms: Mapping[str, str | bytes | dict[str, Any]] | None = None,
    templates: Mapping[str, str | bytes] | None = None,
    dmn_files: Mapping[str, str | bytes] | None = None,
    shared: bool = False,
    draft: bool = False,
) -> DeployResult:
    """Deploy a model that brings the files it references with it (a web upload, the modeler
    saving a new version with the previous version's forms): they are written to a private
    temporary folder and checked exactly like files on disk."""
    text = bpmn_text.lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):  # never taken for a path on the server
        return DeployResult(problems=[Problem("process.bpmn", _l("The file is not a BPMN (XML) document."))])
    with tempfile.TemporaryDirectory(prefix="gee-deploy-") as tmp:
        forms_dir, templates_dir = Path(tmp) / "forms", Path(tmp) / "templates"
        _write_all(forms_dir, forms or {}, "forms")
        _write_all(templates_dir, templates or {}, "templates")
        dmn = {name: _as_text(name, content, "dmn") for name, content in (dmn_files or {}).items()}
        return deploy_process(ctx, text, shared=shared, forms_dir=forms_dir, templates_dir=templates_dir,
                              dmn_files=dmn, draft=draft)  # fmt: skip


def _as_text(name: str, content: str | bytes | dict[str, Any], field_name: str) -> str:
    """An uploaded file as text; the byte-order mark Windows editors (Notepad) put first is no part of it."""
    if isinstance(content, dict):
        return json.dumps(content, ensure_ascii=False)
    try:
        return (content.decode("utf-8") if isinstance(content, bytes) else content).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ValidationFailed(_l("The file %(file)s is not UTF-8 text.", file=name), field=field_name) from None


def _write_all(folder: Path, files: Mapping[str, str | bytes | dict[str, Any]], field_name: str) -> None:
    folder.mkdir()
    for name, content in files.items():
        if not SAFE_FILE_NAME.fullmatch(name):
            raise ValidationFailed(_l("The file name %(file)s is not valid.", file=name), field=field_name)
        (folder / name).write_text(_as_text(name, content, field_name), encoding="utf-8")


def _owner(ctx: Context | None, tenant_id: int | None, shared: bool) -> int | None:
    if shared and tenant_id is not None:
        raise Forbidden(_l("A model is either shared or of one municipality, not both."))
    if ctx is not None:
        require_designer(ctx, shared=shared)
        if not shared and tenant_id not in (None, ctx.tenant_id) and not ctx.platform_admin:
            raise Forbidden(_l("You can only deploy models for your own municipality."))
        return None if shared else (tenant_id or ctx.tenant_id)
    if not shared and tenant_id is None:
        raise Forbidden(_l("Say which municipality the model is for, or deploy it as shared."))
    return None if shared else tenant_id


def _summary(version: ProcessVersion) -> dict[str, Any]:
    return {
        "key": version.model.key,
        "number": version.number,
        "content_hash": version.content_hash,
        "shared": version.model.shared,
        "called_versions": version.called_versions,
        "status": version.status,
    }


def _model(owner: int | None, checked: CheckedModel) -> ProcessModel:
    owner_clause = ProcessModel.tenant_id.is_(None) if owner is None else ProcessModel.tenant_id == owner
    stmt = select(ProcessModel).where(owner_clause, ProcessModel.key == checked.key)
    model = db.session.execute(stmt).scalar_one_or_none()
    if model is None:
        model = ProcessModel(tenant_id=owner, key=checked.key, name=checked.name, published=True)
        try:
            with db.session.begin_nested():
                db.session.add(model)
        except IntegrityError:  # deployed at the same moment by someone else
            model = db.session.execute(stmt).scalar_one()
    elif model.name != checked.name:
        model.name = checked.name
    return model


def _carry_classification(model: ProcessModel, folder: Path | None) -> None:
    """The procedure code of ``<key>.info.json`` beside the BPMN goes on the model, so an expedient
    opened for it from any door (e-office, registry entry, clerk) is classified alike. A model
    deployed without a sidecar keeps the code it had."""
    code = classification_code(read_info(model.key, folder)) if folder is not None else None
    if code is not None and len(code) <= 60:
        model.classification = code


def _store(
    checked: CheckedModel, owner: int | None, created_by: str | None, status: str
) -> tuple[ProcessVersion, bool]:
    digest = content_hash(checked)
    model = _model(owner, checked)
    same = select(ProcessVersion).where(ProcessVersion.model_id == model.id, ProcessVersion.content_hash == digest)
    existing = db.session.execute(same).scalar_one_or_none()
    if existing is not None:
        return existing, False
    number = db.session.execute(
        select(func.coalesce(func.max(ProcessVersion.number), 0)).where(ProcessVersion.model_id == model.id)
    ).scalar_one()
    version = ProcessVersion(
        model_id=model.id,
        number=number + 1,
        content_hash=digest,
        bpmn_xml=checked.bpmn_xml,
        dmn_files=checked.dmn_files,
        forms=checked.forms,
        templates=checked.templates,
        spec_json=checked.spec_json,
        lanes=checked.lanes,
        called_versions={key: called.version_id for key, called in checked.called.items()},
        created_by=created_by,
        status=status,
    )
    try:
        with db.session.begin_nested():
            db.session.add(version)
    except IntegrityError:  # the same content (or number) stored concurrently
        existing = db.session.execute(same).scalar_one_or_none()
        if existing is None:
            raise
        return existing, False
    db.session.refresh(version)
    return version, True
