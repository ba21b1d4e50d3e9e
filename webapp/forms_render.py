"""Forms from a JSON Schema, for staff task forms and the e-office start forms alike: fields to
render, submitted strings back to typed data, and validation errors in words a person
understands, next to the field they concern.

Widgets by property: ``enum`` -> select; ``boolean`` -> checkbox; ``integer``/``number`` ->
number input; ``format: date`` -> date input; ``format: email`` -> e-mail input; ``format:
textarea`` or ``maxLength`` > 200 -> textarea; ``format: document`` or ``contentMediaType`` ->
file upload (the file becomes a Document of the expedient and the data keeps its id); arrays of
``format: document`` items -> the expedient's documents as checkboxes plus a multiple file
upload (the data keeps the ticked and the new ids); arrays of objects -> repeatable rows;
anything else -> a text input. Field names are ``data.<path>`` (the e-office uses ``f_<name>``)
(rows: ``data.<array>.<index>.<property>``); error paths use ``/`` like the engine's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import get_locale

from engine.base.enum_labels import enum_label
from engine.base.form_labels import field_title, form_text
from engine.base.i18n import _
from engine.documents.documents import TIPO_LABELS
from engine.documents.task_form_fields import is_document, is_document_list

PREFIX = "data"
TEXTAREA_OVER = 200
#: Blank rows offered after the filled ones, so arrays work without JavaScript.
SPARE_ROWS = 2
ROW_PLACEHOLDER = "__row__"

#: Stores an uploaded file as a document of the expedient and returns the document's id.
FileStore = Callable[[str, Any], int]
#: Suffix of the multiple file input of a documents field.
NEW_FILES = "__new"


@dataclass(frozen=True)
class DocumentChoice:
    """A document of the expedient offered by a documents field."""

    id: int
    title: str
    file_name: str
    kind: str
    added: datetime | None


def _choice(doc: Any) -> DocumentChoice:
    code = str(doc.tipo_documental)
    kind = f"{code} · {TIPO_LABELS[code]}" if code in TIPO_LABELS else code
    return DocumentChoice(id=doc.id, title=doc.title, file_name=doc.file_name, kind=kind, added=doc.created_at)


@dataclass
class Field:
    name: str
    path: str
    label: str
    widget: str
    required: bool = False
    help: str | None = None
    value: Any = None
    error: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    #: Arrays: the row fields (one list per row) and a template row named with ROW_PLACEHOLDER.
    rows: list[list[Field]] = field(default_factory=list)
    template: list[Field] = field(default_factory=list)
    #: Documents fields: the expedient's documents that may be ticked.
    choices: list[DocumentChoice] = field(default_factory=list)
    #: Names of the fields whose values decide whether this field's conditional rules apply.
    depends_on: list[str] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


def _widget(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    items = prop.get("items")
    if kind == "array" and isinstance(items, Mapping) and items.get("type") == "object":
        return "array"
    if is_document_list(prop):
        return "documents"
    if is_document(prop) or "contentMediaType" in prop:
        return "file"
    if "enum" in prop:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return str(kind)
    if prop.get("format") in ("date", "email"):
        return str(prop["format"])
    if prop.get("format") == "textarea" or int(prop.get("maxLength") or 0) > TEXTAREA_OVER:
        return "textarea"
    return "text"


def _attrs(prop: Mapping[str, Any], widget: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if widget in ("text", "textarea", "email"):
        if "maxLength" in prop:
            attrs["maxlength"] = prop["maxLength"]
        if "minLength" in prop:
            attrs["minlength"] = prop["minLength"]
    if widget in ("integer", "number"):
        attrs["step"] = "1" if widget == "integer" else "any"
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if key in prop:
                attrs[attr] = prop[key]
    if widget == "file" and prop.get("contentMediaType"):
        attrs["accept"] = prop["contentMediaType"]
    return attrs


def _properties(schema: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    props = schema.get("properties") or {}
    return [(key, prop) for key, prop in props.items() if isinstance(prop, Mapping)]


def _conditions(schema: Mapping[str, Any]) -> dict[str, set[str]]:
    """For each property a conditional rule (``if``/``then``/``else``, also inside ``allOf``) asks
    something of, the properties its ``if`` reads: "mancances" is required while "completa" is false."""
    rules = [schema, *(r for r in schema.get("allOf") or [] if isinstance(r, Mapping))]
    out: dict[str, set[str]] = {}
    for rule in rules:
        test = rule.get("if")
        if not isinstance(test, Mapping):
            continue
        deciding = {*(test.get("properties") or {}), *(test.get("required") or [])}
        for branch in (rule.get("then"), rule.get("else")):
            if isinstance(branch, Mapping):
                for name in {*(branch.get("properties") or {}), *(branch.get("required") or [])}:
                    out.setdefault(name, set()).update(deciding - {name})
    return out


def build_fields(
    schema: Mapping[str, Any] | None, values: Mapping[str, Any] | None, errors: Mapping[str, str] | None = None,
    *, name_prefix: str = PREFIX, path_prefix: str = "", documents: Sequence[Any] = (),
    labels: Mapping[str, str] | None = None, separator: str = ".", spare_rows: int = SPARE_ROWS,
) -> list[Field]:
    """The fields of an object schema, filled with ``values`` and their ``errors`` (by path).

    ``documents`` are the expedient's documents (latest versions), offered by documents fields.
    Titles and descriptions are the schema's in the page's language (``x-labels``);
    ``labels`` override the titles by property name (a procedure's translated labels);
    a field is named ``<name_prefix><separator><property>``. Arrays get ``spare_rows`` blank rows
    after theirs: none when showing a refused form again (:func:`as_submitted`), whose rows are as sent.
    """
    if not schema:
        return []
    values = values or {}
    errors = errors or {}
    required = set(schema.get("required") or [])
    conditions = _conditions(schema)
    locale = str(get_locale() or "")
    out = []
    for key, prop in _properties(schema):
        widget = _widget(prop)
        path = f"{path_prefix}{key}"
        one = Field(
            name=f"{name_prefix}{separator}{key}",
            path=path,
            label=(labels or {}).get(key) or field_title(prop, key, locale),
            widget=widget,
            required=key in required,
            help=form_text(prop, "description", locale),
            value=values.get(key),
            error=errors.get(path),
            attrs=_attrs(prop, widget),
            depends_on=sorted(f"{name_prefix}{separator}{k}" for k in conditions.get(key, ())),
        )
        if widget == "select":
            one.options = [(str(v), (labels or {}).get(f"{key}={v}") or enum_label(prop, v, locale))
                           for v in prop.get("enum") or []]  # fmt: skip
        elif widget == "documents":
            one.choices = [_choice(doc) for doc in documents]
            chosen = values.get(key)
            one.value = [v for v in chosen if isinstance(v, int)] if isinstance(chosen, list) else []
        elif widget == "array":
            item = prop["items"]
            rows = [r for r in (values.get(key) or []) if isinstance(r, Mapping)]
            one.rows = [
                build_fields(item, row, errors, name_prefix=f"{one.name}.{i}", path_prefix=f"{path}/{i}/",
                             documents=documents, spare_rows=spare_rows)
                for i, row in enumerate([*rows, *([{}] * spare_rows)])
            ]
            one.template = build_fields(item, {}, {}, name_prefix=f"{one.name}.{ROW_PLACEHOLDER}",
                                        path_prefix=f"{path}/{ROW_PLACEHOLDER}/", documents=documents)
        out.append(one)
    return out


# -- submitted form -> typed data ----------------------------------------------------------------


def _coerce_id(prop: Mapping[str, Any], doc_id: Any) -> Any:
    return str(doc_id) if prop.get("type") == "string" else int(doc_id)


def _all(source: Mapping[str, Any], name: str) -> list[Any]:
    """Every value sent under ``name`` (ticked checkboxes, files of a multiple input)."""
    getlist = getattr(source, "getlist", None)
    if callable(getlist):
        return list(getlist(name))
    return [source[name]] if name in source else []


def _parse_documents(
    prop: Mapping[str, Any], name: str, form: Mapping[str, Any], files: Mapping[str, Any],
    store: FileStore | None, label: str,
) -> tuple[Any, str | None, bool]:
    """The ticked documents then the uploaded ones (stored now), each id once."""
    ticked = [str(raw).strip() for raw in _all(form, name)]
    if any(not raw.isdigit() for raw in ticked):
        return ticked, _("Choose documents from the list."), True
    ids = [_coerce_id(prop["items"], raw) for raw in ticked]
    if store is not None:
        for upload in _all(files, name + NEW_FILES):
            if getattr(upload, "filename", None):
                ids.append(_coerce_id(prop["items"], store(f"{label}: {upload.filename}", upload)))
    unique = list(dict.fromkeys(ids))
    return unique, None, bool(unique)


def _parse_one(
    prop: Mapping[str, Any], name: str, form: Mapping[str, Any], files: Mapping[str, Any],
    store: FileStore | None, label: str,
) -> tuple[Any, str | None, bool]:
    """(value, error, present) of one field; ``present`` False means leave the key out."""
    widget = _widget(prop)
    if widget == "checkbox":
        return name in form, None, True
    if widget == "documents":
        return _parse_documents(prop, name, form, files, store, label)
    if widget == "file":
        upload = files.get(name)
        if upload is not None and getattr(upload, "filename", None) and store is not None:
            return _coerce_id(prop, store(label, upload)), None, True
        existing = (form.get(f"{name}__existing") or "").strip()
        return (_coerce_id(prop, existing), None, True) if existing.isdigit() else (None, None, False)
    raw = (form.get(name) or "").strip()
    if raw == "":
        return None, None, False
    if widget == "integer":
        if re.fullmatch(r"[+-]?\d+", raw):
            return int(raw), None, True
        return raw, _("Enter a whole number."), True
    if widget == "number":
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            return raw, _("Enter a number."), True
        return (int(number) if number.is_integer() and re.fullmatch(r"[+-]?\d+", raw) else number), None, True
    if widget == "date" and not _is_iso_date(raw):
        # Checked here too, not only on completing: a draft would keep it, and the date input would show it empty.
        return raw, _("Enter a valid date (day, month and year)."), True
    if widget == "select":
        for option in prop.get("enum") or []:
            if str(option) == raw:
                return option, None, True
        return raw, _("Choose one of the options."), True
    return raw, None, True


def _is_iso_date(raw: str) -> bool:
    """What a date input sends (2027-02-28), and a day that exists, as the schema's ``format: date`` wants."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return False
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


def _row_indexes(form: Mapping[str, Any], files: Mapping[str, Any], name: str) -> list[int]:
    pattern = re.compile(re.escape(name) + r"\.(\d+)\.")
    found = {int(m[1]) for key in [*form.keys(), *files.keys()] if (m := pattern.match(key))}
    return sorted(found)


def parse_submission(
    schema: Mapping[str, Any] | None, form: Mapping[str, Any], files: Mapping[str, Any] | None = None,
    store: FileStore | None = None, *, name_prefix: str = PREFIX, path_prefix: str = "", separator: str = ".",
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed data from the submitted strings, and the fields that could not be converted.

    Rows are read in the order of their indexes, which may have gaps (a row removed in the page);
    blank rows are left out, and the rest numbered 0, 1, 2… as in the data."""
    return _parse(schema, form, files or {}, store, name_prefix, path_prefix, path_prefix, separator, None)


def as_submitted(
    schema: Mapping[str, Any] | None, form: Mapping[str, Any], errors: Mapping[str, str] | None = None,
    *, name_prefix: str = PREFIX, separator: str = ".",
) -> tuple[dict[str, Any], dict[str, str]]:
    """A refused form as it was sent, to show it again: every row sent, blank ones too, in their order
    and no others; and the ``errors`` (paths in the data, where blank rows do not count) moved to the
    rows they concern. Render it with ``build_fields(..., spare_rows=0)``."""
    moves: dict[str, str] = {}
    values, _unused = _parse(schema, form, {}, None, name_prefix, "", "", separator, moves)
    return values, {_moved(path, moves): message for path, message in (errors or {}).items()}


def _moved(path: str, moves: Mapping[str, str]) -> str:
    """``path`` of the data as the path of the row shown: the longest moved row prefix it starts with."""
    slashed = path + "/"
    prefix = max((p for p in moves if slashed.startswith(p)), key=len, default=None)
    return path if prefix is None else (moves[prefix] + slashed[len(prefix):]).rstrip("/")


def _parse(
    schema: Mapping[str, Any] | None, form: Mapping[str, Any], files: Mapping[str, Any], store: FileStore | None,
    name_prefix: str, path_prefix: str, shown_prefix: str, separator: str, moves: dict[str, str] | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """:func:`parse_submission`; with ``moves`` (for showing the form again) blank rows are kept, and
    each kept row's path in the data is mapped to its path as shown (``shown_prefix``)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, prop in _properties(schema or {}):
        name, path, shown = f"{name_prefix}{separator}{key}", f"{path_prefix}{key}", f"{shown_prefix}{key}"
        if _widget(prop) == "array":
            rows: list[dict[str, Any]] = []
            filled = 0
            for index in _row_indexes(form, files, name):
                in_data, as_shown = f"{path}/{filled}/", f"{shown}/{len(rows)}/"
                inner: dict[str, str] | None = {} if moves is not None else None
                row, row_errors = _parse(prop["items"], form, files, store, f"{name}.{index}", in_data, as_shown,
                                         ".", inner)
                blank = not row_errors and all(v in (None, False, "") for v in row.values())
                if not blank or moves is not None:
                    rows.append(row)
                if not blank:
                    filled += 1
                    errors.update(row_errors)
                    if moves is not None and inner is not None:
                        moves[in_data] = as_shown
                        moves.update(inner)
            data[key] = rows
            continue
        value, error, present = _parse_one(prop, name, form, files, store, field_title(prop, key, None))
        if present:
            data[key] = value
        if error:
            errors[path] = error
    return data, errors
