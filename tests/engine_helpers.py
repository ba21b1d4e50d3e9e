"""Process versions for runtime tests, built from tests/fixtures/bpmn without the deploy service."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from engine.base.db import db
from engine.process.definition.specs import build_spec, serialize_spec
from engine.process.models import ProcessModel, ProcessVersion

FIXTURES = Path(__file__).parent / "fixtures" / "bpmn"

REVIEW_FORM = {
    "type": "object",
    "required": ["approved"],
    "properties": {
        "approved": {"type": "boolean"},
        "notes": {"type": "string", "maxLength": 200},
        "email": {"type": "string", "format": "email"},
    },
}


def fixture_xml(name: str) -> str:
    return (FIXTURES / f"{name}.bpmn").read_text(encoding="utf-8")


def make_version(
    tenant_id: int | None,
    fixture: str,
    process_id: str | None = None,
    forms: dict[str, Any] | None = None,
    lanes: dict[str, str] | None = None,
) -> ProcessVersion:
    """A ProcessModel (key = the BPMN process id) with one version of a fixture file."""
    key = process_id or fixture
    xml = fixture_xml(fixture)
    spec, subprocess_specs = build_spec(xml, {}, key)
    model = db.session.execute(
        db.select(ProcessModel).where(ProcessModel.key == key, ProcessModel.tenant_id == tenant_id)
    ).scalar_one_or_none()
    if model is None:
        model = ProcessModel(tenant_id=tenant_id, key=key, name=spec.description or key)
        db.session.add(model)
        db.session.flush()
    forms = forms if forms is not None else {"review.schema.json": REVIEW_FORM}
    # Like deploy's, the hash covers the whole content: a process keeps a version's content in
    # memory by id and hash (engine.process.definition.pinned), across the tests' databases too.
    content = {"bpmn": xml, "forms": forms, "lanes": lanes or {}, "number": len(model.versions) + 1}
    version = ProcessVersion(
        model_id=model.id,
        number=len(model.versions) + 1,
        content_hash=hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
        bpmn_xml=xml,
        dmn_files={},
        forms=forms,
        templates={},
        spec_json=serialize_spec(spec, subprocess_specs),
        lanes=lanes or {},
    )
    db.session.add(version)
    db.session.commit()
    return version
