"""What a citizen filed reaches the clerk beside the task in words and in the reader's way of
writing numbers and dates, never as the codes, floats and ISO strings the process keeps."""

from __future__ import annotations

import json

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from engine.base.db import db
from engine.citizens.filed_summary import filed_lines
from engine.demo.data import deploy_shipped_procedures
from engine.process.models import ProcessModel


def _model(key: str) -> ProcessModel:
    return db.session.scalars(select(ProcessModel).where(ProcessModel.key == key)).one()


def test_a_licence_application_reads_as_the_citizen_wrote_it(app: Flask) -> None:
    deploy_shipped_procedures()
    filed = {"emplacament": "Carrer Major, 12", "tipus_obra": "reforma_interior", "pressupost": 3800.5,
             "descripcio_obres": "", "referencia_cadastral": None, "idioma": "ca"}
    with app.test_request_context():
        catalan = dict(filed_lines(_model("llicencia_obres_menors"), filed, "ca"))
    # amounts kept to the cent are written with the reader's separators; empty fields are left out
    assert catalan == {"Emplaçament de l'obra": "Carrer Major, 12", "Tipus d'obra": "Reforma interior",
                       "Pressupost d'execució material (€)": "3.800,50", "Idioma de les comunicacions": "Català"}
    with app.test_request_context():
        english = dict(filed_lines(_model("llicencia_obres_menors"), filed, "en"))
    assert english["Budget for the works (€)"] == "3,800.50"


def test_an_occupation_of_the_street_writes_its_date_area_and_days(app: Flask) -> None:
    deploy_shipped_procedures()
    filed = {"data_inici": "2026-03-02", "superficie_m2": 12.5, "dies_ocupacio": 1200}
    with app.test_request_context():
        lines = dict(filed_lines(_model("ocupacio_via_publica"), filed, "ca"))
    assert lines == {"Primer dia d'ocupació": "2 de març del 2026", "Superfície ocupada (m²)": "12,50",
                     "Nombre de dies": "1.200"}


def test_a_yes_or_no_is_a_word(app: Flask, tmp_path) -> None:
    deploy_shipped_procedures()
    info = {"start_form": {"type": "object", "properties": {
        "urgent": {"type": "boolean", "title": "Urgent"}}}}  # fmt: skip
    (tmp_path / "instancia_generica.info.json").write_text(json.dumps(info), encoding="utf-8")
    with app.test_request_context():
        with force_locale("ca"):
            assert filed_lines(_model("instancia_generica"), {"urgent": True}, "ca", tmp_path) == [("Urgent", "Sí")]
        with force_locale("es"):
            assert filed_lines(_model("instancia_generica"), {"urgent": False}, "es", tmp_path) == [("Urgent", "No")]
