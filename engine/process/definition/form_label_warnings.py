"""Deploy warnings for form texts (title, field titles, descriptions) without every language.

Like :func:`engine.process.definition.task_labels.missing_task_labels`: a warning, not a refusal,
since people working in that language still see the Catalan text."""

from __future__ import annotations

from engine.base.form_labels import FORM_LABELS, missing_labels
from engine.base.i18n import _l
from engine.process.definition.validation import Problem
from engine.process.models import ProcessVersion


def missing_form_labels(version: ProcessVersion) -> list[Problem]:
    """One warning per form text of the version lacking a language, named ``<form>`` or ``<form> / <field>``."""
    warnings = []
    for form_key, schema in sorted((version.forms or {}).items()):
        if not isinstance(schema, dict):
            continue
        for path, locales in missing_labels(schema):
            where = f"{form_key} / {path}" if path else form_key
            warnings.append(
                Problem(
                    where,
                    _l(
                        "No %(languages)s in %(key)s: people working in that language see the Catalan text.",
                        languages=", ".join(locales),
                        key=FORM_LABELS,
                    ),
                )
            )
    return warnings


__all__ = ["missing_form_labels"]
