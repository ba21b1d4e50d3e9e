"""Every shipped procedure is published in the e-office with the information the law asks a
procedure sheet to give (Ley 39/2015 art. 21.4: maximum term and effect of silence; purpose,
who may file, documents, legal basis, fee, code), in Catalan, Spanish and English, and each
one a citizen starts is filed online with its own form, opening that procedure's expedient."""

from __future__ import annotations

import io
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from engine.base.clock import local_date
from engine.base.db import db
from engine.demo.data import deploy_shipped_procedures
from engine.expedients.expedients import Expedient
from engine.process.models import HumanTask, ProcessInstance, ProcessModel, ProcessVersion
from engine.registry.entries import RegistryEntry
from tests.test_seu import PDF, citizen_login, token_of

#: key -> per locale: (name, maximum term, effect of silence, a phrase of its legal basis). Checked by hand:
#: TRLUC arts. 187-188 / ROAS: majors 2 months, menors 1 month, positive silence; comunicació prèvia
#: (art. 69 Ley 39/2015) no term, effective on filing; grants LGS art. 25.4-25.5: 6 months, negative;
#: padró (RD 1690/1986): no specific term, 3 months by art. 21.3, positive (art. 24.1); instància
#: genèrica 3 months (art. 21.3), a petition: negative (art. 24.1).
SHEETS = {
    "llicencia_obres_menors": {
        "ca": ("Llicència d'obres menors", "1 mes", "Positiu", "Decret legislatiu 1/2010"),
        "es": ("Licencia de obras menores", "1 mes", "Positivo", "Decreto legislativo 1/2010"),
        "en": ("Minor works licence", "1 month", "Positive", "Legislative Decree 1/2010"),
    },
    "llicencia_obres_majors": {
        "ca": ("Llicència d'obres majors", "2 mesos", "Positiu", "Decret 64/2014"),
        "es": ("Licencia de obras mayores", "2 meses", "Positivo", "Decreto 64/2014"),
        "en": ("Major works licence", "2 months", "Positive", "Decree 64/2014"),
    },
    "comunicacio_previa_obres": {
        "ca": ("Comunicació prèvia d'obres", "produeix efectes des del dia que es presenta",
               "No s'aplica cap efecte del silenci", "art. 69"),
        "es": ("Comunicación previa de obras", "produce efectos desde el día en que se presenta",
               "No se aplica ningún efecto del silencio", "art. 69"),
        "en": ("Prior notice of works", "takes effect on the day it is filed", "No effect of silence applies",
               "art. 69"),
    },
    "subvencio_sollicitud": {
        "ca": ("Sol·licitud de subvenció", "6 mesos", "Negatiu", "Llei 38/2003"),
        "es": ("Solicitud de subvención", "6 meses", "Negativo", "Ley 38/2003"),
        "en": ("Grant application", "6 months", "Negative", "Law 38/2003"),
    },
    "subvencio_convocatoria": {
        "ca": ("Convocatòria de subvencions", "6 mesos", "Negatiu", "Llei 38/2003"),
        "es": ("Convocatoria de subvenciones", "6 meses", "Negativo", "Ley 38/2003"),
        "en": ("Competitive grant call", "6 months", "Negative", "Law 38/2003"),
    },
    "certificat_empadronament": {
        "ca": ("Certificat o volant d'empadronament", "3 mesos", "Positiu", "Reial decret 1690/1986"),
        "es": ("Certificado o volante de empadronamiento", "3 meses", "Positivo", "Real Decreto 1690/1986"),
        "en": ("Certificate of registration", "3 months", "Positive", "Royal Decree 1690/1986"),
    },
    "padro_alta_canvi_domicili": {
        "ca": ("Alta o canvi de domicili al padró", "3 mesos", "Positiu", "Reial decret 1690/1986"),
        "es": ("Alta o cambio de domicilio en el padrón", "3 meses", "Positivo", "Real Decreto 1690/1986"),
        "en": ("Registration or change of address in the municipal register", "3 months", "Positive",
               "Royal Decree 1690/1986"),
    },
    "instancia_generica": {
        "ca": ("Instància genèrica", "3 mesos", "Negatiu", "Llei 39/2015"),
        "es": ("Instancia genérica", "3 meses", "Negativo", "Ley 39/2015"),
        "en": ("General request", "3 months", "Negative", "Law 39/2015"),
    },
}
HEADINGS = {"ca": ("Qui ho pot presentar", "Taxes i preu", "Normativa", "Codi del procediment"),
            "es": ("Quién puede presentarlo", "Tasas y precio", "Normativa", "Código del procedimiento"),
            "en": ("Who may file it", "Fee", "Legal basis", "Procedure code")}

#: What a citizen types for each procedure filed online, and the first task the clerk then finds. A grant
#: application names a call the council published and opened: tests/test_grantapp_filing.py files it.
FILINGS = {
    "llicencia_obres_menors": ({"f_emplacament": "Carrer Major, 12", "f_referencia_cadastral": "4A08169P03PRAT0001LR",
                                "f_descripcio_obres": "Substitució de rajoles de la cuina",
                                "f_tipus_obra": "reforma_interior", "f_pressupost": "12500.50"}, "T_completesa"),
    "llicencia_obres_majors": ({"f_emplacament": "Carrer Nou, 3", "f_referencia_cadastral": "4A08169P03PRAT0001LR",
                                "f_descripcio_obres": "Habitatge unifamiliar", "f_tipus_obra": "nova_planta",
                                "f_pressupost": "180000"}, "T_completesa"),
    "comunicacio_previa_obres": ({"f_emplacament": "Plaça de l'Església, 1",
                                  "f_referencia_cadastral": "4A08169P03PRAT0001LR",
                                  "f_descripcio_obres": "Pintar la façana", "f_tipus_obra": "facana_coberta",
                                  "f_pressupost": "1800"}, "T_comprovar"),
    "certificat_empadronament": ({"f_tipus": "certificat", "f_adreca": "Carrer Major, 12",
                                  "f_finalitat": "Matrícula escolar"}, "T_sollicitud"),
    "padro_alta_canvi_domicili": ({"f_tipus_moviment": "alta", "f_adreca": "Carrer del Riu, 4",
                                   "f_persones": "Maria Soler Vidal"}, "Task_revisar"),
    "instancia_generica": ({"f_assumpte": "Gual permanent", "f_exposo": "Tinc un garatge al carrer Major 3.",
                            "f_sollicito": "Una placa de gual permanent."}, "Task_revisar"),
}


@pytest.fixture
def town(tenant):
    results = deploy_shipped_procedures()
    assert all(r.ok for r in results.values()), {k: r.problems for k, r in results.items() if not r.ok}
    db.session.commit()
    return tenant


def _in(client, locale: str) -> None:
    client.post("/locale", data={"locale": locale, "csrf_token": token_of(client.get("/seu/").get_data(as_text=True))})


@pytest.mark.parametrize("locale", ["ca", "es", "en"])
def test_every_procedure_sheet_in_every_language(client, town, locale):
    _in(client, locale)
    home = client.get(f"/seu/{town.code}/").get_data(as_text=True)
    for key, sheets in SHEETS.items():
        name, term, silence, law = sheets[locale]
        # the home offers only what a citizen can file online; the sheet of the others is still there
        assert (f'href="/seu/{town.code}/tramits/{key}"' in home) == (key != "subvencio_convocatoria"), key
        html = " ".join(unescape(client.get(f"/seu/{town.code}/tramits/{key}").get_data(as_text=True)).split())
        assert name in html and term in html and silence in html and law in html, (key, locale)
        assert all(heading in html for heading in HEADINGS[locale]), (key, locale)
        assert "Not stated" not in html and "No consta" not in html, (key, locale)
        assert f"{town.dir3}_PRO_" in html  # the ENI classification code
        if key == "subvencio_convocatoria":  # started by the council itself, not by a citizen
            assert 'id="start-filing"' not in html
        else:
            assert 'id="start-filing"' in html, (key, locale)


def test_the_start_form_speaks_the_citizens_language(client, town):
    citizen_login(client, town.code)
    _in(client, "es")
    html = client.get(f"/seu/{town.code}/tramits/llicencia_obres_menors/sollicitud").get_data(as_text=True)
    assert "Emplazamiento de la obra" in html and ">Fachada o cubierta<" in html


@pytest.mark.parametrize("key", sorted(FILINGS))
def test_filing_each_procedure_online_opens_its_expedient(client, town, key):
    values, first_task = FILINGS[key]
    citizen_login(client, town.code)
    path = f"/seu/{town.code}/tramits/{key}/sollicitud"
    token = token_of(client.get(path).get_data(as_text=True))
    answer = client.post(path, data={"csrf_token": token, **values, "documents": [(io.BytesIO(PDF), "annex.pdf")]},
                         content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    expedient_id = int(urlsplit(answer.headers["Location"]).path.rstrip("/").split("/")[-1])
    expedient = db.session.get(Expedient, expedient_id)
    assert expedient is not None and expedient.tenant_id == town.id
    model = db.session.get(ProcessModel, expedient.process_model_id)
    assert model is not None and model.key == key
    assert expedient.classification and expedient.classification.startswith(f"{town.dir3}_PRO_")
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.expedient_id == expedient_id)
                                  ).scalar_one()
    version = db.session.get(ProcessVersion, instance.process_version_id)
    assert version is not None and version.model_id == model.id
    entry = db.session.execute(select(RegistryEntry).where(RegistryEntry.expedient_id == expedient_id)).scalar_one()
    assert entry.direction == "E" and len(entry.attachments) == 1
    task = db.session.execute(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.state == "ready")).scalar_one()
    assert task.element_id == first_task
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert entry.number in shown
    assert local_date(entry.effective_at)  # the day the filing counts from
