"""The procedures a municipality offers on its e-office, with the information citizens need.

Citizen information lives beside the BPMN, in a sidecar ``processes/<key>.info.json`` read at
display time (so it can be corrected without a new process version). Format::

    {
      "online": true,                       # citizens may file it from the e-office
      "max_term": {"months": 3},            # maximum resolution term: {"months": n} or {"days": n}
      "silence": "positive",                # effect of silence: positive | negative | none
      "classification": "OBRES_MENORS",     # the SIA code, or the <id> of <organ DIR3>_PRO_<id> (ENI Clasificacion)
      "start_form": { JSON Schema } | "file.json",   # what the citizen fills to file it;
                                            # a name is looked up in the version's forms, then forms/
      "subject_fields": ["descripcio_obres", "emplacament"],  # start-form fields whose values follow the
                                            # procedure's name in the expedient's subject (default
                                            # ["assumpte"]): "Llicència d'obres menors: porxo — Carrer del Riu, 9"
      "citizen_info": {                     # per locale (ca, es, en); ca is the fallback
        "ca": {
          "name": "Instància genèrica",
          "purpose": "What it is for…",
          "documents": ["Documents needed…"],
          "who": "Who may file it",
          "term_note": "Replaces the term shown (e.g. a comunicació prèvia has none) (optional)",
          "legal_basis": "The rules it rests on",
          "fee": "What it costs (taxes, fees) or that it is free",
          "fields": {"exposo": "Label of the start form field exposo", …},
          "notes": "Anything else (optional)"
        }
      }
    }

A published procedure without a sidecar is listed by name only and cannot be filed online.
The catalogue follows :mod:`engine.process.definition.catalogue`: the municipality's own published models
and the published shared ones, a municipality's own (e.g. adopted) model hiding the shared one
with the same key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.enum_labels import enum_label
from engine.base.errors import NotFound
from engine.base.form_labels import field_titles
from engine.base.i18n import _l
from engine.base.settings import PROJECT_ROOT
from engine.citizens.choices import with_options
from engine.process.definition.catalogue import latest_version, resolve_version
from engine.process.definition.sidecar import PROCESSES_DIR, classification_code, eni_classification, read_info
from engine.process.models import ProcessModel, ProcessVersion
from engine.tenancy.models import Tenant

FORMS_DIR = PROJECT_ROOT / "forms"
SILENCE_EFFECTS = ("positive", "negative", "none")
DEFAULT_SUBJECT_FIELDS = ("assumpte",)
#: Between two values in a subject (an address may hold commas).
SUBJECT_JOINER = " — "
SUBJECT_MAX = 500


@dataclass(frozen=True)
class Procedure:
    key: str
    name: str
    online: bool
    purpose: str | None = None
    documents: tuple[str, ...] = ()
    notes: str | None = None
    #: {"months": 3} or {"days": 10}
    max_term: dict[str, int] = field(default_factory=dict)
    silence: str | None = None
    field_labels: dict[str, str] = field(default_factory=dict)
    start_form: dict[str, Any] | None = None
    version_id: int | None = None
    who: str | None = None
    term_note: str | None = None
    legal_basis: str | None = None
    fee: str | None = None
    #: ENI Clasificacion: a SIA code as given, else ``<organ DIR3>_PRO_<id>``
    classification: str | None = None
    #: The start-form fields that word a filing's subject after the procedure's name.
    subject_fields: tuple[str, ...] = DEFAULT_SUBJECT_FIELDS


def _start_form(info: dict[str, Any], version: ProcessVersion | None) -> dict[str, Any] | None:
    form = info.get("start_form")
    if isinstance(form, dict):
        return form
    if isinstance(form, str):
        pinned = (version.forms or {}).get(form) if version is not None else None
        if isinstance(pinned, dict):
            return pinned
        path = FORMS_DIR / Path(form).name
        if path.is_file():
            loaded = json.loads(path.read_text(encoding="utf-8"))
            return loaded if isinstance(loaded, dict) else None
    return None


@dataclass(frozen=True)
class FiledForm:
    """The e-office start form of a procedure's latest version (its properties) and the words, in
    one language, for its fields and for each ``<field>=<code>`` of a choice."""

    properties: dict[str, Any]
    labels: dict[str, str]


def filed_form(model: ProcessModel, locale: str | None, processes_dir: Path = PROCESSES_DIR) -> FiledForm:
    """What a citizen filed for ``model`` is read with: the words are the sidecar's ``fields`` in
    ``locale``, and for what it does not word, the start form's titles (``x-labels``) and
    ``x-enum-labels`` in ``locale``; the Catalan sidecar only fills the gaps."""
    info = read_info(model.key, processes_dir) or {}
    form = _start_form(info, latest_version(model)) or {}
    properties = form.get("properties") or {}
    labels = {f"{key}={code}": enum_label(prop, code, locale) for key, prop in properties.items()
              if isinstance(prop, dict) for code in prop.get("enum") or []}  # fmt: skip
    labels.update(field_titles(form, locale))
    texts = info.get("citizen_info") or {}
    catalan = (texts.get("ca") or {}).get("fields") or {}
    labels.update({str(k): str(v) for k, v in catalan.items() if str(k) not in labels})
    labels.update({str(k): str(v) for k, v in ((texts.get(locale or "ca") or {}).get("fields") or {}).items()})
    return FiledForm(properties=dict(properties), labels=labels)


def _procedure(model: ProcessModel, version: ProcessVersion | None, locale: str, dir3: str = "") -> Procedure:
    info = read_info(model.key)
    if info is None:
        return Procedure(key=model.key, name=model.name, online=False, version_id=version.id if version else None)
    texts_by_locale = info.get("citizen_info") or {}
    texts = texts_by_locale.get(locale) or texts_by_locale.get("ca") or {}
    raw_term = info.get("max_term")
    term: dict[str, Any] = raw_term if isinstance(raw_term, dict) else {}
    silence = info.get("silence") if info.get("silence") in SILENCE_EFFECTS else None
    start_form = _start_form(info, version)
    return Procedure(
        key=model.key,
        name=str(texts.get("name") or model.name),
        online=bool(info.get("online", True)) and start_form is not None and version is not None,
        purpose=texts.get("purpose"),
        documents=tuple(str(d) for d in texts.get("documents") or ()),
        notes=texts.get("notes"),
        max_term={k: int(v) for k, v in term.items() if k in ("months", "days")},
        silence=silence,
        # Only the reader's language: else the form's own x-labels word the fields.
        field_labels={str(k): str(v) for k, v in ((texts_by_locale.get(locale) or {}).get("fields") or {}).items()},
        start_form=start_form,
        version_id=version.id if version else None,
        who=texts.get("who"),
        term_note=texts.get("term_note"),
        legal_basis=texts.get("legal_basis"),
        fee=texts.get("fee"),
        classification=eni_classification(classification_code(info), dir3),
        subject_fields=_subject_fields(info),
    )


def _subject_fields(info: dict[str, Any]) -> tuple[str, ...]:
    named = info.get("subject_fields")
    if not isinstance(named, list):
        return DEFAULT_SUBJECT_FIELDS
    return tuple(str(name) for name in named if isinstance(name, str))


def filing_subject(procedure: Procedure, values: dict[str, Any], locale: str) -> str:
    """The subject of an expedient filed on the e-office: the procedure's name, then what the
    citizen typed in its ``subject_fields`` (a choice in its words), so that an inbox or a registry
    book of many licences tells them apart."""
    properties = (procedure.start_form or {}).get("properties") or {}
    parts = []
    for name in procedure.subject_fields:
        value = values.get(name)
        if value is None or isinstance(value, bool | dict | list):
            continue
        prop = properties.get(name)
        if isinstance(prop, dict) and "enum" in prop:
            value = enum_label(prop, value, locale)
        text = " ".join(str(value).split())
        if text:
            parts.append(text)
    topic = SUBJECT_JOINER.join(parts)
    return (f"{procedure.name}: {topic}" if topic else procedure.name)[:SUBJECT_MAX]


def _dir3(tenant_id: int) -> str:
    tenant = db.session.get(Tenant, tenant_id)
    return tenant.dir3 if tenant is not None else ""


def list_procedures(tenant_id: int, locale: str) -> list[Procedure]:
    """The municipality's published procedures (own, else shared), by name."""
    models = db.session.execute(
        select(ProcessModel).where(
            ProcessModel.published.is_(True),
            (ProcessModel.tenant_id == tenant_id) | ProcessModel.tenant_id.is_(None),
        )
    ).scalars()
    chosen: dict[str, ProcessModel] = {}
    for model in models:
        if model.key not in chosen or model.tenant_id is not None:
            chosen[model.key] = model
    dir3 = _dir3(tenant_id)
    procedures = [_procedure(m, latest_version(m), locale, dir3) for m in chosen.values()]
    return sorted(procedures, key=lambda p: p.name.lower())


def get_procedure(tenant_id: int, key: str, locale: str, *, choices: bool = True) -> Procedure:
    """One published procedure of the municipality, with the version a filing starts on; with
    ``choices``, its start form offers today's options of each ``x-choices`` field
    (:mod:`engine.citizens.choices`), else it is the form as written."""
    version = resolve_version(tenant_id, key)
    if version is None:
        raise NotFound(_l("There is no published process %(key)s.", key=key))
    procedure = _procedure(version.model, version, locale, _dir3(tenant_id))
    if not choices or procedure.start_form is None:
        return procedure
    return replace(procedure, start_form=with_options(procedure.start_form, tenant_id, locale, local_date(utcnow())))
