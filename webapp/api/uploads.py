"""The files of a process model sent as a multipart form (the API and the catalogue page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from werkzeug.datastructures import FileStorage, MultiDict

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l


@dataclass
class ModelUpload:
    bpmn: str
    forms: dict[str, bytes] = field(default_factory=dict)
    dmn: dict[str, bytes] = field(default_factory=dict)
    templates: dict[str, bytes] = field(default_factory=dict)


def _named(files: list[FileStorage]) -> dict[str, bytes]:
    return {PurePath(f.filename).name: f.read() for f in files if f and f.filename}


def model_upload(files: MultiDict[str, FileStorage]) -> ModelUpload:
    """The BPMN (field ``bpmn``) and the files it references (``forms``, ``dmn``, ``templates``,
    each repeatable), or ValidationFailed naming the missing field."""
    bpmn = files.get("bpmn")
    if bpmn is None or not bpmn.filename:
        raise ValidationFailed(_l("Choose the BPMN file of the model."), field="bpmn")
    try:
        text = bpmn.read().decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(_l("The file is not UTF-8 text."), field="bpmn") from None
    return ModelUpload(
        bpmn=text,
        forms=_named(files.getlist("forms")),
        dmn=_named(files.getlist("dmn")),
        templates=_named(files.getlist("templates")),
    )
