"""The files the shipped instància genèrica model references, for tests that upload it as a
sample model (API, catalogue, tenancy)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "processes" / "instancia_generica.bpmn"
FORMS = sorted([*(ROOT / "forms").glob("instancia_generica_*.json"), ROOT / "forms" / "revisar_esmena.json",
                ROOT / "forms" / "desistiment.json"])
TEMPLATES = [ROOT / "processes" / "templates" / name for name in (
    "_document.html", "requeriment_instancia.ca.html", "requeriment_instancia.es.html",
    "resposta_instancia.ca.html", "resposta_instancia.es.html")]
