"""The transparency portal's data a citizen reuses (Llei 19/2014): the actual time each procedure took
beside its legal maximum, the decree book as extracts without personal data, and every section's
JSON described by a JSON Schema it validates against."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.formats import format_day
from engine.decrees.book import annul_decree, create_draft, sign_decree
from engine.documents.closing import close_expedient
from engine.expedients import parties
from engine.expedients.expedients import open_expedient
from engine.process.models import ProcessModel
from engine.transparency import publications
from engine.transparency.sections import ALL
from tests.conftest import ctx_for, make_tenant, make_user
from tests.procedures_helpers import Town, town
from tests.test_transparency import _town_with_an_approved_agreement

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
    # the page writes the day in words for its readers; the data keeps ISO 8601 for reusers
    today = local_date(utcnow())
    assert f'<span class="text-nowrap">{format_day(today, "ca")}</span>' in html and today.isoformat() not in html
    page_csv = client.get(f"{PORTAL}decrees.csv").get_data(as_text=True)
    assert today.isoformat() in page_csv
    for published in (html, page_csv):
        assert f"DEC/{year}/0001" in published
        for personal in ("Soler", "SOLER", "12345678", "RESOLC", "Esborrany", "erroni"):
            assert personal not in published
    assert client.get("/transparencia/altra-vila/decrees.json").status_code == 404
    make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    db.session.commit()
    assert client.get("/transparencia/altra-vila/decrees.json").get_json()["rows"] == []


def _validated(client, section: str) -> dict:  # type: ignore[no-untyped-def]
    """The section's JSON, checked against the schema the portal serves for it."""
    schema = client.get(f"{PORTAL}{section}.schema.json")
    assert schema.status_code == 200 and schema.mimetype == "application/schema+json"
    Draft202012Validator.check_schema(schema.get_json())
    data = client.get(f"{PORTAL}{section}.json").get_json()
    Draft202012Validator(schema.get_json(), format_checker=FormatChecker()).validate(data)
    return {"schema": schema.get_json(), "data": data}


def test_every_section_is_described_by_a_json_schema_its_json_validates_against(client) -> None:
    t, _year = _town_with_an_approved_agreement()
    decree = create_draft(t.people["tramitador"], title="Aprovar el padró de la taxa d'escombraries", text="Text.")
    sign_decree(t.people["alcalde"], decree.id)
    _closed(t, "instancia_generica", utcnow() - timedelta(days=30), 7)
    publications.publish(t.people["secretari"], section="budget", title="Pressupost 2026",
                         url="https://example.org/pressupost")
    db.session.commit()

    html = client.get(PORTAL).get_data(as_text=True)
    checked = {s.key: _validated(client, s.key) for s in ALL}
    for key, found in checked.items():
        assert f'href="{PORTAL}{key}.schema.json"' in html
        assert found["schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for with_rows in ("organisation", "agreements", "decrees", "procedures", "budget"):
        assert checked[with_rows]["data"]["rows"], with_rows  # the schemas were tried on real rows
    # The schema says something: a row without its title, or with a count as text, does not validate.
    decrees, schema = checked["decrees"]["data"], checked["decrees"]["schema"]
    del decrees["rows"][0]["title"]
    with pytest.raises(ValidationError):
        Draft202012Validator(schema).validate(decrees)
    procedures = checked["procedures"]["data"]
    procedures["rows"][0]["resolved"] = "3"
    with pytest.raises(ValidationError):
        Draft202012Validator(checked["procedures"]["schema"]).validate(procedures)
    assert client.get(f"{PORTAL}nothing.schema.json").status_code == 404
    assert client.get("/transparencia/no-such-town/decrees.schema.json").status_code == 404
