"""Long texts (grounds, answers, reports) are typed in several lines and printed as paragraphs."""

from __future__ import annotations

import json
from pathlib import Path

from engine.documents.procedure_templates import paragraphs
from webapp.forms_render import build_fields

FORMS = Path(__file__).resolve().parent.parent / "forms"


def test_the_grounds_and_the_answer_are_edited_in_a_multi_line_box() -> None:
    for form, field in (("instancia_generica_proposta.json", "fonaments"), ("instancia_generica_resposta.json",
                                                                            "resposta")):
        schema = json.loads((FORMS / form).read_text())
        widgets = {f.name.removeprefix("data."): f.widget for f in build_fields(schema, {}, {})}
        assert widgets[field] == "textarea", form


def test_a_blank_line_starts_a_paragraph_and_what_was_typed_is_escaped() -> None:
    typed = "Fets:\r\nPrimer, la sol·licitud <b>\r\n\r\n\r\nFonaments: art. 21 Llei 39/2015"
    assert str(paragraphs(typed)) == (
        "<p>Fets:<br>Primer, la sol·licitud &lt;b&gt;</p><p>Fonaments: art. 21 Llei 39/2015</p>")
    assert str(paragraphs("")) == ""
