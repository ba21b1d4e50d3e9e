"""Enum codes of the shipped forms reach people as words in their language, never as codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import refresh
from sqlalchemy import select

from engine.base.db import db
from engine.base.enum_labels import ENUM_LABELS
from engine.base.settings import LOCALES, PROJECT_ROOT
from engine.citizens.procedures import filed_form
from engine.demo.data import deploy_shipped_procedures
from engine.process.models import ProcessModel
from webapp.forms_render import build_fields

FORMS = sorted((PROJECT_ROOT / "forms").glob("*.json"))


def _enum_properties(path: Path) -> list[tuple[str, dict]]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return [(key, prop) for key, prop in schema.get("properties", {}).items() if "enum" in prop]


@pytest.mark.parametrize("path", [p for p in FORMS if _enum_properties(p)], ids=lambda p: p.name)
def test_every_enum_of_a_shipped_form_has_words_in_every_language(path):
    for key, prop in _enum_properties(path):
        for locale in LOCALES:
            labels = prop.get(ENUM_LABELS, {}).get(locale, {})
            assert all(labels.get(str(code), "").strip() for code in prop["enum"]), (key, locale)


@pytest.mark.parametrize(("language", "expected"), [
    ("ca", ["Reforma interior", "Façana o coberta", "Tanca", "Altres obres menors"]),
    ("es", ["Reforma interior", "Fachada o cubierta", "Valla", "Otras obras menores"]),
    ("en", ["Interior renovation", "Façade or roof", "Fence", "Other minor works"]),
])  # fmt: skip
def test_a_choice_shows_its_words_in_the_readers_language(app: Flask, language, expected):
    schema = json.loads((PROJECT_ROOT / "forms" / "obres_menors_sollicitud.json").read_text(encoding="utf-8"))
    with app.test_request_context(headers={"Accept-Language": language}):
        refresh()
        field = next(f for f in build_fields(schema, {}) if f.path == "tipus_obra")
        assert [label for _, label in field.options] == expected
        assert [code for code, _ in field.options] == ["reforma_interior", "facana_coberta", "tanca", "altres_menors"]
    refresh()


def test_what_a_citizen_chose_is_worded_from_the_form_when_the_sidecar_does_not(app, tmp_path):
    deploy_shipped_procedures()
    model = db.session.scalars(select(ProcessModel).where(ProcessModel.key == "llicencia_obres_menors")).one()
    info = json.loads((PROJECT_ROOT / "processes" / "llicencia_obres_menors.info.json").read_text(encoding="utf-8"))
    for texts in info["citizen_info"].values():
        texts["fields"] = {k: v for k, v in texts["fields"].items() if not k.startswith("tipus_obra=")}
    (tmp_path / "llicencia_obres_menors.info.json").write_text(json.dumps(info), encoding="utf-8")

    english = filed_form(model, "en", tmp_path).labels
    assert english["tipus_obra=facana_coberta"] == "Façade or roof"  # seu_obres_menors.json
    assert english["tipus_obra"] == info["citizen_info"]["en"]["fields"]["tipus_obra"]  # the sidecar still words it
    assert filed_form(model, "es", tmp_path).labels["tipus_obra=tanca"] == "Valla"
