"""Choices an e-office form offers from what the municipality has now, not from a fixed list.

A start-form property names a source instead of listing an ``enum``::

    "expedient_convocatoria": {"type": "string", "title": "Convocatòria", "x-choices": "grant_calls"}

* When the form is shown, the source's options for the municipality become the property's ``enum``
  and ``x-enum-labels`` (a select, each option in the reader's words: e.g. each call open for
  applications, with its title).
* When the citizen files, the source checks the chosen value again (it may have changed since the
  page was shown, or been typed by another client): a refusal is said beside the field; an accepted
  value may bring *facts* the procedure needs (e.g. the call's publication date), which join the
  start data and what the citizen filed, so nobody types them, and a *note* the expedient's subject
  ends with (e.g. that it was filed after the term).

A source is registered with :func:`register_source` (see :mod:`engine.citizens.grant_calls`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.process.forms.errors import FieldError

#: The property key that names a source.
CHOICES_KEY = "x-choices"


@dataclass(frozen=True)
class Choice:
    """One option: the value the process reads, its words, and what choosing it brings."""

    value: str
    label: str
    #: Start data the procedure gets with this value (never typed by the citizen).
    facts: dict[str, Any] = field(default_factory=dict)
    #: Words the expedient's subject ends with (e.g. "filed after the term"), in the filer's language.
    note: str | None = None


#: Options of a source: (tenant id, locale, day) -> the choices offered that day.
Options = Callable[[int, str, date], list[Choice]]
#: Check of a source: (tenant id, value, locale, day) -> the choice, or ValidationFailed (its message only).
Check = Callable[[int, str, str, date], Choice]


@dataclass(frozen=True)
class Source:
    options: Options
    check: Check


_SOURCES: dict[str, Source] = {}


def register_source(name: str, options: Options, check: Check) -> None:
    """Make ``name`` usable as ``"x-choices": name`` in e-office forms."""
    _SOURCES[name] = Source(options, check)


def _source(name: Any) -> Source | None:
    return _SOURCES.get(str(name)) if name else None


def _choice_properties(schema: Mapping[str, Any] | None) -> list[tuple[str, Source]]:
    props = (schema or {}).get("properties") or {}
    found = []
    for key, prop in props.items():
        source = _source(prop.get(CHOICES_KEY)) if isinstance(prop, Mapping) else None
        if source is not None:
            found.append((key, source))
    return found


def with_options(schema: dict[str, Any] | None, tenant_id: int, locale: str, day: date) -> dict[str, Any] | None:
    """``schema`` with each ``x-choices`` property given the source's options of ``day`` as its
    ``enum`` (and their words as ``x-enum-labels``); the schema itself is not changed."""
    named = _choice_properties(schema)
    if not named or schema is None:
        return schema
    out = copy.deepcopy(schema)
    for key, source in named:
        options = source.options(tenant_id, locale, day)
        prop = out["properties"][key]
        prop["enum"] = [c.value for c in options]
        prop["x-enum-labels"] = {locale: {c.value: c.label for c in options}}
    return out


def check_choices(
    schema: Mapping[str, Any] | None, values: dict[str, Any], tenant_id: int, locale: str, day: date
) -> tuple[dict[str, Choice], list[FieldError]]:
    """The chosen option of each filled ``x-choices`` field (by field), and the refusals, each
    beside its field; an empty field is left to the schema's ``required``."""
    chosen: dict[str, Choice] = {}
    problems: list[FieldError] = []
    for key, source in _choice_properties(schema):
        raw = values.get(key)
        if raw is None or str(raw).strip() == "":
            continue
        try:
            chosen[key] = source.check(tenant_id, " ".join(str(raw).split()), locale, day)
        except ValidationFailed as refused:
            problems.append(FieldError(key, str(refused)))
    return chosen, problems


def facts_of(chosen: Mapping[str, Choice]) -> dict[str, Any]:
    """The facts every chosen option brings, together."""
    facts: dict[str, Any] = {}
    for choice in chosen.values():
        facts.update(choice.facts)
    return facts


def refuse(problems: list[FieldError]) -> None:
    """Raise the refusals of a form, each beside its field."""
    if problems:
        raise ValidationFailed(_l("Some fields are not valid."), field=problems[0].field, details=problems)


__all__ = ["CHOICES_KEY", "Choice", "check_choices", "facts_of", "refuse", "register_source", "with_options"]
