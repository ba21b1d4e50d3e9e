"""Sample data a test-run fills a form with: the form accepts it."""

from __future__ import annotations

from datetime import date

from engine.process.forms.errors import field_errors
from engine.simulation.sample_data import sample_data

TODAY = date(2026, 3, 2)
SCHEMA = {
    "type": "object",
    "required": ["nif", "data", "import", "parcela", "documents", "conforme", "tipus", "nota"],
    "properties": {
        "nif": {"type": "string", "format": "nif"},
        "data": {"type": "string", "format": "date"},
        "import": {"type": "number", "minimum": 0.015, "multipleOf": 0.01, "maximum": 1000},
        "plantes": {"type": "integer", "minimum": 1, "maximum": 3},
        "parcela": {"type": "string", "format": "cadastral-reference"},
        "documents": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}},
        "un_document": {"type": "integer", "format": "document"},
        "conforme": {"type": "boolean", "const": True},
        "tipus": {"type": "string", "enum": ["obra_menor", "tanca"]},
        "idioma": {"type": "string", "default": "es", "enum": ["ca", "es"]},
        "nota": {"type": "string", "minLength": 20, "maxLength": 30},
        "correu": {"type": "string", "format": "email"},
    },
}


def test_sample_data_passes_the_forms_own_validation():
    data = sample_data(SCHEMA, today=TODAY, document_id=41)
    assert field_errors(SCHEMA, data) == []
    assert data["data"] == "2026-03-02" and data["documents"] == [41] and data["un_document"] == 41
    assert data["import"] == 0.02 and data["plantes"] == 1  # minimum, rounded up to multipleOf
    assert data["tipus"] == "obra_menor" and data["idioma"] == "es" and data["conforme"] is True
    assert 20 <= len(data["nota"]) <= 30
