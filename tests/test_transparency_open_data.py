"""The transparency portal's data a citizen reuses (Llei 19/2014): the actual time each procedure took
beside its legal maximum, the decree book as extracts without personal data, and every section's
JSON described by a JSON Schema it validates against."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.decrees.book import annul_decree, create_draft, sign_decree
from engine.documents.closing import close_expedient
from engine.expedients import parties
from engine.expedients.expedients import open_expedient
from engine.process.models import ProcessModel
from tests.conftest import ctx_for, make_tenant, make_user
from tests.procedures_helpers import Town, town

PORTAL = "/transparencia/sant-proves/"


def _model(key: str) -> ProcessModel:
    return db.session.query(ProcessModel).filter_by(key=key).one()


def _closed(t: Town, key: str, opened: datetime, days: int) -> None:
    """An expedient of procedure ``key`` opened at ``opened`` and closed ``days`` days later."""
    ctx = t.people["tramitador"]
    expedient = open_expedient(ctx, f"Expedient de {days} dies", process_model_id=_model(key).id, opened_at=opened)
    close_expedient(ctx, expedient.id)
    expedient.closed_at = opened + timedelta(days=days)


def test_the_catalogue_shows_the_median_time_of_the_last_twelve_months_beside_the_legal_term(client) -> None:
    t = town("instancia_generica.bpmn", "llicencia_obres_menors.bpmn")
    now = utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    # Closed in the last twelve months: 4, 10 and 30 days -> the median is the middle one, 10.
    _closed(t, "instancia_generica", now - timedelta(days=40), 30)
    _closed(t, "instancia_generica", now - timedelta(days=20), 4)
    _closed(t, "instancia_generica", now - timedelta(days=100), 10)
    # Closed thirteen months ago (outside the window; with it the median would be (10 + 30) / 2 = 20),
    # still open, and another town's: none counts.
    _closed(t, "instancia_generica", now - timedelta(days=500), 100)
    open_expedient(t.people["tramitador"], "Encara obert", process_model_id=_model("instancia_generica").id,
                   opened_at=now - timedelta(days=200))
    other = make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    alien = ctx_for(make_user("tramitador.altra", other, ("tramitador",)), other)
    foreign = open_expedient(alien, "D'un altre poble", process_model_id=_model("instancia_generica").id,
                             opened_at=now - timedelta(days=10))
    close_expedient(alien, foreign.id)
    db.session.commit()

    rows = {r["name"]: r for r in client.get(f"{PORTAL}procedures.json").get_json()["rows"]}
    generic, minor_works = rows["Instància genèrica"], rows["Llicència d'obres menors"]
    # processes/*.info.json: instància genèrica 3 months (art. 21.3 Ley 39/2015), obres menors 1 month
    assert (generic["max_term_months"], generic["median_days"], generic["resolved"]) == (3, 10, 3)
    assert (minor_works["max_term_months"], minor_works["median_days"], minor_works["resolved"]) == (1, None, 0)

    html = client.get(PORTAL).get_data(as_text=True)
    assert "Mediana de dies fins a la resolució, darrers 12 mesos" in html
    table = list(csv.DictReader(io.StringIO(client.get(f"{PORTAL}procedures.csv").get_data(as_text=True))))
    assert {(r["name"], r["median_days"], r["resolved"]) for r in table} >= {("Instància genèrica", "10.0", "3")}


def test_the_decree_book_is_published_as_extracts_without_the_interested_parties(client) -> None:
    t = town("instancia_generica.bpmn")
    clerk, mayor = t.people["tramitador"], t.people["alcalde"]
    applicant = parties.find_or_create_party(clerk, "12345678Z", "Maria Soler Vidal", email="maria@example.org")
    expedient = open_expedient(clerk, "Instància de la Maria", process_model_id=_model("instancia_generica").id,
                               party_ids=[applicant.id])
    granted = create_draft(clerk, expedient_id=expedient.id, text="Vist l'expedient... RESOLC: estimar.",
                           title="Estimar la instància de MARIA SOLER VIDAL, amb NIF 12345678-Z, sobre el gual")
    sign_decree(mayor, granted.id)
    annulled = create_draft(clerk, title="Decret erroni de Maria Soler Vidal", text="Text.")
    sign_decree(mayor, annulled.id)
    annul_decree(mayor, annulled.id, "Error material.")
    create_draft(clerk, title="Esborrany sense signar", text="Text.")
    delegation = create_draft(clerk, title="Delegar la signatura en el primer tinent d'alcalde", text="Text.")
    sign_decree(mayor, delegation.id)
    db.session.commit()
    year = local_date(utcnow()).year

    rows = client.get(f"{PORTAL}decrees.json").get_json()["rows"]
    assert rows == [
        {"number": f"DEC/{year}/0003", "date": local_date(utcnow()).isoformat(), "procedure": None,
         "title": "Delegar la signatura en el primer tinent d'alcalde"},
        {"number": f"DEC/{year}/0001", "date": local_date(utcnow()).isoformat(), "procedure": "Instància genèrica",
         "title": "Estimar la instància de [dades personals], amb NIF [dades personals], sobre el gual"},
    ]
    html = client.get(PORTAL).get_data(as_text=True)
    page_csv = client.get(f"{PORTAL}decrees.csv").get_data(as_text=True)
    for published in (html, page_csv):
        assert f"DEC/{year}/0001" in published
        for personal in ("Soler", "SOLER", "12345678", "RESOLC", "Esborrany", "erroni"):
            assert personal not in published
    assert client.get("/transparencia/altra-vila/decrees.json").status_code == 404
    make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    db.session.commit()
    assert client.get("/transparencia/altra-vila/decrees.json").get_json()["rows"] == []
